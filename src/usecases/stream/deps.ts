import type { ModelCatalog, PinnedModel, WindowScorer } from '../../ports/models.js';
import type { EventLog } from '../../ports/eventLog.js';
import type { JobDeps } from '../jobDeps.js';

export interface StreamDeps extends JobDeps {
  /** The event log the aggregator reads, and its consumer group (whose checkpoints say which batches are committed). */
  readonly events: EventLog;
  readonly consumerGroup: string;
  readonly models: ModelCatalog;
  readonly scorer: WindowScorer;
  readonly settings: { readonly modelPattern: string };
}

export const STREAM_JOB_KIND = 'stream';

/** One device's windows of a stream run: scored with its series' pinned models. */
export interface StreamScoreMessage {
  readonly kind: 'stream-score';
  readonly jobId: string;
  readonly shardId: string;
  readonly device: string;
  /** The part blob (container work) holding this device's windows, one JSON line each, with their batch. */
  readonly part: string;
  /** Model per tag; null when the series has no model. */
  readonly models: Readonly<Record<string, PinnedModel | null>>;
}

/** A window as a run carries it: with the batch it came from (`_pending/…` for one held back by an earlier run). */
export interface RunWindow {
  readonly batch: string;
  readonly window: import('../../core/windowStore.js').StoredWindow;
}
