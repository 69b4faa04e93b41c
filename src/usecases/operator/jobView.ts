import type { JobLedger, JobQuery, JobRecord, JobState, JsonValue, ShardState } from '../../ports/jobLedger.js';
import { detailOf } from '../jobDetail.js';

/**
 * A job as the operator sees it: the documented, stable JSON shape of `tessera status -o json`,
 * the jobs API (`GET /api/jobs`, schema `Job` in src/hosting/api/openapi.ts) and the dashboard.
 * Built from the ledger record, never a copy of it: the record's internals (pins keyed by series,
 * queue messages, sizes kept as strings) stay out.
 */
export interface JobView {
  readonly id: string;
  /** `anomaly`, `video`, `stream`, or `unknown` (an input no kind takes). */
  readonly kind: string;
  readonly state: JobState;
  /** ISO 8601. */
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly error: string | null;
  /** Ended by `cancel` (state failed, error "cancelled"). */
  readonly cancelled: boolean;
  readonly input: InputView;
  readonly progress: ProgressView;
  /** Counters by name (rows, badRows, windows, anomalies, series, frames, …); which ones depends on the kind. */
  readonly counts: Readonly<Record<string, number>>;
  /** 1 for a submission; 2, 3… for explicit retries of a failed job (`retryOf` names the one before). */
  readonly attempt: number;
  readonly retryOf: string | null;
  readonly retriedBy: string | null;
}

export interface InputView {
  readonly container: string | null;
  readonly name: string | null;
  readonly etag: string | null;
  /** Bytes. */
  readonly size: number | null;
  /** A stream run's schedule tick (ISO 8601). */
  readonly tick: string | null;
  readonly options: {
    readonly model: string | null;
    readonly fit: string | null;
    readonly onShardError: string | null;
  };
}

export interface ProgressView {
  readonly shards: Readonly<Record<ShardState, number>> & { readonly total: number };
  /** Ended shards over planned ones, 0 to 1; 1 once the job has ended. */
  readonly fraction: number;
}

const NO_SHARDS: Record<ShardState, number> = { pending: 0, running: 0, succeeded: 0, failed: 0 };

function text(value: string | undefined): string | null {
  return value === undefined || value === '' ? null : value;
}

function textOf(value: JsonValue | undefined): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** The job's view, given how many of its shards are in each state. */
export function jobView(job: JobRecord, shards: Readonly<Record<ShardState, number>> = NO_SHARDS): JobView {
  const detail = detailOf(job);
  const size = Number(job.input.size);
  const total = Math.max(job.shardsTotal, shards.pending + shards.running + shards.succeeded + shards.failed);
  const ended = job.state === 'succeeded' || job.state === 'failed';
  const attempt = typeof detail.attempt === 'number' && detail.attempt > 1 ? detail.attempt : 1;
  return {
    id: job.jobId,
    kind: job.kind,
    state: job.state,
    createdAt: job.createdAt.toISOString(),
    updatedAt: job.updatedAt.toISOString(),
    error: job.error ?? null,
    cancelled: typeof detail.cancelledAt === 'string',
    input: {
      container: text(job.input.container),
      name: text(job.input.name),
      etag: text(job.input.etag),
      size: job.input.size !== undefined && Number.isSafeInteger(size) && size >= 0 ? size : null,
      tick: text(job.input.tick),
      options: { model: text(job.input.model), fit: text(job.input.fit), onShardError: text(job.input.on_shard_error) },
    },
    progress: {
      shards: { total, ...shards },
      fraction: ended ? 1 : total === 0 ? 0 : (shards.succeeded + shards.failed) / total,
    },
    counts: Object.fromEntries(Object.entries(job.counts).filter(([, v]) => Number.isFinite(v))),
    attempt,
    retryOf: textOf(detail.retryOf),
    retriedBy: textOf(detail.retriedBy),
  };
}

/** Jobs newest first, filtered by state and kind, each with its shard counts. */
export async function listJobViews(ledger: JobLedger, query: JobQuery = {}): Promise<JobView[]> {
  const jobs = await ledger.listJobs(query);
  return Promise.all(jobs.map(async (job) => jobView(job, await ledger.countShards(job.jobId))));
}
