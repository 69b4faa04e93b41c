/**
 * What the engine needs to know about a scoring model's interface, checked before a session exists:
 * one float32 input [N, F] with the feature count the caller expects, a float32 score output and,
 * optionally, an integer label output.
 */
import { PermanentError } from '../core/errors.js';
import type { ModelInfo, TensorInfo } from '../onnx/modelInfo.js';
import type { Model } from '../onnx/onnxProto.js';

export interface ScoringSignature {
  readonly inputName: string;
  readonly nFeatures: number;
  readonly scoreOutput: string;
  /** The model's label output (int32 or int64), if it has one. */
  readonly labelOutput: string | undefined;
  /**
   * True when the label output is exactly Cast(Sign(score)): an optimizing engine then derives labels
   * from the scores (the same values) and prunes the label branch from the session.
   */
  readonly labelIsSignOfScore: boolean;
}

const INTEGER_TYPES = new Set(['int64', 'int32']);

function describe(t: TensorInfo): string {
  return `${t.name} ${t.elemType} [${(t.shape ?? ['?']).map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

/**
 * @param label how to name the model in errors ('sensor@3').
 * @param expectedFeatures the feature count the caller will send; undefined skips that check.
 */
export function scoringSignature(
  label: string,
  info: ModelInfo,
  model: Model,
  expectedFeatures: number | undefined,
): ScoringSignature {
  const bad = (reason: string): PermanentError =>
    new PermanentError(`model ${label}: ${reason}`, { code: 'ModelSignatureMismatch' });
  const [input, ...extra] = info.inputs;
  if (!input || extra.length > 0)
    throw bad(`expected exactly one input, found ${info.inputs.length} (${info.inputs.map(describe).join('; ')})`);
  const want = `float32 [N, ${expectedFeatures ?? 'F'}]`;
  const featureDim = input.shape?.[1];
  if (input.elemType !== 'float32' || input.shape?.length !== 2 || typeof featureDim !== 'number') {
    throw bad(`input ${describe(input)} is not ${want}`);
  }
  if (expectedFeatures !== undefined && featureDim !== expectedFeatures)
    throw bad(`input ${describe(input)} is not ${want}`);

  const floats = info.outputs.filter((o) => o.elemType === 'float32');
  const score = floats.find((o) => o.name === 'scores') ?? floats[0];
  if (!score) throw bad(`no float32 score output among ${info.outputs.map(describe).join('; ')}`);
  const ints = info.outputs.filter((o) => INTEGER_TYPES.has(o.elemType));
  const labelOutput = (ints.find((o) => o.name === 'label') ?? ints[0])?.name;
  return {
    inputName: input.name,
    nFeatures: featureDim,
    scoreOutput: score.name,
    labelOutput,
    labelIsSignOfScore: labelOutput !== undefined && isSignOf(model, labelOutput, score.name),
  };
}

/** label = Cast(Sign(score)), nothing else in between. */
function isSignOf(model: Model, label: string, score: string): boolean {
  const nodes = model.graph?.node ?? [];
  const producer = (name: string) => nodes.find((n) => n.output?.includes(name));
  const cast = producer(label);
  if (cast?.opType !== 'Cast' || (cast.domain ?? '') !== '') return false;
  const sign = producer(cast.input?.[0] ?? '');
  return sign?.opType === 'Sign' && (sign.domain ?? '') === '' && sign.input?.[0] === score;
}
