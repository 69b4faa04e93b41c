import type { TimestampRange } from '../../core/timestamps.js';
import type { JobDeps } from '../jobDeps.js';

/** A registered model version, pinned for a job's lineage. */
export interface PinnedModel {
  readonly name: string;
  readonly version: number;
  readonly sha256: string;
  /** From the model's metadata (`window_seconds`); undefined when it has none. */
  readonly windowSeconds: number | undefined;
}

/** Finds the model of a series at planning time. */
export interface ModelCatalog {
  /** The latest version of `name`, or undefined when no such model is registered. */
  latest(name: string): Promise<PinnedModel | undefined>;
}

/** Scores feature rows with a pinned model version. Throws PermanentError for a corrupt or unfit model. */
export interface WindowScorer {
  /** The feature names the model expects, in order (from its `features` metadata). */
  features(model: PinnedModel): Promise<string[]>;
  score(
    model: PinnedModel,
    rows: Float32Array,
    nRows: number,
    nFeatures: number,
  ): Promise<{ scores: Float32Array; labels: Int32Array }>;
}

/** Knobs the anomaly job reads. */
export interface AnomalySettings {
  readonly modelPattern: string;
  readonly windowsPerShard: number;
  readonly planBufferRows: number;
  readonly errorBudget: number;
  readonly defaultWindowSeconds: number;
  readonly faultShardDelayMs: number;
  /** Rows with event times outside are rejected as out of range (none: any time is accepted). */
  readonly timestampRange?: TimestampRange;
}

/** The anomaly job's dependencies: the shared job ports (with the optional control queue) and its models. */
export interface AnomalyDeps extends JobDeps {
  readonly models: ModelCatalog;
  readonly scorer: WindowScorer;
  readonly settings: AnomalySettings;
  readonly now?: () => number;
}

export const JOB_KIND = 'anomaly';

/** Queue messages of the anomaly job. */
export type AnomalyMessage =
  | { readonly kind: 'plan'; readonly jobId: string }
  | {
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
  | { readonly kind: 'finish'; readonly jobId: string };
