import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectModel } from '../../../src/onnx/modelInfo.js';
import { TOON_INPUT, TOON_OUTPUT, buildToonModel } from '../../../src/video/style/toonModel.js';

describe('buildToonModel', () => {
  let session: ort.InferenceSession;
  beforeAll(async () => {
    session = await ort.InferenceSession.create(buildToonModel(), { executionProviders: ['cpu'] });
  });
  afterAll(async () => session.release());

  /** Runs one planar RGB [1,3,h,w] frame whose value at (c, y, x) is `pixel(c, y, x)`. */
  async function run(w: number, h: number, pixel: (c: number, y: number, x: number) => number): Promise<Float32Array> {
    const data = new Float32Array(3 * h * w);
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[(c * h + y) * w + x] = pixel(c, y, x);
    const out = await session.run({ [TOON_INPUT]: new ort.Tensor('float32', data, [1, 3, h, w]) });
    const styled = out[TOON_OUTPUT]!;
    expect(styled.dims).toEqual([1, 3, h, w]);
    return styled.data as Float32Array;
  }

  it('is deterministic, dynamic in N/H/W and carries its metadata', () => {
    const a = buildToonModel();
    expect(Buffer.compare(a, buildToonModel())).toBe(0);
    const info = inspectModel(a);
    expect(info.inputs).toEqual([{ name: 'image', elemType: 'float32', shape: ['N', 3, 'H', 'W'] }]);
    expect(info.outputs).toEqual([{ name: 'styled', elemType: 'float32', shape: ['N', 3, 'H', 'W'] }]);
    expect(info.metadata).toMatchObject({ color: 'rgb', author: 'tessera', license: 'MIT' });
    expect(info.metadata.description).toMatch(/toon/i);
  });

  it.each([
    [64, 48],
    [33, 17],
  ])('keeps a flat %ix%i image flat, borders included', async (w, h) => {
    const out = await run(w, h, (c) => [90, 150, 210][c]!);
    for (let c = 0; c < 3; c++) {
      const plane = out.subarray(c * w * h, (c + 1) * w * h);
      expect(Math.max(...plane) - Math.min(...plane)).toBeLessThanOrEqual(1);
    }
  });

  it.each([
    [64, 48],
    [33, 17],
  ])('darkens a vertical edge in a %ix%i image', async (w, h) => {
    const edge = Math.floor(w / 2);
    const out = await run(w, h, (_c, _y, x) => (x < edge ? 60 : 200));
    const y = Math.floor(h / 2);
    const at = (x: number): number => out[y * w + x]!; // red plane
    // Far from the edge each side is flat and quantised; on the edge it is much darker than the dark side.
    expect(at(1)).toBeGreaterThan(40);
    expect(at(w - 2)).toBeGreaterThan(180);
    const onEdge = Math.min(at(edge - 1), at(edge));
    expect(onEdge).toBeLessThan(0.5 * at(1));
    for (const v of out) expect(v >= 0 && v <= 255).toBe(true);
  });
});
