import { describe, expect, it } from 'vitest';
import { fitGeometry, framesPerShard, planFrameShards } from '../../src/core/framePlan.js';

describe('frame shards', () => {
  const fps = 23040000 / 767849;
  const pts = Float64Array.from({ length: 512 }, (_, i) => i / fps);

  it('cover every frame exactly once, the remainder in the last shard', () => {
    const shards = planFrameShards(pts, 90);
    expect(shards.map((s) => [s.start, s.end])).toEqual([[0, 90], [90, 180], [180, 270], [270, 360], [360, 450], [450, 512]]);
    expect(shards[0]!.seekSeconds).toBeUndefined();
    expect(shards[1]!.seekSeconds).toBeCloseTo(89.5 / fps, 12);
    expect(shards[1]!.shardId).toBe('f000000090-000000180');
  });

  it('sizes shards by seconds of video, never assuming 30 fps', () => {
    expect(framesPerShard(fps, 3, 10_000)).toBe(90);
    expect(framesPerShard(23.976, 3, 10_000)).toBe(72);
    expect(framesPerShard(240, 3, 300)).toBe(300);
    expect(framesPerShard(0.2, 3, 300)).toBe(1);
  });

  it('plans a 2-hour 60 fps video in a few thousand ranges, not per frame', () => {
    const n = 2 * 3600 * 60;
    const shards = planFrameShards(Float64Array.from({ length: n }, (_, i) => i / 60), framesPerShard(60, 3, 10_000));
    expect(shards).toHaveLength(n / 180);
    expect(shards.at(-1)!.end).toBe(n);
  });

  it('plans a 1-frame video as one shard', () => {
    expect(planFrameShards([0], 90)).toEqual([{ shardId: 'f000000000-000000001', start: 0, end: 1, seekSeconds: undefined }]);
  });

  it('fits frames: stretch, letterbox (centred, aspect kept), dynamic at native size', () => {
    expect(fitGeometry(640, 360, { width: 720, height: 720 }, 'stretch')).toMatchObject({ modelWidth: 720, innerWidth: 720, innerHeight: 720 });
    expect(fitGeometry(640, 360, { width: 720, height: 720 }, 'letterbox')).toEqual({ modelWidth: 720, modelHeight: 720, innerWidth: 720, innerHeight: 405, padLeft: 0, padTop: 157 });
    expect(fitGeometry(33, 17, undefined, 'letterbox')).toMatchObject({ modelWidth: 33, modelHeight: 17, innerWidth: 33 });
  });
});

describe('keyframe-aligned frame shards', () => {
  const pts = Float64Array.from({ length: 512 }, (_, i) => i / 30);

  it('cuts at the keyframe nearest each target, within half a range', () => {
    const shards = planFrameShards(pts, 90, [0, 128, 256, 384]);
    expect(shards.map((s) => [s.start, s.end])).toEqual([[0, 128], [128, 256], [256, 384], [384, 512]]);
  });

  it('falls back to plain cuts when no keyframe is near, and never exceeds the cap', () => {
    const shards = planFrameShards(pts, 90, [0, 300], 120);
    expect(shards.every((s) => s.end - s.start <= 120)).toBe(true);
    expect(shards.map((s) => s.start)).toContain(300);
    expect(shards.at(-1)!.end).toBe(512);
    const covered = shards.reduce((n, s) => n + s.end - s.start, 0);
    expect(covered).toBe(512);
  });
});
