/**
 * What an ONNX file declares about itself, read without creating a session: checksum, inputs and
 * outputs, opsets, producer and metadata_props. Used by the registry (manifests) and the engine
 * (input validation).
 */
import { createHash } from 'node:crypto';
import { PermanentError } from '../core/errors.js';
import { decodeModel, metadataOf, type Model, type ValueInfo } from './onnxProto.js';

/** A dimension: a fixed size, a symbolic name, or null when the model leaves it unknown. */
export type Dim = number | string | null;

export interface TensorInfo {
  readonly name: string;
  /** onnxruntime's spelling: 'float32', 'int64', 'float64', ...; 'unknown' for non-tensor values. */
  readonly elemType: string;
  /** One entry per axis; null when the model does not declare a shape (rank unknown). */
  readonly shape: Dim[] | null;
}

export interface ModelInfo {
  /** Hex sha256 of the bytes as given. */
  readonly sha256: string;
  readonly size: number;
  readonly irVersion: number | undefined;
  readonly producer: { readonly name: string; readonly version: string };
  /** Opset version per domain; the default domain is spelled 'ai.onnx'. */
  readonly opsets: Readonly<Record<string, number>>;
  /** Graph inputs that are not initializers. */
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  /** The model's metadata_props. */
  readonly metadata: Readonly<Record<string, string>>;
  /** Distinct operators used by the top-level graph, as 'domain:OpType' ('ai.onnx:Sign'). */
  readonly operators: readonly string[];
}

const elemTypes: Readonly<Record<number, string>> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  16: 'bfloat16',
};

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function elemTypeName(code: number | undefined): string {
  return (code !== undefined ? elemTypes[code] : undefined) ?? 'unknown';
}

function tensorInfo(value: ValueInfo): TensorInfo {
  const tensorType = value.type?.tensorType;
  const dims = tensorType?.shape?.dim;
  const shape = tensorType?.shape === undefined ? null : (dims ?? []).map((d): Dim => d.dimValue ?? d.dimParam ?? null);
  return { name: value.name, elemType: elemTypeName(tensorType?.elemType), shape };
}

/** Decodes and describes a model. Garbage bytes or a model without a graph: PermanentError. */
export function inspectModel(bytes: Uint8Array): ModelInfo {
  const sha256 = sha256Hex(bytes);
  const model = decodeOrThrow(bytes, sha256);
  return describeModel(model, bytes.byteLength, sha256);
}

/** Describes an already decoded model (size and sha256 are those of its encoded bytes). */
export function describeModel(model: Model, size: number, sha256: string): ModelInfo {
  const graph = model.graph;
  if (!graph || (graph.output ?? []).length === 0) {
    throw new PermanentError(`model ${sha256.slice(0, 12)}: not an ONNX model (no graph or no graph outputs)`, {
      code: 'BadModel',
    });
  }
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  const opsets: Record<string, number> = {};
  for (const o of model.opsetImport ?? []) opsets[o.domain || 'ai.onnx'] = o.version ?? 1;
  const operators = [...new Set((graph.node ?? []).map((n) => `${n.domain || 'ai.onnx'}:${n.opType}`))];
  return {
    sha256,
    size,
    irVersion: model.irVersion,
    producer: { name: model.producerName ?? '', version: model.producerVersion ?? '' },
    opsets,
    inputs: (graph.input ?? []).filter((i) => !initializers.has(i.name)).map(tensorInfo),
    outputs: (graph.output ?? []).map(tensorInfo),
    metadata: metadataOf(model),
    operators,
  };
}

/** decodeModel, but any failure is a PermanentError that says why. */
export function decodeOrThrow(bytes: Uint8Array, sha256 = sha256Hex(bytes)): Model {
  if (bytes.byteLength === 0) throw new PermanentError('model: empty file', { code: 'BadModel' });
  try {
    return decodeModel(bytes);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new PermanentError(`model ${sha256.slice(0, 12)}: not an ONNX protobuf (${reason})`, {
      cause,
      code: 'BadModel',
    });
  }
}
