import type { JobRecord, JobState, JsonValue, ShardRecord, ShardState } from '../../ports/jobLedger.js';

/** Tables of the SQLite job ledger. `id` orders jobs created in the same millisecond. */
export const LEDGER_SCHEMA = `
CREATE TABLE IF NOT EXISTS ledger_jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  state TEXT NOT NULL,
  input TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  shards_total INTEGER NOT NULL,
  counts TEXT NOT NULL,
  error TEXT,
  detail TEXT NOT NULL,
  etag TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ledger_jobs_newest ON ledger_jobs (created_at DESC, id DESC);
CREATE TABLE IF NOT EXISTS ledger_shards (
  job_id TEXT NOT NULL,
  shard_id TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  counts TEXT NOT NULL,
  error TEXT,
  detail TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  etag TEXT NOT NULL,
  PRIMARY KEY (job_id, shard_id)
) WITHOUT ROWID;
`;

export interface JobRow {
  readonly job_id: string;
  readonly kind: string;
  readonly state: string;
  readonly input: string;
  readonly created_at: number;
  readonly updated_at: number;
  readonly shards_total: number;
  readonly counts: string;
  readonly error: string | null;
  readonly detail: string;
  readonly etag: string;
}

export interface ShardRow {
  readonly job_id: string;
  readonly shard_id: string;
  readonly state: string;
  readonly attempts: number;
  readonly counts: string;
  readonly error: string | null;
  readonly detail: string;
  readonly updated_at: number;
  readonly etag: string;
}

export function toJob(row: JobRow): JobRecord {
  return {
    jobId: row.job_id,
    kind: row.kind,
    state: row.state as JobState,
    input: JSON.parse(row.input) as Record<string, string>,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    shardsTotal: row.shards_total,
    counts: JSON.parse(row.counts) as Record<string, number>,
    error: row.error ?? undefined,
    detail: JSON.parse(row.detail) as JsonValue,
    etag: row.etag,
  };
}

export function toShard(row: ShardRow): ShardRecord {
  return {
    jobId: row.job_id,
    shardId: row.shard_id,
    state: row.state as ShardState,
    attempts: row.attempts,
    counts: JSON.parse(row.counts) as Record<string, number>,
    error: row.error ?? undefined,
    detail: JSON.parse(row.detail) as JsonValue,
    updatedAt: new Date(row.updated_at),
    etag: row.etag,
  };
}
