/**
 * Bench helper for the video job: where a style model's time goes per frame. Runs a FrameStylizer
 * (one session: PRE → model → POST, on its worker thread) over synthetic frames after a warm-up run,
 * and the bare model on a ready float32 NCHW tensor with the same threads and batch, and returns
 * per-frame milliseconds; the conversions' share comes from the profile of the stylizer's first run.
 * Run alone: `npx tsx bench/styleModel.ts [model.onnx] [frames] [batch]` (default: the mosaic fixture, 4 frames, batch 1).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as ort from 'onnxruntime-node';
import { inspectModel } from '../src/onnx/modelInfo.js';
import type { ExecutionProvider } from '../src/video/style/executionProvider.js';
import { createFrameStylizer } from '../src/video/style/frameStylizer.js';
import { styleSpecOf } from '../src/video/style/styleSpec.js';

export interface StyleModelBenchOptions {
  readonly modelPath: string;
  /** Overlaid on the model's own metadata, like `models add --meta`. */
  readonly metadata?: Record<string, string>;
  /** Frame size for dynamic models; fixed-size models use theirs. Default 720x720. */
  readonly width?: number;
  readonly height?: number;
  readonly frames?: number;
  readonly batch?: number;
  readonly executionProvider?: ExecutionProvider;
  readonly intraOpThreads?: number;
}

export interface StyleModelBench {
  readonly provider: string;
  readonly width: number;
  readonly height: number;
  readonly frames: number;
  readonly batch: number;
  /** Time in the stylizer's session runs (conversions included), per frame. */
  readonly modelMsPerFrame: number;
  /** (PRE + POST) / model nodes, in the profile of the stylizer's first run. */
  readonly conversionShare: number;
  /** Whole stylize() calls, frames per second. */
  readonly stylizerFps: number;
  /** The model alone on a ready float32 tensor, frames per second. */
  readonly bareModelFps: number;
}

/** The model's bytes and spec, and the frame size it runs at. */
function modelOf(options: StyleModelBenchOptions) {
  const bytes = readFileSync(options.modelPath);
  const info = inspectModel(bytes);
  const spec = styleSpecOf(
    { ...info, metadata: { ...info.metadata, ...options.metadata }, name: path.basename(options.modelPath) },
    { defaultMaxBatch: options.batch ?? 1 },
  );
  return {
    bytes,
    spec,
    width: spec.fixedSize?.width ?? options.width ?? 720,
    height: spec.fixedSize?.height ?? options.height ?? 720,
  };
}

export async function benchStyleModel(options: StyleModelBenchOptions): Promise<StyleModelBench> {
  const { bytes, spec, width, height } = modelOf(options);
  const n = options.frames ?? 4;
  const executionProvider = options.executionProvider ?? 'cpu';
  const stylizer = await createFrameStylizer(bytes, spec, {
    executionProvider,
    intraOpThreads: options.intraOpThreads,
    label: spec.label,
  });
  const frameBytes = width * height * 3;
  const frames = Uint8Array.from({ length: n * frameBytes }, (_, i) => (i * 7 + (i >> 11)) % 256);
  try {
    await stylizer.stylize(frames.subarray(0, frameBytes), 1, width, height); // warm-up
    const before = stylizer.timings;
    const started = performance.now();
    await stylizer.stylize(frames, n, width, height);
    const wall = performance.now() - started;
    const after = stylizer.timings;
    const model = (after.modelMs - before.modelMs) / n;
    const bareModelFps = await bareModel(
      bytes,
      spec.inputName,
      spec.maxBatch,
      n,
      width,
      height,
      executionProvider,
      options.intraOpThreads,
    );
    return {
      provider: stylizer.executionProvider,
      width,
      height,
      frames: n,
      batch: spec.maxBatch,
      modelMsPerFrame: model,
      conversionShare: stylizer.conversionShare ?? NaN,
      stylizerFps: (1000 * n) / wall,
      bareModelFps,
    };
  } finally {
    await stylizer.dispose();
  }
}

/**
 * The bare model alone, frames per second over `frames` frames (default 8): a float32 NCHW tensor
 * made ready beforehand, the same threads and batch as the stylizer, no conversion, no thread hop.
 */
export async function bareModelFps(options: StyleModelBenchOptions): Promise<number> {
  const { bytes, spec, width, height } = modelOf(options);
  return bareModel(
    bytes,
    spec.inputName,
    spec.maxBatch,
    options.frames ?? 8,
    width,
    height,
    options.executionProvider ?? 'cpu',
    options.intraOpThreads,
  );
}

async function bareModel(
  bytes: Uint8Array,
  input: string,
  batch: number,
  n: number,
  w: number,
  h: number,
  ep: ExecutionProvider,
  threads: number | undefined,
): Promise<number> {
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: [ep],
    graphOptimizationLevel: 'all',
    ...(threads ? { intraOpNumThreads: threads } : {}),
  });
  try {
    const tensor = new ort.Tensor(
      'float32',
      Float32Array.from({ length: batch * 3 * h * w }, (_, i) => i % 256),
      [batch, 3, h, w],
    );
    await session.run({ [input]: tensor });
    const runs = Math.max(1, Math.ceil(n / batch));
    const started = performance.now();
    for (let i = 0; i < runs; i++) await session.run({ [input]: tensor });
    return (1000 * runs * batch) / (performance.now() - started);
  } finally {
    await session.release();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const modelPath =
    process.argv[2] ?? path.resolve(import.meta.dirname, '../../shared/fixtures/models/style/mosaic.onnx');
  const result = await benchStyleModel({
    modelPath,
    metadata: modelPath.includes('/models/style/') && !modelPath.includes('johnson') ? { color: 'bgr' } : {},
    frames: Number(process.argv[3] ?? 4),
    batch: Number(process.argv[4] ?? 1),
  });
  console.log(JSON.stringify(result));
}
