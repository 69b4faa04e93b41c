/**
 * The conversions around a style model, emitted as nodes so that no pixel loop runs in JavaScript
 * (fusedStyleModel.ts splices them around the model's own graph, in the model's opset):
 * - PRE:  uint8 frames [N,H,W,3] (rgb24) → Transpose to NCHW → channel reverse when the model is
 *         BGR (Gather on axis 1: three block copies) → Cast to float32 → Mul to the model's range
 *         when it is not 0..255 → Add the range's low end when it is not 0.
 * - POST: float32 [N,3,H,W] → Sub the output range's low end when not 0 → Div by the range's step
 *         when it is not 1 → Clip to 0..255 → round half to even → Cast to uint8 (exact: the values
 *         are whole) → channel reverse when BGR → Transpose to [N,H,W,3].
 * Every op here exists from opset 7 on, so the wrapper works in whatever opset the model imports.
 * The transposes and the channel reverse run on uint8, a quarter of the bytes of float32.
 */
import { floatAttr, intAttr, intsAttr, type GraphBuilder } from '../../onnx/graphBuilder.js';
import { ELEM_FLOAT, ELEM_UINT8 } from './onnxGraph.js';
import type { StyleSpec } from './styleSpec.js';

export type Conversion = Pick<StyleSpec, 'color' | 'range' | 'outputRange'>;

/** 2^23: adding it to a float32 in [0, 2^23) rounds it to a whole number, half to even (IEEE). */
const ROUND_SHIFT = 8388608;

export function emitPre(b: GraphBuilder, spec: Conversion, input: string, output: string): void {
  let x = b.node('Transpose', [input], [intsAttr('perm', [0, 3, 1, 2])]);
  if (spec.color === 'bgr') x = reverseChannels(b, x);
  const [lo, hi] = spec.range;
  const steps: ((x: string, out?: string) => string)[] = [];
  if (hi - lo !== 255) steps.push((v, out) => b.node('Mul', [v, b.floats('scale', [], [(hi - lo) / 255])], [], out));
  if (lo !== 0) steps.push((v, out) => b.node('Add', [v, b.floats('low', [], [lo])], [], out));
  x = b.node('Cast', [x], [intAttr('to', ELEM_FLOAT)], steps.length === 0 ? output : undefined);
  steps.forEach((step, i) => {
    x = step(x, i === steps.length - 1 ? output : undefined);
  });
}

export function emitPost(b: GraphBuilder, spec: Conversion, input: string, output: string): void {
  let x = input;
  const [lo, hi] = spec.outputRange;
  if (lo !== 0) x = b.node('Sub', [x, b.floats('low', [], [lo])]);
  if (hi - lo !== 255) x = b.node('Div', [x, b.floats('scale', [], [(hi - lo) / 255])]);
  x = clip(b, x, 0, 255);
  if (b.opset >= 11) {
    x = b.node('Round', [x]);
  } else {
    const shift = b.floats('round_shift', [], [ROUND_SHIFT]);
    x = b.node('Sub', [b.node('Add', [x, shift]), shift]);
  }
  x = b.node('Cast', [x], [intAttr('to', ELEM_UINT8)]);
  if (spec.color === 'bgr') x = reverseChannels(b, x);
  b.node('Transpose', [x], [intsAttr('perm', [0, 2, 3, 1])], output);
}

/** Clip: bounds as attributes before opset 11, as inputs from 11 on. */
function clip(b: GraphBuilder, x: string, min: number, max: number): string {
  if (b.opset >= 11) return b.node('Clip', [x, b.floats('min', [], [min]), b.floats('max', [], [max])]);
  return b.node('Clip', [x], [floatAttr('min', min), floatAttr('max', max)]);
}

/** NCHW channel order 0,1,2 → 2,1,0. */
function reverseChannels(b: GraphBuilder, x: string): string {
  return b.node('Gather', [x, b.ints('bgr', [2, 1, 0])], [intAttr('axis', 1)]);
}
