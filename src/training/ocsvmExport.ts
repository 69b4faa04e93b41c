/**
 * Writes a fitted one-class SVM as the ONNX graph skl2onnx emits for
 * `Pipeline(StandardScaler, OneClassSVM(kernel='rbf'))`:
 *   float_input [N,F] → Scaler (ai.onnx.ml) → SVMRegressor (ai.onnx.ml, RBF) → scores [N,1]
 *   scores → Sign → Cast(int64) → label [N,1]   (1 normal, -1 anomaly, 0 on the boundary)
 * Opsets '' 17 and 'ai.onnx.ml' 3, IR version 8, metadata `features` and `window_seconds`.
 */
import { InputError } from '../core/errors.js';
import {
  AttributeType,
  TensorDataType,
  encodeModel,
  type Attribute,
  type Model,
  type ValueInfo,
} from '../onnx/onnxProto.js';
import type { OcsvmFit } from './ocsvmTrainer.js';

export interface OcsvmExportOptions {
  /** Graph name, e.g. `ocsvm-<device>-<tag>`. */
  name: string;
  /** Feature names in input-column order; one per fitted feature. */
  features: string[];
  /** Window length the features were computed over. */
  windowSeconds: number;
}

/** Encodes the fit as an ONNX model (bytes). Throws InputError when the options do not match the fit. */
export function exportOcsvmOnnx(fit: OcsvmFit, options: OcsvmExportOptions): Buffer {
  const { name, features, windowSeconds } = options;
  if (name.trim() === '') throw new InputError('name', 'must not be empty');
  if (features.length !== fit.nFeatures) {
    throw new InputError('features', `${features.length} names for a model fitted on ${fit.nFeatures} features`);
  }
  if (features.some((f) => f === '' || f.includes(',')))
    throw new InputError('features', 'names must be non-empty and contain no comma');
  if (!Number.isFinite(windowSeconds) || windowSeconds <= 0)
    throw new InputError('windowSeconds', `must be positive, got ${windowSeconds}`);

  const model: Model = {
    irVersion: 8,
    opsetImport: [
      { domain: '', version: 17 },
      { domain: 'ai.onnx.ml', version: 3 },
    ],
    producerName: 'tessera',
    metadataProps: [
      { key: 'features', value: features.join(',') },
      { key: 'window_seconds', value: String(windowSeconds) },
    ],
    graph: {
      name,
      node: [
        {
          opType: 'Scaler',
          domain: 'ai.onnx.ml',
          input: ['float_input'],
          output: ['scaled'],
          attribute: [
            floats('offset', fit.mean),
            floats(
              'scale',
              Array.from(fit.std, (s) => 1 / s),
            ),
          ],
        },
        {
          opType: 'SVMRegressor',
          domain: 'ai.onnx.ml',
          input: ['scaled'],
          output: ['scores'],
          attribute: [
            floats('coefficients', fit.dualCoef),
            floats('kernel_params', [fit.gamma, 0, 3]),
            string('kernel_type', 'RBF'),
            int('n_supports', fit.nSupport),
            string('post_transform', 'NONE'),
            // SVMRegressor adds rho; libsvm subtracts it.
            floats('rho', [-fit.rho]),
            floats('support_vectors', fit.supportVectors),
          ],
        },
        { opType: 'Sign', input: ['scores'], output: ['float_prediction'] },
        {
          opType: 'Cast',
          input: ['float_prediction'],
          output: ['label'],
          attribute: [int('to', TensorDataType.INT64)],
        },
      ],
      input: [tensorInfo('float_input', TensorDataType.FLOAT, fit.nFeatures)],
      output: [tensorInfo('label', TensorDataType.INT64, 1), tensorInfo('scores', TensorDataType.FLOAT, 1)],
    },
  };
  return encodeModel(model);
}

function floats(name: string, values: ArrayLike<number>): Attribute {
  return { name, type: AttributeType.FLOATS, floats: Array.from(values) };
}

function int(name: string, i: number): Attribute {
  return { name, type: AttributeType.INT, i };
}

function string(name: string, s: string): Attribute {
  return { name, type: AttributeType.STRING, s: Buffer.from(s, 'utf8') };
}

/** A [N, width] tensor with a free batch dimension, as skl2onnx declares it. */
function tensorInfo(name: string, elemType: TensorDataType, width: number): ValueInfo {
  return { name, type: { tensorType: { elemType, shape: { dim: [{}, { dimValue: width }] } } } };
}
