import type { Readable } from 'node:stream';
import { InputError, NotFoundError, PreconditionFailedError, TesseraError, TransientError } from '../core/errors.js';
import type { ApiFetch } from '../hosting/api/inProcessFetch.js';
import type { JobLogLine } from '../ports/jobLogs.js';
import type { JobDetailView } from '../usecases/operator/jobDetailView.js';
import type { JobView } from '../usecases/operator/jobView.js';
import type { DeadLetteredEvent } from '../usecases/stream/aggregatePartition.js';
import type { SeriesView } from '../usecases/operator/seriesView.js';

/** What the API says a job is, with links to its files (GET /api/jobs/{jobId}). */
export type JobDetail = JobDetailView & {
  readonly files: readonly (JobDetailView['files'][number] & { readonly url: string })[];
};

export interface DeadLetter {
  readonly sequenceNumber: number;
  readonly messageId: string;
  readonly jobId: string | null;
  readonly shardId: string | null;
  readonly kind: string | null;
  readonly deadLetteredAt: string;
  readonly reason: string;
  readonly description: string;
  readonly [key: string]: unknown;
}

export interface ModelSummary {
  readonly ref: string;
  readonly sha256: string;
  readonly size: number;
  readonly createdAt: string;
  readonly tags: readonly string[];
  readonly metadata: Readonly<Record<string, string>>;
  readonly meta: Readonly<Record<string, string>>;
  readonly inferred?: Readonly<Record<string, string>>;
}

/** An answer the API refused: its status, reason and, for a 400, the input it names. */
export class ApiError extends TesseraError {
  constructor(
    readonly status: number,
    reason: string,
  ) {
    super(`Http${status}`, reason);
  }
}

/** The typed error of an API answer: 400 → InputError, 404 → NotFoundError, 409 → PreconditionFailedError. */
async function errorOf(response: Response, what: string): Promise<Error> {
  const text = await response.text();
  let error: { input?: string; reason?: string } = {};
  try {
    error = (JSON.parse(text) as { error?: typeof error }).error ?? {};
  } catch {
    error = { reason: text.slice(0, 300) };
  }
  const reason = error.reason ?? `${response.status} ${response.statusText}`;
  if (response.status === 400) return new InputError(error.input ?? what, reason);
  if (response.status === 404) {
    const missing = new NotFoundError(what);
    missing.message = reason;
    return missing;
  }
  if (response.status === 409) {
    const conflict = new PreconditionFailedError(what);
    conflict.message = reason;
    return conflict;
  }
  if (response.status === 503) return new TransientError(reason);
  if (response.status === 401 || response.status === 403)
    return new ApiError(response.status, `${reason} (not authorised: check the token or your Entra ID login)`);
  return new ApiError(response.status, reason);
}

/** The jobs API as the CLI uses it, over any fetch (HTTP to a server, or the handlers in this process). */
export function createApiClient(fetch: ApiFetch, base: string) {
  const url = (path: string) => `${base}/api${path}`;
  const call = async <T>(method: string, path: string, what: string, init: RequestInit = {}): Promise<T> => {
    const response = await fetch(url(path), { method, ...init });
    if (!response.ok) throw await errorOf(response, what);
    return (await response.json()) as T;
  };
  const get = <T>(path: string, what: string) => call<T>('GET', path, what);
  const post = <T>(path: string, what: string, body: unknown) =>
    call<T>('POST', path, what, { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  const job = (id: string) => `/jobs/${encodeURIComponent(id)}`;
  const query = (params: Record<string, string | number | undefined>) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
    const text = q.toString();
    return text === '' ? '' : `?${text}`;
  };
  return {
    listJobs: (q: { state?: string; kind?: string; limit?: number } = {}) =>
      get<{ jobs: JobView[] }>(`/jobs${query(q)}`, 'jobs').then((r) => r.jobs),
    getJob: (id: string) => get<JobDetail>(job(id), id),
    /** Uploads `body` into the inbox as `name` and submits it; 409 when the name holds other content. */
    upload: (name: string, body: Readable, options: Record<string, string | undefined>, size: number) =>
      call<{ job: JobView }>('POST', `/jobs${query({ name, ...options })}`, name, {
        body: body,
        duplex: 'half',
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
      }).then((r) => r.job),
    cancel: (id: string) => post<{ job: JobView }>(`${job(id)}/cancel`, id, {}).then((r) => r.job),
    retry: (id: string) => post<{ job: JobView }>(`${job(id)}/retry`, id, {}).then((r) => r.job),
    /** A result file's bytes as a stream. */
    async download(id: string, file: string): Promise<ReadableStream<Uint8Array>> {
      const response = await fetch(url(`${job(id)}/files/${encodeURIComponent(file)}`));
      if (!response.ok || !response.body) throw await errorOf(response, `${id}/${file}`);
      return response.body;
    },
    logs: (id: string, cursor?: string) =>
      get<{ lines: JobLogLine[]; cursor: string }>(`${job(id)}/logs${query({ cursor })}`, id),
    series: (id: string) => get<{ series: SeriesView[] }>(`${job(id)}/series`, id).then((r) => r.series),
    deadLetters: (queue: string) =>
      get<{ messages: DeadLetter[] }>(`/deadletters${query({ queue, limit: 1000 })}`, 'dead letters').then(
        (r) => r.messages,
      ),
    redrive: (queue: string, sequenceNumbers: number[] | 'all') =>
      post<{ redriven: number }>(
        `/deadletters/redrive${query({ queue })}`,
        'dead letters',
        sequenceNumbers === 'all' ? { all: true } : { sequenceNumbers },
      ).then((r) => r.redriven),
    deadEvents: () =>
      get<{ events: DeadLetteredEvent[] }>('/deadletters/events?limit=1000', 'dead-lettered events').then(
        (r) => r.events,
      ),
    redriveEvents: (refs: string[] | 'all') =>
      post<{ redriven: number; refused: string[] }>(
        '/deadletters/events/redrive',
        'dead-lettered events',
        refs === 'all' ? { all: true } : { refs },
      ),
    models: (name?: string) =>
      get<{ models: ModelSummary[]; builtin: string[] }>(`/models${query({ name })}`, name ?? 'models'),
    model: (ref: string) => get<{ builtin: boolean }>(`/models/${encodeURIComponent(ref)}`, ref),
    streamRuns: () => get<{ runs: JobView[] }>('/stream/runs', 'stream runs').then((r) => r.runs),
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;
