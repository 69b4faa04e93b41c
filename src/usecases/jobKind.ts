import type { JobRecord, JsonValue, ShardRecord } from '../ports/jobLedger.js';
import type { Logger } from '../ports/logger.js';

/** Counters kept on jobs and shards. */
export type Counts = Record<string, number>;
/** Facts kept in a job's detail. */
export type Detail = Record<string, JsonValue>;

/** A message that does one shard's work: every kind's names its job and shard. */
export interface ShardMessage {
  readonly kind: string;
  readonly jobId: string;
  readonly shardId: string;
}

/** What planning sees: the job, and the two writes it may make before its shards exist. */
export interface PlanContext {
  /** The job as it was when planning began (state `planning`). */
  readonly job: JobRecord;
  readonly log: Logger;
  readonly signal: AbortSignal | undefined;
  /**
   * Records choices on the job before any shard is recorded (the models pinned per series, the
   * window batches taken, the probe), so that a re-run after a crash plans the same shards.
   */
  pin(detail: Detail): Promise<void>;
  /** Shows that a long plan is alive (the reconciler leaves a planning job that moves alone). */
  heartbeat(counts: Counts): Promise<void>;
}

/** One shard of a plan: its message (which the ledger keeps, so a lost one can be sent again) and its first counts. */
export interface PlannedShard {
  readonly message: ShardMessage;
  readonly counts?: Counts;
}

/** What a kind's planning produced. */
export interface Plan {
  readonly shards: readonly PlannedShard[];
  /** Merged into the job's counts as it starts running. */
  readonly counts: Counts;
  /** Merged into the job's detail as it starts running. */
  readonly detail?: Detail;
  /** Fields for the `job planned` log line. */
  readonly log?: Record<string, unknown>;
}

/** What a shard's work sees: its job, its claimed shard record, and the pump's hooks. */
export interface ShardContext {
  readonly job: JobRecord;
  readonly shard: ShardRecord;
  readonly log: Logger;
  readonly signal: AbortSignal | undefined;
  /** Tells the worker that this shard's heavy part is over and its next message may begin (messagePump.ts). */
  readonly nextMayStart: (() => void) | undefined;
}

/** One shard's work: where its output goes, and how to make it. */
export interface ShardWork {
  /** The output blob in container `work`. When it exists (with its counts), the shard is not recomputed. */
  readonly output: string;
  /**
   * Computes the shard and writes `output` whole (written with `shardOutputMetadata(counts)`), or
   * writes nothing. Returns the shard's counts.
   */
  compute(): Promise<Counts>;
}

/** Decodes one shard message kind and says what its work is. */
export interface ShardHandler {
  /** Checks a body and narrows it; a malformed body is a PermanentError. */
  decode(body: unknown): ShardMessage;
  work(message: ShardMessage, ctx: ShardContext): ShardWork | Promise<ShardWork>;
}

/** What finishing sees: the job and its shards, every one terminal. */
export interface FinishContext {
  readonly job: JobRecord;
  readonly shards: readonly ShardRecord[];
  readonly succeeded: readonly ShardRecord[];
  readonly failed: readonly ShardRecord[];
  readonly log: Logger;
  readonly signal: AbortSignal | undefined;
}

/** How a kind's finish ends its job. */
export interface Ending {
  readonly state: 'succeeded' | 'failed';
  readonly error?: string;
  /** The kind's own fields of summary.json, after the ones every job has. */
  readonly summary: Detail;
  /** Merged into the job's counts. */
  readonly counts?: Counts;
}

/**
 * One kind of job, as the lifecycle (jobLifecycle.ts) runs it: only its compute. Claiming,
 * skipping, fan-in, ending under the ETag and the summary are the lifecycle's, the same for every kind.
 */
export interface JobKind {
  /** The kind's name in the ledger (`anomaly`, `video`, `stream`). */
  readonly name: string;
  /** Cuts the job into shards. A PermanentError fails the job with its message. */
  plan(ctx: PlanContext): Promise<Plan>;
  /** Shard work by message kind (`score`, `style`, `stream-score`). */
  readonly shards: Readonly<Record<string, ShardHandler>>;
  /**
   * Writes the job's results from its succeeded shards and says how it ends. A PermanentError fails
   * the job with its message.
   */
  finish(ctx: FinishContext): Promise<Ending>;
  /** Removes the job's working files once it has ended, whichever finish ended it. */
  cleanup?(job: JobRecord): Promise<void>;
}

/** A typed shard handler, as JobKind.shards holds it. */
export function shardHandler<M extends ShardMessage>(handler: {
  decode(body: unknown): M;
  work(message: M, ctx: ShardContext): ShardWork | Promise<ShardWork>;
}): ShardHandler {
  return handler;
}

/** The sum of one count over shards. */
export function sumCounts(shards: readonly ShardRecord[], key: string): number {
  return shards.reduce((n, s) => n + (s.counts[key] ?? 0), 0);
}
