/** Where trained models go (the model registry). */
export interface ModelSink {
  add(
    name: string,
    bytes: Uint8Array,
    options: { meta?: Record<string, string>; tags?: string[] },
  ): Promise<{ name: string; version: number; sha256: string }>;
}

export interface OcsvmTrainingOptions {
  /** Upper bound on the fraction of training errors, lower bound on the fraction of support vectors; in (0, 1]. */
  readonly nu: number;
  /** RBF gamma as scikit-learn takes it: a positive number, 'scale' (1 / (n_features * X.var())) or 'auto' (1 / n_features). */
  readonly gamma: number | 'scale' | 'auto';
  /** The model's name, and the metadata a scorer needs: its feature names (in column order) and window length. */
  readonly name: string;
  readonly features: readonly string[];
  readonly windowSeconds: number;
}

/**
 * Model trainer port: fits scikit-learn's `Pipeline(StandardScaler(), OneClassSVM(rbf))` to rows of
 * window features and exports it as ONNX (skl2onnx form, with `features` and `window_seconds`
 * metadata). Too few or degenerate rows, or a bad option, are an InputError.
 */
export interface ModelTrainer {
  trainOcsvm(
    rows: Float64Array,
    nFeatures: number,
    options: OcsvmTrainingOptions,
  ): Promise<{ readonly bytes: Uint8Array; readonly gamma: number; readonly supportVectors: number }>;
}
