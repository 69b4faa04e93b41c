/**
 * The window length of an anomaly model: metadata `window_seconds`, the length in seconds of the
 * tumbling windows it was trained on (`tessera train` writes it into the model). A one-class SVM
 * scores a window's features, so the same model on windows of another length scores nonsense (one
 * trained on 3600 s windows flagged 22,679 of 22,683 60 s windows): such a model is refused at
 * registration without it, and a registered one without it cannot be pinned for a job.
 */
import { InputError } from '../core/errors.js';

/** The model's `window_seconds` as a positive whole number, undefined when absent; a bad value is an InputError. */
export function windowSecondsOf(metadata: Readonly<Record<string, string>>, label: string): number | undefined {
  const raw = metadata.window_seconds;
  if (raw === undefined) return undefined;
  const seconds = Number(raw.trim());
  if (raw.trim() === '' || !Number.isInteger(seconds) || seconds <= 0)
    throw new InputError(label, `window_seconds must be a positive whole number of seconds, got "${raw}"`);
  return seconds;
}

/** Operators of a one-class SVM as skl2onnx exports it (and any libsvm SVM in ai.onnx.ml). */
const SVM_OPERATORS = ['ai.onnx.ml:SVMRegressor', 'ai.onnx.ml:SVMClassifier'];

/** Refuses a one-class SVM that does not say how long its windows are. */
export function requireWindowLength(
  name: string,
  operators: readonly string[],
  metadata: Readonly<Record<string, string>>,
): void {
  const label = `model ${name}`;
  if (windowSecondsOf(metadata, label) !== undefined) return;
  if (!operators.some((op) => SVM_OPERATORS.includes(op))) return;
  throw new InputError(
    label,
    'a one-class SVM scores windows of the length it was trained on, and this model does not say which ' +
      '(no window_seconds in its metadata): register it with --meta window_seconds=N, N the window length in seconds',
  );
}
