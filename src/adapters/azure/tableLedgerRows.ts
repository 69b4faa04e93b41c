/**
 * Entity shapes and keys of the Table job ledger (see tableJobLedger.ts for the key design).
 * counts, input and detail are JSON strings; whole numbers are Edm.Double so values past 2^31 fit;
 * dates are Edm.DateTime and come back as Date.
 */
import type { Edm, TableEntityResult } from '@azure/data-tables';
import type { JobRecord, JsonValue, NewShard, ShardRecord } from '../../ports/jobLedger.js';

/** The partition of every job row (by id and by creation time). */
export const JOBS_PARTITION = 'jobs';
/** RowKey range of the listing rows, newest first. */
export const LIST_PREFIX = 'ts_';

type Whole = number | Edm<'Double'>;
const whole = (value: number): Edm<'Double'> => ({ value, type: 'Double' });

export interface JobRow extends Omit<JobRecord, 'input' | 'counts' | 'detail' | 'etag' | 'error' | 'shardsTotal'> {
  readonly shardsTotal: Whole;
  readonly input: string;
  readonly counts: string;
  readonly detail: string;
  readonly error?: string;
  /** The port's ETag: shared by both rows of a job, replaced on every update. */
  readonly version: string;
  /** RowKey of the job's listing row. */
  readonly listKey: string;
}

export interface ShardRow extends Omit<ShardRecord, 'counts' | 'detail' | 'etag' | 'error' | 'attempts'> {
  readonly attempts: Whole;
  readonly counts: string;
  readonly detail: string;
  readonly error?: string;
}

export const jobRowKey = (jobId: string): string => `id_${key(jobId)}`;
export const shardPartition = (jobId: string): string => `shards_${key(jobId)}`;
export const shardRowKey = (shardId: string): string => key(shardId);

export function toJobRow(job: JobRecord, listKey: string): JobRow {
  return {
    jobId: job.jobId,
    kind: job.kind,
    state: job.state,
    input: JSON.stringify(job.input),
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    shardsTotal: whole(job.shardsTotal),
    counts: JSON.stringify(job.counts),
    detail: JSON.stringify(job.detail),
    ...(job.error === undefined ? {} : { error: job.error }),
    version: job.etag,
    listKey,
  };
}

export function fromJobRow(row: JobRow): JobRecord {
  return {
    jobId: row.jobId,
    kind: row.kind,
    state: row.state,
    input: JSON.parse(row.input) as Record<string, string>,
    createdAt: new Date(row.createdAt),
    updatedAt: new Date(row.updatedAt),
    shardsTotal: Number(row.shardsTotal),
    counts: JSON.parse(row.counts) as Record<string, number>,
    error: row.error ?? undefined,
    detail: JSON.parse(row.detail) as JsonValue,
    etag: row.version,
  };
}

export function newShardEntity(jobId: string, shard: NewShard, now: Date) {
  const row = toShardRow({
    jobId,
    shardId: shard.shardId,
    state: 'pending',
    attempts: 0,
    counts: { ...shard.counts },
    error: undefined,
    detail: shard.detail ?? null,
    updatedAt: now,
    etag: '',
  });
  return { partitionKey: shardPartition(jobId), rowKey: shardRowKey(shard.shardId), ...row };
}

export function toShardRow(shard: ShardRecord): ShardRow {
  return {
    jobId: shard.jobId,
    shardId: shard.shardId,
    state: shard.state,
    attempts: whole(shard.attempts),
    counts: JSON.stringify(shard.counts),
    detail: JSON.stringify(shard.detail),
    ...(shard.error === undefined ? {} : { error: shard.error }),
    updatedAt: shard.updatedAt,
  };
}

export function fromShardRow(jobId: string, row: TableEntityResult<ShardRow>): ShardRecord {
  return {
    jobId,
    shardId: row.shardId,
    state: row.state,
    attempts: Number(row.attempts),
    counts: JSON.parse(row.counts) as Record<string, number>,
    error: row.error ?? undefined,
    detail: JSON.parse(row.detail) as JsonValue,
    updatedAt: new Date(row.updatedAt),
    etag: row.etag,
  };
}

/** The patch's own keys whose value is defined (`error` is handled apart: undefined clears it). */
export function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([k, v]) => v !== undefined && k !== 'error')) as Partial<T>;
}

/** Escapes the characters Table keys forbid (and `%`, the escape itself). */
function key(id: string): string {
  return id.replace(/[%/\\#?\u0000-\u001f\u007f-\u009f]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

let lastMicros = 0n;
const MAX_MICROS = 10n ** 16n - 1n;

/**
 * Wall-clock creation time and the listing RowKey (inverted µs, so newest sorts first). Strictly
 * increasing within this process, so jobs created in the same millisecond keep their order.
 */
export function nextCreationTime(jobId: string): { date: Date; listKey: string } {
  let micros = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000));
  if (micros <= lastMicros) micros = lastMicros + 1n;
  lastMicros = micros;
  const inverted = (MAX_MICROS - micros).toString().padStart(16, '0');
  return { date: new Date(Number(micros / 1000n)), listKey: `${LIST_PREFIX}${inverted}_${key(jobId)}` };
}
