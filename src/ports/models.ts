/** A registered anomaly model version, pinned for a job's lineage. */
export interface PinnedModel {
  readonly name: string;
  readonly version: number;
  readonly sha256: string;
  /** From the model's metadata (`window_seconds`): the catalog refuses to pin a model without it. */
  readonly windowSeconds: number;
}

/** Model catalog port: finds the model of a series at planning time. */
export interface ModelCatalog {
  /** The latest version of `name`, or undefined when no such model is registered. */
  latest(name: string): Promise<PinnedModel | undefined>;
}

/**
 * Window scorer port: scores feature rows with a pinned model version (its sha256 checked before it
 * is loaded). A corrupt or unfit model is a PermanentError naming it.
 */
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
