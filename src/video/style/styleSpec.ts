/**
 * What the frame stylizer needs to know about an image-to-image style model, read from its registry
 * record (inputs, outputs and metadata as `tessera models add` stores them):
 * - one float32 NCHW input with 3 channels, and a float32 NCHW output with 3 channels;
 * - channel order from metadata `color` (`rgb`, the default, or `bgr`);
 * - metadata `gamma`, if present, `srgb`: frames reach the model gamma-encoded, as decoded (a model
 *   that wants linear light, `linear`, is refused rather than fed the wrong values);
 * - value range from metadata `range` (`lo,hi`, default `0,255`), for the input and, unless
 *   `output_range` says otherwise, the output;
 * - a fixed spatial size when H and W are numbers (frames must arrive at that size), and the
 *   largest batch per run: a fixed batch dimension is used as is, a dynamic one gets `defaultMaxBatch`.
 * Anything else is a PermanentError naming the model and the reason.
 */
import { PermanentError } from '../../core/errors.js';
import type { Dim, TensorInfo } from '../../onnx/modelInfo.js';

export type ColorOrder = 'rgb' | 'bgr';

export interface StyleSpec {
  /** The model, for messages: the record's ref or name. */
  readonly label: string;
  readonly inputName: string;
  readonly outputName: string;
  readonly color: ColorOrder;
  /** Values the model takes for black..white, e.g. [0, 255] or [0, 1]. */
  readonly range: readonly [number, number];
  /** Values the model produces for black..white (metadata `output_range`, default `range`). */
  readonly outputRange: readonly [number, number];
  /** Present when the model's H and W are fixed: frames must arrive at exactly this size. */
  readonly fixedSize?: { readonly width: number; readonly height: number };
  /** Frames per session run. */
  readonly maxBatch: number;
  /** Present when the batch dimension is a number: every run must have exactly this many frames. */
  readonly fixedBatch?: number;
}

/** The registry's ModelVersion, or anything with the same inputs, outputs and metadata. */
export interface StyleModelRecord {
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  readonly metadata: Readonly<Record<string, string>>;
  readonly ref?: string;
  readonly name?: string;
}

export interface StyleSpecOptions {
  /** Frames per run when the batch dimension is dynamic. Default 4. */
  readonly defaultMaxBatch?: number;
}

export const DEFAULT_MAX_BATCH = 4;

export function styleSpecOf(record: StyleModelRecord, options: StyleSpecOptions = {}): StyleSpec {
  const label = record.ref ?? record.name ?? 'style model';
  const fail = (reason: string): never => {
    throw new PermanentError(`model ${label}: ${reason}`, { code: 'BadStyleModel' });
  };
  const defaultMaxBatch = options.defaultMaxBatch ?? DEFAULT_MAX_BATCH;
  if (!Number.isInteger(defaultMaxBatch) || defaultMaxBatch < 1)
    fail(`defaultMaxBatch must be a positive integer, got ${defaultMaxBatch}`);
  if (record.inputs.length !== 1) fail(`a style model takes exactly one input, this one has ${record.inputs.length}`);
  if (record.outputs.length < 1) fail('a style model needs an output');
  const input = record.inputs[0]!;
  const output = record.outputs[0]!;
  const inShape = imageShape(input, 'input', fail);
  const outShape = imageShape(output, 'output', fail);

  const color = colorOf(record.metadata.color, fail);
  gammaOf(record.metadata.gamma, fail);
  const range = rangeOf('range', record.metadata.range, [0, 255], fail);
  const outputRange = rangeOf('output_range', record.metadata.output_range, range, fail);

  const [batch, , height, width] = inShape;
  const fixedSize = fixedSizeOf(height, width, input.name, fail);
  if (fixedSize) {
    const [, , oh, ow] = outShape;
    if ((typeof oh === 'number' && oh !== fixedSize.height) || (typeof ow === 'number' && ow !== fixedSize.width)) {
      fail(
        `output ${output.name} is ${ow}x${oh}, the input ${fixedSize.width}x${fixedSize.height}: the stylizer needs the same size out as in`,
      );
    }
  }
  if (typeof batch === 'number' && batch < 1) fail(`input ${input.name} declares batch size ${batch}`);
  const fixedBatch = typeof batch === 'number' ? batch : undefined;
  const spec: StyleSpec = {
    label,
    inputName: input.name,
    outputName: output.name,
    color,
    range,
    outputRange,
    maxBatch: fixedBatch ?? defaultMaxBatch,
    ...(fixedSize ? { fixedSize } : {}),
    ...(fixedBatch !== undefined ? { fixedBatch } : {}),
  };
  return Object.freeze(spec);
}

type Fail = (reason: string) => never;

function imageShape(t: TensorInfo, role: string, fail: Fail): Dim[] {
  const layout = `${role} ${t.name} must be float32 [N,3,H,W] (NCHW, 3 channels)`;
  if (t.elemType !== 'float32') fail(`${layout}, it is ${t.elemType}`);
  if (!t.shape) return fail(`${layout}, its shape is not declared`);
  if (t.shape.length !== 4) fail(`${layout}, it has rank ${t.shape.length} [${t.shape.join(',')}]`);
  if (t.shape[1] !== 3) fail(`${layout}, dim 1 is ${t.shape[1] ?? 'unknown'} [${t.shape.join(',')}]`);
  for (const d of [t.shape[2], t.shape[3]]) {
    if (typeof d === 'number' && d < 1) fail(`${layout}, it declares a spatial size of ${d}`);
  }
  return t.shape;
}

function colorOf(value: string | undefined, fail: Fail): ColorOrder {
  if (value === undefined) return 'rgb';
  const v = value.trim().toLowerCase();
  if (v === 'rgb' || v === 'bgr') return v;
  return fail(`metadata color must be rgb or bgr, got ${JSON.stringify(value)}`);
}

function gammaOf(value: string | undefined, fail: Fail): void {
  const v = value?.trim().toLowerCase();
  if (v === undefined || v === 'srgb') return;
  if (v === 'linear')
    fail(
      'it takes linear-light frames (gamma=linear, e.g. from Image.ColorSpaceGamma=Linear) and the stylizer feeds gamma-encoded ones; register it with --meta gamma=srgb to run it on them anyway',
    );
  fail(`metadata gamma must be srgb or linear, got ${JSON.stringify(value)}`);
}

function rangeOf(
  key: string,
  value: string | undefined,
  fallback: readonly [number, number],
  fail: Fail,
): readonly [number, number] {
  if (value === undefined) return fallback;
  const parts = value.split(',').map((p) => p.trim());
  const [lo, hi] = parts.map(Number);
  if (
    parts.length !== 2 ||
    parts.some((p) => p === '') ||
    lo === undefined ||
    hi === undefined ||
    !Number.isFinite(lo) ||
    !Number.isFinite(hi) ||
    lo >= hi
  ) {
    return fail(`metadata ${key} must be "lo,hi" with lo < hi (e.g. "0,255" or "0,1"), got ${JSON.stringify(value)}`);
  }
  return Object.freeze([lo, hi] as const);
}

function fixedSizeOf(
  height: Dim | undefined,
  width: Dim | undefined,
  name: string,
  fail: Fail,
): StyleSpec['fixedSize'] {
  const hFixed = typeof height === 'number';
  const wFixed = typeof width === 'number';
  if (hFixed && wFixed) return Object.freeze({ width, height });
  if (hFixed !== wFixed)
    fail(`input ${name} fixes one spatial dimension and not the other ([H,W] = [${height},${width}]): not supported`);
  return undefined;
}
