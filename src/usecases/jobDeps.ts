import type { BlobStore } from '../ports/blobStore.js';
import type { JobLedger } from '../ports/jobLedger.js';
import type { Logger } from '../ports/logger.js';
import { noTelemetry, type Telemetry } from '../ports/telemetry.js';
import type { WorkQueue } from '../ports/workQueue.js';

/** What every job kind's use cases need: the three ports and a logger. */
export interface JobDeps {
  readonly blobs: BlobStore;
  /** Shard work: consumed by the scorer workers. */
  readonly queue: WorkQueue;
  /**
   * Plan and finish messages, when they go elsewhere than shard work (in Azure: a `control` queue
   * the Functions app consumes, so GPU workers only ever see shards). Locally: the same queue.
   */
  readonly control?: WorkQueue;
  readonly ledger: JobLedger;
  readonly log: Logger;
  /** Spans and work counters; none when absent. */
  readonly telemetry?: Telemetry;
}

/** The telemetry a use case reports to. */
export function telemetryOf(deps: { readonly telemetry?: Telemetry }): Telemetry {
  return deps.telemetry ?? noTelemetry;
}

/** The queue that carries plan and finish messages. */
export function lifecycleQueue(deps: Pick<JobDeps, 'queue' | 'control'>): WorkQueue {
  return deps.control ?? deps.queue;
}

/** Messages every job kind shares: planning and finishing (dispatched by the job's kind). */
export type LifecycleMessage =
  { readonly kind: 'plan'; readonly jobId: string } | { readonly kind: 'finish'; readonly jobId: string };

/** A message that does one shard's work. */
export interface ShardMessage {
  readonly kind: string;
  readonly jobId: string;
  readonly shardId: string;
}
