import type { ModelCatalog, PinnedModel, WindowScorer } from '../../ports/models.js';
import type { TimestampRange } from '../../core/timestamps.js';
import type { JobDeps } from '../jobDeps.js';

/** Knobs the anomaly job reads. */
export interface AnomalySettings {
  readonly modelPattern: string;
  /** Windows per shard span; 0 chooses them from the work (shardSpans.ts). */
  readonly windowsPerShard: number;
  readonly planBufferRows: number;
  /** The workers that share a job's shards, as shard sizes are chosen. */
  readonly parallelism: number;
  readonly errorBudget: number;
  readonly faultShardDelayMs: number;
  /** Rows with event times outside are rejected as out of range (none: any time is accepted). */
  readonly timestampRange?: TimestampRange;
}

/** The anomaly job's dependencies: the shared job ports (with the optional control queue) and its models. */
export interface AnomalyDeps extends JobDeps {
  readonly models: ModelCatalog;
  readonly scorer: WindowScorer;
  readonly settings: AnomalySettings;
}

export const JOB_KIND = 'anomaly';

/** One shard of an anomaly job: one series' rows over whole windows, in `parts` part blobs. */
export interface ScoreMessage {
  readonly kind: 'score';
  readonly jobId: string;
  readonly shardId: string;
  readonly device: string;
  readonly tag: string;
  readonly model: PinnedModel;
  readonly windowSeconds: number;
  readonly parts: number;
  readonly rows: number;
}
