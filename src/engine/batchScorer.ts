/**
 * Runs a scoring session over row-major float32 rows in fixed-size batches, gathering one score and
 * one label per row.
 */
import type { Tensor } from 'onnxruntime-node';
import { PermanentError } from '../core/errors.js';
import { onnxRuntime } from '../onnx/onnxRuntime.js';
import { instruments } from '../telemetry/metrics.js';
import { inSpan } from '../telemetry/tracing.js';
import type { ScoringSignature } from './scoringSignature.js';

export interface ScoreResult {
  readonly scores: Float32Array;
  /** The model's label output, or the sign of the score (-1, 0, 1) when it has none. */
  readonly labels: Int32Array;
}

/** The subset of an onnxruntime session the scorer uses (a recording fake can stand in for it). */
export interface RunnableSession {
  run(feeds: Record<string, Tensor>, fetches: readonly string[]): Promise<Record<string, Tensor>>;
}

export interface BatchPlan {
  readonly batchSize: number;
  /** Take labels from the model's label output; otherwise they are the sign of the score. */
  readonly fetchLabels: boolean;
}

/** Scores `nRows` rows in batches, in one `onnx score` span. */
export function scoreInBatches(
  label: string,
  session: RunnableSession,
  signature: ScoringSignature,
  rows: Float32Array,
  nRows: number,
  plan: BatchPlan,
): Promise<ScoreResult> {
  const attributes = {
    'tessera.model': label,
    'tessera.rows': nRows,
    'tessera.batch_size': plan.batchSize,
    'tessera.batches': Math.ceil(nRows / plan.batchSize),
  };
  return inSpan('onnx score', { attributes }, async () => {
    const ort = await onnxRuntime();
    const f = signature.nFeatures;
    const { batchSize } = plan;
    const scores = new Float32Array(nRows);
    const labels = new Int32Array(nRows);
    const fetchLabel = plan.fetchLabels && signature.labelOutput !== undefined;
    const fetches = fetchLabel ? [signature.scoreOutput, signature.labelOutput ?? ''] : [signature.scoreOutput];
    for (let start = 0; start < nRows; start += batchSize) {
      const n = Math.min(batchSize, nRows - start);
      const input = new ort.Tensor('float32', rows.subarray(start * f, (start + n) * f), [n, f]);
      const out = await session.run({ [signature.inputName]: input }, fetches);
      const score = out[signature.scoreOutput];
      if (!score || score.data.length !== n) {
        throw new PermanentError(
          `model ${label}: output ${signature.scoreOutput} has ${score?.data.length ?? 0} values for ${n} rows`,
          {
            code: 'ModelSignatureMismatch',
          },
        );
      }
      scores.set(score.data as Float32Array, start);
      const labelTensor = fetchLabel ? out[signature.labelOutput ?? ''] : undefined;
      if (labelTensor && labelTensor.data.length === n) copyLabels(labelTensor.data, labels, start);
      else signLabels(scores, labels, start, n);
    }
    instruments().windows.add(nRows);
    return { scores, labels };
  });
}

function copyLabels(data: Tensor['data'], labels: Int32Array, start: number): void {
  if (data instanceof BigInt64Array) {
    for (let i = 0; i < data.length; i++) labels[start + i] = Number(data[i]);
  } else if (data instanceof Int32Array) {
    labels.set(data, start);
  }
}

function signLabels(scores: Float32Array, labels: Int32Array, start: number, n: number): void {
  for (let i = start; i < start + n; i++) {
    const s = scores[i] ?? 0;
    labels[i] = s > 0 ? 1 : s < 0 ? -1 : 0;
  }
}
