import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { PermanentError } from '../../../src/core/errors.js';
import { inspectModel } from '../../../src/onnx/modelInfo.js';
import { createFrameStylizer, type FrameStylizer } from '../../../src/video/style/frameStylizer.js';
import { ELEM_FLOAT, buildGraphModel, type GraphDim } from '../../../src/video/style/onnxGraph.js';
import { styleSpecOf } from '../../../src/video/style/styleSpec.js';
import { buildToonModel } from '../../../src/video/style/toonModel.js';
import { styleModelPath } from './rgbImage.js';

type Emit = Parameters<typeof buildGraphModel>[0]['emit'];

/** A [N,3,H,W] → [N,3,H,W] test model. */
function model(emit: Emit, dims: GraphDim[] = ['N', 3, 'H', 'W'], opset?: number): Buffer {
  return buildGraphModel({
    name: 'test',
    input: { name: 'x', elemType: ELEM_FLOAT, dims },
    output: { name: 'y', elemType: ELEM_FLOAT, dims },
    emit,
    opset,
  });
}

const identity = (dims?: GraphDim[]): Buffer => model((b, x, y) => b.node('Identity', [x], [], y), dims);
/** Every output channel = input channel 0 (what the model sees first: R for rgb, B for bgr). */
const firstChannel = model((b, x, y) =>
  b.node('Conv', [x, b.floats('w', [3, 3, 1, 1], [1, 0, 0, 1, 0, 0, 1, 0, 0])], [], y),
);
const plus = (k: number, opset?: number): Buffer =>
  model((b, x, y) => b.node('Add', [x, b.floats('k', [], [k])], [], y), undefined, opset);

const open: FrameStylizer[] = [];
async function stylizer(
  bytes: Uint8Array,
  metadata: Record<string, string> = {},
  label = 'test@1',
  defaultMaxBatch?: number,
): Promise<FrameStylizer> {
  const info = inspectModel(bytes);
  const s = await createFrameStylizer(
    bytes,
    styleSpecOf(
      { ...info, metadata: { ...info.metadata, ...metadata }, ref: label },
      defaultMaxBatch ? { defaultMaxBatch } : undefined,
    ),
    {
      executionProvider: 'cpu',
      intraOpThreads: 1,
      label,
    },
  );
  open.push(s);
  return s;
}
afterAll(async () => {
  await Promise.all(open.map((s) => s.dispose()));
});

/** n frames of w x h rgb24 with varied bytes. */
function frames(n: number, w: number, h: number, seed = 1): Uint8Array {
  return Uint8Array.from({ length: n * w * h * 3 }, (_, i) => (i * 31 + seed * 17 + (i >> 7)) % 256);
}

describe('createFrameStylizer', () => {
  it('round-trips frames exactly through an identity model, in every colour order and range', async () => {
    const input = frames(5, 7, 3);
    const metadatas: Record<string, string>[] = [
      {},
      { color: 'bgr' },
      { range: '0,1' },
      { color: 'bgr', range: '-1,1' },
    ];
    for (const metadata of metadatas) {
      const s = await stylizer(identity(), metadata);
      expect(s.executionProvider).toBe('CPUExecutionProvider');
      expect(s.placement).toBeUndefined();
      expect(await s.stylize(input, 5, 7, 3)).toEqual(input);
      // First run only; the optimizer removes an Identity, so the conversions' nodes are what ran.
      expect(Object.keys(s.placement ?? {})).toEqual(['CPUExecutionProvider']);
      expect(s.timings).toMatchObject({ frames: 5, runs: 2 }); // maxBatch 4: 4 + 1
    }
  });

  it('feeds the model the channel order of its metadata', async () => {
    const pixel = Uint8Array.from([10, 20, 30, 40, 50, 60]); // two pixels, rgb
    expect(await (await stylizer(firstChannel)).stylize(pixel, 1, 2, 1)).toEqual(
      Uint8Array.from([10, 10, 10, 40, 40, 40]),
    );
    expect(await (await stylizer(firstChannel, { color: 'bgr' })).stylize(pixel, 1, 2, 1)).toEqual(
      Uint8Array.from([30, 30, 30, 60, 60, 60]),
    );
  });

  // Opset 17 rounds with Round and clips with inputs; opset 7 (the fixtures' opset) has neither, so
  // the wrapper clips with attributes and rounds by adding and subtracting 2^23.
  it.each([17, 7])('rounds half to even and clamps to 0..255 (a model in opset %i)', async (opset) => {
    const values = Uint8Array.from([0, 1, 2, 3, 4, 5, 254, 255, 100]);
    expect(await (await stylizer(plus(0.5, opset))).stylize(values, 1, 3, 1)).toEqual(
      Uint8Array.from([0, 2, 2, 4, 4, 6, 254, 255, 100]),
    );
    expect(await (await stylizer(plus(-0.5, opset))).stylize(values, 1, 3, 1)).toEqual(
      Uint8Array.from([0, 0, 2, 2, 4, 4, 254, 254, 100]),
    );
    expect(await (await stylizer(plus(300, opset))).stylize(values, 1, 3, 1)).toEqual(new Uint8Array(9).fill(255));
    expect(await (await stylizer(plus(-300, opset))).stylize(values, 1, 3, 1)).toEqual(new Uint8Array(9));
  });

  it('pads the last run of a model with a fixed batch of 2 and drops the padding', async () => {
    const s = await stylizer(identity([2, 3, 'H', 'W']));
    expect(s.spec).toMatchObject({ maxBatch: 2, fixedBatch: 2 });
    const input = frames(3, 5, 4);
    expect(await s.stylize(input, 3, 5, 4)).toEqual(input);
    expect(s.timings).toMatchObject({ frames: 3, runs: 2 });
  });

  it('runs the johnson random-weights model (batch fixed at 1) at a dynamic 64x48', async () => {
    const s = await stylizer(readFileSync(styleModelPath('johnson-fullwidth-randomweights')), {}, 'johnson@1');
    expect(s.spec).toMatchObject({ inputName: 'input1', maxBatch: 1, color: 'rgb' });
    const out = await s.stylize(frames(2, 64, 48), 2, 64, 48);
    expect(out.length).toBe(2 * 64 * 48 * 3);
    expect(new Set(out).size).toBeGreaterThan(1);
    expect(s.timings.runs).toBe(2);
  });

  it('runs its thread from the sources through tsx where TESSERA_COMPILED_CHILDREN is unset (the suite sets it)', async () => {
    vi.stubEnv('TESSERA_COMPILED_CHILDREN', '');
    try {
      const s = await stylizer(identity());
      const input = frames(2, 8, 4);
      expect(await s.stylize(input, 2, 8, 4)).toEqual(input);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('runs the built-in toon model at any size', async () => {
    const s = await stylizer(buildToonModel(), {}, 'toon@1');
    for (const [w, h] of [
      [64, 48],
      [33, 17],
    ] as const) {
      expect((await s.stylize(frames(3, w, h), 3, w, h)).length).toBe(3 * w * h * 3);
    }
  });

  it('rejects frames that do not match a fixed-size model or the declared layout', async () => {
    const s = await stylizer(identity([1, 3, 8, 6]));
    expect(s.spec.fixedSize).toEqual({ width: 6, height: 8 });
    await expect(s.stylize(frames(1, 8, 6), 1, 8, 6)).rejects.toMatchObject({
      code: 'FrameSizeMismatch',
      message: expect.stringMatching(/takes 6x8 frames, got 8x6/),
    });
    await expect(s.stylize(frames(1, 6, 8), 2, 6, 8)).rejects.toMatchObject({ code: 'BadInput' });
    await expect(s.stylize(frames(1, 6, 8), 1.5, 6, 8)).rejects.toBeInstanceOf(PermanentError);
    expect(await s.stylize(new Uint8Array(0), 0, 6, 8)).toEqual(new Uint8Array(0));
  });

  it('takes given frames to its thread without a copy when one run holds them all, and copies otherwise', async () => {
    const s = await stylizer(identity(), {}, 'test@1', 2);
    expect(s.spec.maxBatch).toBe(2);
    const kept = frames(2, 4, 4);
    expect(await s.stylize(kept, 2, 4, 4)).toEqual(frames(2, 4, 4));
    expect(kept).toEqual(frames(2, 4, 4)); // not given: the caller's array stays usable
    const given = frames(2, 4, 4);
    expect(await s.stylize(given, 2, 4, 4, true)).toEqual(frames(2, 4, 4));
    expect(given.length).toBe(0); // moved
    const split = frames(3, 4, 4);
    expect(await s.stylize(split, 3, 4, 4, true)).toEqual(frames(3, 4, 4));
    expect(split).toEqual(frames(3, 4, 4)); // two runs: each a copy of part of it
  });

  it('queues concurrent calls on its session in order, and profiles the first run alone', async () => {
    const s = await stylizer(identity(), {}, 'test@1', 1);
    const inputs = [1, 2, 3, 4].map((seed) => frames(1, 6, 5, seed));
    const outs = await Promise.all(inputs.map((f) => s.stylize(f, 1, 6, 5)));
    expect(outs).toEqual(inputs);
    expect(s.timings).toMatchObject({ frames: 4, runs: 4 });
    const alone = await stylizer(identity(), {}, 'test@1', 1);
    await alone.stylize(frames(1, 6, 5), 1, 6, 5);
    expect(s.placement).toEqual(alone.placement); // the first run's node events only, not the runs queued behind it
  });

  it('a first run that fails does not stop the next one becoming the profiled first', async () => {
    // Runs only on 4x4 frames: onnxruntime itself refuses the 6x5 run.
    const only4x4 = model(
      (b, x, y) =>
        b.node('Reshape', [b.node('Reshape', [x, b.ints('flat', [1, 48])]), b.ints('square', [1, 3, 4, 4])], [], y),
      [1, 3, 'H', 'W'],
    );
    const s = await stylizer(only4x4);
    const [bad, good] = await Promise.allSettled([
      s.stylize(frames(1, 6, 5), 1, 6, 5),
      s.stylize(frames(1, 4, 4), 1, 4, 4),
    ]);
    expect(bad).toMatchObject({
      status: 'rejected',
      reason: expect.objectContaining({ message: expect.stringMatching(/Reshape|reshape|shape/) }),
    });
    expect(good).toMatchObject({ status: 'fulfilled', value: frames(1, 4, 4) });
    expect(Object.keys(s.placement ?? {})).toEqual(['CPUExecutionProvider']);
  });

  it('fails with the model name when onnxruntime cannot load the bytes', async () => {
    const spec = styleSpecOf({ ...inspectModel(identity()), ref: 'broken@2' });
    await expect(
      createFrameStylizer(Buffer.from('not a model'), spec, { executionProvider: 'cpu', label: 'broken@2' }),
    ).rejects.toMatchObject({
      code: 'BadModel',
      message: expect.stringMatching(/^model broken@2: onnxruntime cannot load it/),
    });
  });

  it('refuses to run after dispose', async () => {
    const s = await stylizer(identity());
    await s.dispose();
    await expect(s.stylize(frames(1, 2, 2), 1, 2, 2)).rejects.toMatchObject({ code: 'StylizerDisposed' });
  });
});
