export type JobState = 'planning' | 'running' | 'finishing' | 'succeeded' | 'failed';
export type ShardState = 'pending' | 'running' | 'succeeded' | 'failed';

export const TERMINAL_JOB_STATES: readonly JobState[] = ['succeeded', 'failed'];
export const TERMINAL_SHARD_STATES: readonly ShardState[] = ['succeeded', 'failed'];

/** JSON-serialisable detail attached to jobs and shards. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface JobRecord {
  readonly jobId: string;
  readonly kind: string;
  readonly state: JobState;
  /** Where the job came from, e.g. `{ container, name, etag }` of the input blob. */
  readonly input: Readonly<Record<string, string>>;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly shardsTotal: number;
  /** Free-form counters (rows, windows, errors...). */
  readonly counts: Readonly<Record<string, number>>;
  readonly error: string | undefined;
  readonly detail: JsonValue;
  readonly etag: string;
}

export interface ShardRecord {
  readonly jobId: string;
  readonly shardId: string;
  readonly state: ShardState;
  readonly attempts: number;
  readonly counts: Readonly<Record<string, number>>;
  readonly error: string | undefined;
  readonly detail: JsonValue;
  readonly updatedAt: Date;
  readonly etag: string;
}

export type NewJob = Pick<JobRecord, 'jobId' | 'kind' | 'input'> &
  Partial<Pick<JobRecord, 'state' | 'shardsTotal' | 'counts' | 'detail'>>;
export type JobPatch = Partial<Pick<JobRecord, 'state' | 'shardsTotal' | 'counts' | 'error' | 'detail'>>;
export type NewShard = Pick<ShardRecord, 'shardId'> & Partial<Pick<ShardRecord, 'counts' | 'detail'>>;
export type ShardPatch = Partial<Pick<ShardRecord, 'state' | 'attempts' | 'counts' | 'error' | 'detail'>>;

export interface JobQuery {
  readonly state?: JobState;
  readonly kind?: string;
  /** Newest first; at most this many. */
  readonly limit?: number;
}

/**
 * Job ledger port: jobs and their shards, with optimistic concurrency.
 *
 * Contract:
 * - `createJob` creates a job in state `planning` (unless given) and throws PreconditionFailedError
 *   if the job id exists. `getJob` returns undefined for an unknown id.
 * - `updateJob(jobId, patch, etag)` applies the patch only if the stored ETag equals `etag`,
 *   and returns the new record with a new ETag; otherwise it throws PreconditionFailedError and
 *   changes nothing. An unknown job throws NotFoundError. `counts` and `detail` in a patch replace
 *   the stored values whole.
 * - `addShards` creates the shards that do not exist yet (state `pending`) and leaves existing ones
 *   untouched, so planning can be re-run safely. It returns the number created.
 * - `updateShard` has the same ETag rule as `updateJob`.
 * - `listJobs` returns jobs newest first, filtered by state and kind.
 * - `listShards` returns a job's shards ordered by shard id; `countShards` returns how many shards
 *   of the job are in each state (all states present, zero when none).
 * - State is durable for durable adapters; several processes may share one ledger.
 */
export interface JobLedger {
  createJob(job: NewJob): Promise<JobRecord>;
  getJob(jobId: string): Promise<JobRecord | undefined>;
  updateJob(jobId: string, patch: JobPatch, etag: string): Promise<JobRecord>;
  listJobs(query?: JobQuery): Promise<JobRecord[]>;
  addShards(jobId: string, shards: readonly NewShard[]): Promise<number>;
  getShard(jobId: string, shardId: string): Promise<ShardRecord | undefined>;
  updateShard(jobId: string, shardId: string, patch: ShardPatch, etag: string): Promise<ShardRecord>;
  listShards(jobId: string, query?: { readonly state?: ShardState }): Promise<ShardRecord[]>;
  countShards(jobId: string): Promise<Record<ShardState, number>>;
  close(): Promise<void>;
}
