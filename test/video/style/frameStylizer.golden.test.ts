/**
 * The golden test: the exact golden input through mosaic.onnx, registered as a user would with no
 * `--meta` (its own metadata says Image.BitmapPixelFormat=Bgr8, from which the registry infers
 * color=bgr; before, it had to be passed by hand), must reproduce Python onnxruntime's output (golden/skyline-t5-720.mosaic.png): max per-channel
 * difference ≤ 2, mean ≤ 0.5. Also: a batch of 2 equals two batches of 1, and the uint8 ↔ float
 * conversion nodes take a small fraction of the model's time. Four mosaic frames in all (~0.4 s each).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModelRegistry } from '../../../src/registry/modelRegistry.js';
import { createFrameStylizer, type FrameStylizer } from '../../../src/video/style/frameStylizer.js';
import { styleSpecOf } from '../../../src/video/style/styleSpec.js';
import { MemoryBlobStore } from '../../support/memoryBlobStore.js';
import { decodeRgb, diffRgb, goldenPath, styleModelPath, type RgbImage } from './rgbImage.js';

const SIDE = 720;

describe('frame stylizer against the Python onnxruntime golden (mosaic, 720x720)', () => {
  let stylizer: FrameStylizer;
  let input: RgbImage;
  let golden: RgbImage;
  let single: Uint8Array;

  beforeAll(async () => {
    const bytes = readFileSync(styleModelPath('mosaic'));
    const { record } = await createModelRegistry(new MemoryBlobStore()).add('mosaic', bytes);
    const spec = styleSpecOf(record);
    expect(spec.color).toBe('bgr');
    stylizer = await createFrameStylizer(bytes, spec, { executionProvider: 'cpu', label: 'mosaic@1' });
    input = await decodeRgb(goldenPath('skyline-t5-720.png'), SIDE, SIDE);
    golden = await decodeRgb(goldenPath('skyline-t5-720.mosaic.png'), SIDE, SIDE);
  });
  afterAll(async () => stylizer?.dispose());

  it('matches the golden output within max 2 and mean 0.5', async () => {
    single = await stylizer.stylize(input.data, 1, SIDE, SIDE);
    const diff = diffRgb(single, golden.data);
    console.info(`golden diff: max per channel ${diff.maxPerChannel.join('/')} (R/G/B), mean ${diff.mean.toFixed(4)}`);
    expect(diff.max).toBeLessThanOrEqual(2);
    expect(diff.mean).toBeLessThanOrEqual(0.5);
    expect(Object.keys(stylizer.placement ?? {})).toEqual(['CPUExecutionProvider']);
  });

  it('gives a batch of 2 the same output as two batches of 1', async () => {
    const frameBytes = SIDE * SIDE * 3;
    const mirrored = input.data.slice().reverse(); // another real image: the golden rotated 180° (and BGR)
    const pair = new Uint8Array(2 * frameBytes);
    pair.set(input.data);
    pair.set(mirrored, frameBytes);
    const batched = await stylizer.stylize(pair, 2, SIDE, SIDE);
    const second = await stylizer.stylize(mirrored, 1, SIDE, SIDE);
    expect(Buffer.compare(batched.subarray(0, frameBytes), single)).toBe(0);
    expect(Buffer.compare(batched.subarray(frameBytes), second)).toBe(0);
  });

  it("spends a small fraction of the model time converting uint8 ↔ float32 NCHW (onnxruntime's profile of the first run)", () => {
    const t = stylizer.timings;
    expect(t).toMatchObject({ frames: 4, runs: 3 });
    const share = stylizer.conversionShare ?? NaN;
    console.info(
      `per 720x720 frame: ${(t.modelMs / t.frames).toFixed(1)} ms in the session; conversion nodes = ${(100 * share).toFixed(1)}% of the model's nodes`,
    );
    expect(share).toBeGreaterThan(0);
    expect(share).toBeLessThan(0.15);
  });
});
