/**
 * Tessera's own built-in demo style model: a "toon" filter made of convolutions, generated here so
 * the video job runs from the repository alone. input `image` float32 [N,3,H,W] RGB 0..255, output
 * `styled` the same shape; N, H and W are dynamic (any size from 1x1). The graph:
 *   1. 5x5 binomial blur, depthwise (Conv group=3) after edge padding, so borders are not darkened;
 *   2. colour quantisation to 8 levels per channel: Floor(x/32)·32 + 16;
 *   3. Sobel gradient magnitude of the blurred luminance (Rec. 601 weights), in 0..255 units per pixel;
 *   4. ink: the quantised colour times a factor going from 1 (gradient ≤ 12) down to 0.15 (gradient ≥ 48);
 *   5. Clip 0..255.
 * The bytes are deterministic: every build is identical.
 */
import { intAttr, type GraphBuilder } from '../../onnx/graphBuilder.js';
import { AttributeType } from '../../onnx/onnxProto.js';
import { ELEM_FLOAT, buildGraphModel } from './onnxGraph.js';

export const TOON_INPUT = 'image';
export const TOON_OUTPUT = 'styled';

const BINOMIAL = [1, 4, 6, 4, 1];
const STEP = 32;
const LUMA = [0.299, 0.587, 0.114];
/** Sobel kernels divided by 4: a step of d between flat regions has gradient d before blurring. */
const SOBEL_X = [-1, 0, 1, -2, 0, 2, -1, 0, 1].map((v) => v / 4);
const SOBEL_Y = [-1, -2, -1, 0, 0, 0, 1, 2, 1].map((v) => v / 4);
const EDGE_LOW = 12;
const EDGE_HIGH = 48;
const INK = 0.85;

export function buildToonModel(): Buffer {
  return buildGraphModel({
    name: 'tessera_toon',
    input: { name: TOON_INPUT, elemType: ELEM_FLOAT, dims: ['N', 3, 'H', 'W'] },
    output: { name: TOON_OUTPUT, elemType: ELEM_FLOAT, dims: ['N', 3, 'H', 'W'] },
    docString: 'Tessera built-in demo style: edge-aware toon filter (blur, colour quantisation, Sobel ink lines).',
    metadata: {
      color: 'rgb',
      range: '0,255',
      description:
        'Toon filter: 5x5 blur, 8-level colour quantisation, dark lines where the luminance gradient is strong. Built by tessera, deterministic.',
      author: 'tessera',
      license: 'MIT',
    },
    emit: emitToon,
  });
}

function emitToon(b: GraphBuilder, image: string, styled: string): void {
  const blurKernel = BINOMIAL.flatMap((r) => BINOMIAL.map((c) => (r * c) / 256));
  const blurred = b.node(
    'Conv',
    [edgePad(b, image, 2), b.floats('blur', [3, 1, 5, 5], [...blurKernel, ...blurKernel, ...blurKernel])],
    [intAttr('group', 3)],
  );

  const levels = b.node('Floor', [b.node('Mul', [blurred, b.floats('inv_step', [], [1 / STEP])])]);
  const quantised = b.node('Add', [
    b.node('Mul', [levels, b.floats('step', [], [STEP])]),
    b.floats('half_step', [], [STEP / 2]),
  ]);

  const luma = b.node('Conv', [blurred, b.floats('luma', [1, 3, 1, 1], LUMA)]);
  const gradient = b.node('Conv', [edgePad(b, luma, 1), b.floats('sobel', [2, 1, 3, 3], [...SOBEL_X, ...SOBEL_Y])]);
  const squares = b.node('Mul', [gradient, gradient]);
  const magnitude = b.node('Sqrt', [
    b.node('ReduceSum', [squares, b.ints('channel_axis', [1])], [intAttr('keepdims', 1)]),
  ]);

  // factor = clip(1 + INK·(LOW - m)/(HIGH - LOW), 1 - INK, 1)
  const slope = INK / (EDGE_HIGH - EDGE_LOW);
  const ramp = b.node('Add', [
    b.node('Mul', [magnitude, b.floats('ink_slope', [], [-slope])]),
    b.floats('ink_offset', [], [1 + slope * EDGE_LOW]),
  ]);
  const factor = b.node('Clip', [ramp, b.floats('ink_min', [], [1 - INK]), b.floats('ink_max', [], [1])]);
  const inked = b.node('Mul', [quantised, factor]);
  b.node('Clip', [inked, b.floats('min', [], [0]), b.floats('max', [], [255])], [], styled);
}

/** Replicates the border `p` pixels on each side of H and W. */
function edgePad(b: GraphBuilder, x: string, p: number): string {
  const mode = { name: 'mode', type: AttributeType.STRING, s: Buffer.from('edge', 'utf8') };
  return b.node('Pad', [x, b.ints('pads', [0, 0, p, p, 0, 0, p, p])], [mode]);
}
