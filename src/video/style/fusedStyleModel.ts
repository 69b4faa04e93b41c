/**
 * One ONNX model from a style model and its conversions: uint8 rgb24 frames [N,H,W,3] in, PRE
 * (conversionModels.ts), the model's own graph, POST, uint8 frames out. One session run per batch
 * then does everything: no float32 tensor crosses into JavaScript and no second session runs.
 *
 * The splice works on the protobuf encoding (wireFields.ts), so the model's bytes are kept as they
 * are, fields this project's schema does not know included. Only two things change in its graph:
 * the image input and the styled output are no longer graph inputs and outputs (PRE's last node now
 * produces the input; POST consumes the output), and the wrapper's nodes, initializers, input and
 * output are appended. Other outputs of the model are dropped. The opset is the model's own; every
 * wrapper op exists from opset 7 on. Wrapper names start with WRAPPER_PREFIX and are chosen not to
 * collide with any name in the model.
 */
import { GraphBuilder } from '../../onnx/graphBuilder.js';
import { decodeModel, encodeModel, type Model } from '../../onnx/onnxProto.js';
import { emitPost, emitPre } from './conversionModels.js';
import { ELEM_UINT8, type GraphDim } from './onnxGraph.js';
import type { StyleSpec } from './styleSpec.js';
import { lengthDelimited, stringField, wireFields } from './wireFields.js';

export const WRAPPER_PREFIX = 'tessera_style';

/** ModelProto.graph, GraphProto.input and GraphProto.output, ValueInfoProto.name (onnx.proto). */
const MODEL_GRAPH = 7;
const GRAPH_INPUT = 11;
const GRAPH_OUTPUT = 12;
const VALUE_INFO_NAME = 1;

export interface FusedStyleModel {
  readonly bytes: Buffer;
  /** The uint8 [N,H,W,3] input and output names. */
  readonly input: string;
  readonly output: string;
}

type Fusable = Pick<
  StyleSpec,
  'inputName' | 'outputName' | 'color' | 'range' | 'outputRange' | 'fixedSize' | 'fixedBatch'
>;

/** Throws (a plain Error with the reason) when the bytes are not a model with the spec's input and output. */
export function buildFusedStyleModel(modelBytes: Uint8Array, spec: Fusable): FusedStyleModel {
  const model = decodeModel(modelBytes);
  const opset = model.opsetImport?.find((o) => (o.domain ?? '') === '')?.version ?? 0;
  if (opset < 7)
    throw new Error(`the model imports default-domain opset ${opset || 'none'}; style models need opset 7 or later`);
  const b = new GraphBuilder(namesIn(model), WRAPPER_PREFIX, opset);
  const input = b.fresh('frames_in');
  const output = b.fresh('frames_out');
  emitPre(b, spec, input, spec.inputName);
  emitPost(b, spec, spec.outputName, output);
  const n: GraphDim = spec.fixedBatch ?? 'N';
  const h: GraphDim = spec.fixedSize?.height ?? 'H';
  const w: GraphDim = spec.fixedSize?.width ?? 'W';
  const frames = (name: string) => ({
    name,
    type: {
      tensorType: {
        elemType: ELEM_UINT8,
        shape: { dim: [n, h, w, 3].map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
  // The wrapper as a graph of its own; merged into the model's graph by concatenating encodings.
  const wrapper = wireFields(
    encodeModel({
      graph: { node: b.nodes, initializer: b.initializers, input: [frames(input)], output: [frames(output)] },
    }),
  );
  const wrapperGraph = wrapper.find((f) => f.field === MODEL_GRAPH)?.payload ?? new Uint8Array(0);

  const top = wireFields(modelBytes);
  const graphs = top.filter((f) => f.field === MODEL_GRAPH);
  if (graphs.length !== 1 || !graphs[0]?.payload)
    throw new Error(`the model has ${graphs.length} graph fields, expected 1`);
  const kept = wireFields(graphs[0].payload).filter((f) => {
    if (f.field !== GRAPH_INPUT && f.field !== GRAPH_OUTPUT) return true;
    const name = f.payload && stringField(f.payload, VALUE_INFO_NAME);
    return f.field === GRAPH_INPUT ? name !== spec.inputName : false;
  });
  const graph = Buffer.concat([...kept.map((f) => f.raw), wrapperGraph]);
  const bytes = Buffer.concat(top.map((f) => (f.field === MODEL_GRAPH ? lengthDelimited(MODEL_GRAPH, graph) : f.raw)));
  return { bytes, input, output };
}

/** Every name the model's graph uses: values, initializers and nodes. */
function namesIn(model: Model): Set<string> {
  const names = new Set<string>();
  const g = model.graph;
  for (const v of [...(g?.input ?? []), ...(g?.output ?? []), ...(g?.valueInfo ?? [])]) names.add(v.name);
  for (const t of g?.initializer ?? []) if (t.name) names.add(t.name);
  for (const node of g?.node ?? []) {
    for (const name of [...(node.input ?? []), ...(node.output ?? []), node.name ?? '']) if (name) names.add(name);
  }
  return names;
}
