import { NotFoundError } from '../../core/errors.js';
import type { BlobStore } from '../../ports/blobStore.js';
import type { JobLedger, JobRecord, JsonValue, ShardRecord, ShardState } from '../../ports/jobLedger.js';
import { detailOf } from '../jobDetail.js';
import { jobView, type JobView } from './jobView.js';
import { listResultFiles, readSummary, type ResultFileView } from './resultFiles.js';

/** One shard as the operator sees it: what it covers (a series or a frame range), its state and error. */
export interface ShardView {
  readonly id: string;
  readonly state: ShardState;
  readonly attempts: number;
  readonly error: string | null;
  readonly updatedAt: string;
  readonly counts: Readonly<Record<string, number>>;
  /** An anomaly or stream shard's series (a stream shard holds all of a device's tags: tag null). */
  readonly series: { readonly device: string; readonly tag: string | null } | null;
  /** A video shard's frame range [start, end). */
  readonly frames: { readonly start: number; readonly end: number } | null;
}

/** Which model versions a job ran with, per series (null for a video job's single style model). */
export interface ModelPin {
  readonly series: string | null;
  /** `name@version`, or null when the series had no model. */
  readonly model: string | null;
  readonly sha256: string | null;
}

/** A job with everything an operator looks at: the stable shape of `GET /api/jobs/{jobId}`. */
export interface JobDetailView {
  readonly job: JobView;
  readonly shards: readonly ShardView[];
  readonly errors: {
    readonly job: string | null;
    readonly shards: readonly { readonly shardId: string; readonly reason: string }[];
    /** Rejected input rows by reason, with the first line numbers (anomaly jobs). */
    readonly rows: readonly {
      readonly reason: string;
      readonly count: number;
      readonly firstLines: readonly number[];
    }[];
  };
  readonly files: readonly ResultFileView[];
  /** summary.json once the job has ended, else null. */
  readonly summary: { readonly [key: string]: JsonValue } | null;
  readonly lineage: {
    readonly input: { readonly container: string; readonly name: string; readonly etag: string } | null;
    readonly models: readonly ModelPin[];
  };
}

type Obj = { readonly [key: string]: JsonValue };
const isObj = (v: JsonValue | undefined): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: JsonValue | undefined): string | null => (typeof v === 'string' ? v : null);
const num = (v: JsonValue | undefined): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function shardView(shard: ShardRecord): ShardView {
  const message = isObj(shard.detail) && isObj(shard.detail.message) ? shard.detail.message : {};
  const device = str(message.device);
  // A video range's frames: the style message's FrameRange (core/frameRange.ts).
  const range = isObj(message.range) ? message.range : {};
  const start = num(range.start);
  const end = num(range.end);
  return {
    id: shard.shardId,
    state: shard.state,
    attempts: shard.attempts,
    error: shard.error ?? null,
    updatedAt: shard.updatedAt.toISOString(),
    counts: shard.counts,
    series: device === null ? null : { device, tag: str(message.tag) },
    frames: start === null || end === null ? null : { start, end },
  };
}

function pin(series: string | null, model: JsonValue | undefined): ModelPin {
  if (!isObj(model)) return { series, model: null, sha256: null };
  const name = str(model.name);
  const version = num(model.version);
  return { series, model: name === null ? null : `${name}@${version ?? '?'}`, sha256: str(model.sha256) };
}

/** The model versions a job pinned: per series (anomaly, stream) or its one style model (video). */
function modelPins(job: JobRecord, shards: readonly ShardRecord[]): ModelPin[] {
  const detail = detailOf(job);
  if (isObj(detail.pins)) return Object.entries(detail.pins).map(([key, m]) => pin(key.split('\0').join('/'), m));
  if (isObj(detail.model)) return [pin(null, detail.model)];
  const pins: ModelPin[] = [];
  for (const s of shards) {
    const message = isObj(s.detail) && isObj(s.detail.message) ? s.detail.message : {};
    const device = str(message.device);
    if (device !== null && isObj(message.models))
      for (const [tag, m] of Object.entries(message.models)) pins.push(pin(`${device}/${tag}`, m));
  }
  return pins;
}

function rowErrors(job: JobRecord): JobDetailView['errors']['rows'] {
  const errors = detailOf(job).errors;
  const byReason = isObj(errors) && isObj(errors.byReason) ? errors.byReason : {};
  return Object.entries(byReason).map(([reason, e]) => ({
    reason,
    count: isObj(e) ? (num(e.count) ?? 0) : 0,
    firstLines: isObj(e) && Array.isArray(e.firstRows) ? e.firstRows.filter((n) => typeof n === 'number') : [],
  }));
}

/** A job with its shards, errors, result files, summary and lineage; NotFoundError for an unknown id. */
export async function getJobDetail(
  deps: { ledger: JobLedger; blobs: BlobStore },
  jobId: string,
): Promise<JobDetailView> {
  const job = await deps.ledger.getJob(jobId);
  if (!job) throw new NotFoundError(`job ${jobId}`);
  const shards = await deps.ledger.listShards(jobId);
  const counts: Record<ShardState, number> = { pending: 0, running: 0, succeeded: 0, failed: 0 };
  for (const s of shards) counts[s.state] += 1;
  const ended = job.state === 'succeeded' || job.state === 'failed';
  const { container, name, etag } = job.input;
  return {
    job: jobView(job, counts),
    shards: shards.map(shardView),
    errors: {
      job: job.error ?? null,
      shards: shards
        .filter((s) => s.state === 'failed')
        .map((s) => ({ shardId: s.shardId, reason: s.error ?? 'unknown' })),
      rows: rowErrors(job),
    },
    files: await listResultFiles(deps.blobs, jobId),
    summary: ended ? await readSummary(deps.blobs, job) : null,
    lineage: {
      input: container && name && etag ? { container, name, etag } : null,
      models: modelPins(job, shards),
    },
  };
}
