/**
 * Reads the attributes of ai.onnx.ml Scaler and SVMRegressor nodes into plain numbers, and says
 * whether the standard-ONNX rewrite supports them (undefined: leave the node as it is).
 */
import { attributeValue, type Node } from './onnxProto.js';

export const ML_DOMAIN = 'ai.onnx.ml';

export interface ScalerParams {
  /** y = (x - offset) * scale; each has length 1 (broadcast) or the feature count. */
  readonly offset: readonly number[];
  readonly scale: readonly number[];
}

export interface SvmParams {
  readonly kernel: 'RBF' | 'LINEAR';
  readonly gamma: number;
  /** Row-major [nSupports, nFeatures]; empty for the linear mode (nSupports = 0). */
  readonly supportVectors: readonly number[];
  /** One per support vector; in the linear mode, one weight per feature. */
  readonly coefficients: readonly number[];
  readonly rho: number;
  readonly nSupports: number;
  readonly nFeatures: number;
}

export function isMl(node: Node, opType: string): boolean {
  return node.domain === ML_DOMAIN && node.opType === opType;
}

function text(node: Node, name: string): string | undefined {
  const s = attributeValue(node, name)?.s;
  return s === undefined ? undefined : Buffer.from(s).toString('utf8');
}

function floats(node: Node, name: string): number[] {
  return attributeValue(node, name)?.floats ?? [];
}

export function scalerParams(node: Node): ScalerParams | undefined {
  if (!isMl(node, 'Scaler') || node.input?.length !== 1 || node.output?.length !== 1) return undefined;
  const offset = floats(node, 'offset');
  const scale = floats(node, 'scale');
  const f = Math.max(offset.length, scale.length, 1);
  const ok = (v: number[]): boolean => v.length === 0 || v.length === 1 || v.length === f;
  if (!ok(offset) || !ok(scale)) return undefined;
  // An absent attribute means identity: offset 0, scale 1.
  return { offset: offset.length > 0 ? offset : [0], scale: scale.length > 0 ? scale : [1] };
}

/** SVMRegressor parameters, when the kernel and options are ones the rewrite reproduces exactly. */
export function svmParams(node: Node): SvmParams | undefined {
  if (!isMl(node, 'SVMRegressor') || node.input?.length !== 1 || node.output?.length !== 1) return undefined;
  const kernel = (text(node, 'kernel_type') ?? 'LINEAR').toUpperCase();
  const post = (text(node, 'post_transform') ?? 'NONE').toUpperCase();
  const oneClass = attributeValue(node, 'one_class')?.i ?? 0;
  if ((kernel !== 'RBF' && kernel !== 'LINEAR') || post !== 'NONE' || oneClass !== 0) return undefined;
  const supportVectors = floats(node, 'support_vectors');
  const coefficients = floats(node, 'coefficients');
  const rho = floats(node, 'rho');
  const nSupports = attributeValue(node, 'n_supports')?.i ?? 0;
  const gamma = floats(node, 'kernel_params')[0];
  if (gamma === undefined || rho.length > 1 || coefficients.length === 0) return undefined;
  if (kernel === 'RBF' && !(gamma >= 0)) return undefined;
  if (nSupports === 0) {
    // onnxruntime's linear mode: score = kernel(x, coefficients) + rho; reproduced for LINEAR only.
    if (kernel !== 'LINEAR' || supportVectors.length > 0) return undefined;
    return {
      kernel,
      gamma,
      supportVectors: [],
      coefficients,
      rho: rho[0] ?? 0,
      nSupports,
      nFeatures: coefficients.length,
    };
  }
  if (coefficients.length !== nSupports || supportVectors.length % nSupports !== 0 || supportVectors.length === 0)
    return undefined;
  const nFeatures = supportVectors.length / nSupports;
  return { kernel, gamma, supportVectors, coefficients, rho: rho[0] ?? 0, nSupports, nFeatures };
}

/** Expands a length-1 parameter to `n` entries. */
export function broadcastTo(values: readonly number[], n: number): number[] {
  return values.length === n ? [...values] : Array.from({ length: n }, () => values[0] ?? 0);
}
