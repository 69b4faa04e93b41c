/**
 * Assembles small standard-ONNX models (default domain only) from a GraphBuilder's nodes and
 * initializers: the pre/post-processing graphs, the toon demo model and the provider self-test.
 * Encoding is deterministic: the same arguments give the same bytes.
 */
import { GraphBuilder } from '../../onnx/graphBuilder.js';
import { encodeModel, type Dimension, type ValueInfo } from '../../onnx/onnxProto.js';

/** Default-domain opset of every model built here. */
export const OPSET = 17;
const IR_VERSION = 8;

export const ELEM_FLOAT = 1;
export const ELEM_UINT8 = 2;

/** A dimension: a fixed size, or a symbolic name for a dynamic one. */
export type GraphDim = number | string;

export interface GraphIo {
  readonly name: string;
  readonly elemType: number;
  readonly dims: readonly GraphDim[];
}

export interface GraphModelSpec {
  readonly name: string;
  readonly input: GraphIo;
  readonly output: GraphIo;
  /** Emits the nodes from `input` into `output`. */
  readonly emit: (b: GraphBuilder, input: string, output: string) => void;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly docString?: string;
  /** Default-domain opset; OPSET unless given (tests build older ones). */
  readonly opset?: number;
}

/** Builds and encodes a single-input, single-output model, at opset 17 unless `spec.opset` says otherwise. */
export function buildGraphModel(spec: GraphModelSpec): Buffer {
  const opset = spec.opset ?? OPSET;
  const b = new GraphBuilder(new Set([spec.input.name, spec.output.name]), spec.name, opset);
  spec.emit(b, spec.input.name, spec.output.name);
  return encodeModel({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: opset }],
    producerName: 'tessera',
    docString: spec.docString ?? '',
    metadataProps: Object.entries(spec.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: spec.name,
      node: b.nodes,
      initializer: b.initializers,
      input: [valueInfo(spec.input)],
      output: [valueInfo(spec.output)],
    },
  });
}

function valueInfo(io: GraphIo): ValueInfo {
  const dim = io.dims.map((d): Dimension => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name: io.name, type: { tensorType: { elemType: io.elemType, shape: { dim } } } };
}
