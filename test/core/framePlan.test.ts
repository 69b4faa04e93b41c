import { describe, expect, it } from 'vitest';
import {
  fitGeometry,
  framesPerShard,
  planFrameShards,
  rangeSeek,
  rangeTicks,
  VFR_TIMESCALE,
  videoTicks,
} from '../../src/core/framePlan.js';

describe('frame shards', () => {
  const fps = 23040000 / 767849;
  const pts = Float64Array.from({ length: 512 }, (_, i) => i / fps);

  it('cover every frame exactly once, the remainder in the last shard', () => {
    const shards = planFrameShards(pts, 90);
    expect(shards.map((s) => [s.start, s.end])).toEqual([
      [0, 90],
      [90, 180],
      [180, 270],
      [270, 360],
      [360, 450],
      [450, 512],
    ]);
    expect(shards[0]!.seekSeconds).toBeUndefined();
    // A quarter of a frame before each range's first frame, and before the next range's.
    expect(shards[1]!.seekSeconds).toBeCloseTo(89.75 / fps, 12);
    expect(shards[1]!.endSeconds).toBeCloseTo(179.75 / fps, 12);
    expect(shards.at(-1)!.endSeconds).toBeUndefined();
    expect(shards[1]!.shardId).toBe('f000000090-000000180');
  });

  it('a range that starts on a keyframe also seeks past it; every range but the last says where it ends', () => {
    const keyframes = [0, 90, 200];
    // A quarter of the way back from frame a to the frame before it, or on from frame a to the next.
    const before = (a: number) => pts[a]! - (pts[a]! - pts[a - 1]!) / 4;
    const after = (a: number) => pts[a]! + (pts[a + 1]! - pts[a]!) / 4;
    expect(rangeSeek(pts, keyframes, 0, 90)).toEqual({ seekSeconds: undefined, endSeconds: before(90) });
    expect(rangeSeek(pts, keyframes, 90, 180)).toEqual({
      seekSeconds: before(90),
      keyframeSeekSeconds: after(90),
      endSeconds: before(180),
    });
    expect(rangeSeek(pts, keyframes, 100, 180)).toEqual({ seekSeconds: before(100), endSeconds: before(180) });
    expect(rangeSeek(pts, keyframes, 200, 512)).toEqual({ seekSeconds: before(200), keyframeSeekSeconds: after(200) });
    // A last frame that is a keyframe has no next frame to seek before: the accurate seek alone.
    expect(rangeSeek(pts, [0, 511], 511, 512)).toEqual({ seekSeconds: before(511) });
    // Nor do frames that share a time with the ones around them, or lie a tick (here 1 ms) apart:
    // ffmpeg rounds the seek and the trim separately, and could keep the frame before the cut.
    // Frames that share a time with the next range's first have no end between them.
    expect(rangeSeek([0, 0.1, 0.1, 0.1, 0.2], [0, 2], 2, 4)).toEqual({
      seekSeconds: 0.1,
      endSeconds: expect.closeTo(0.175, 12),
    });
    expect(rangeSeek([0, 0.1, 0.2, 0.3, 0.3], [0, 2], 2, 4)).toEqual({ seekSeconds: expect.closeTo(0.175, 12) });
    expect(rangeSeek([0, 0.4, 0.401, 0.434, 0.467], [0, 2], 2, 4)).toEqual({
      seekSeconds: expect.closeTo(0.40075, 12),
      endSeconds: expect.closeTo(0.45875, 12),
    });
    expect(rangeSeek([0, 0.4, 0.433, 0.434, 0.467], [0, 2], 2, 4)).not.toHaveProperty('keyframeSeekSeconds');
    expect(rangeSeek([0, 0.033, 0.067, 0.1, 0.101, 0.2], [0, 2], 2, 4)).not.toHaveProperty('keyframeSeekSeconds');
    expect(rangeSeek([0, 0.033, 0.067, 0.1, 0.133, 0.2], [0, 2], 2, 4).keyframeSeekSeconds).toBeCloseTo(0.07525, 12);
    expect(
      planFrameShards(pts, 90, keyframes)
        .filter((s) => s.keyframeSeekSeconds !== undefined)
        .map((s) => s.start),
    ).toEqual([90, 200]);
  });

  it('sizes shards by seconds of video, never assuming 30 fps', () => {
    expect(framesPerShard(fps, 3, 10_000)).toBe(90);
    expect(framesPerShard(23.976, 3, 10_000)).toBe(72);
    expect(framesPerShard(240, 3, 300)).toBe(300);
    expect(framesPerShard(0.2, 3, 300)).toBe(1);
  });

  it('plans a 2-hour 60 fps video in a few thousand ranges, not per frame', () => {
    const n = 2 * 3600 * 60;
    const shards = planFrameShards(
      Float64Array.from({ length: n }, (_, i) => i / 60),
      framesPerShard(60, 3, 10_000),
    );
    expect(shards).toHaveLength(n / 180);
    expect(shards.at(-1)!.end).toBe(n);
  });

  it('plans a 1-frame video as one shard', () => {
    expect(planFrameShards([0], 90)).toEqual([
      { shardId: 'f000000000-000000001', start: 0, end: 1, seekSeconds: undefined },
    ]);
  });

  it('fits frames: stretch, letterbox (centred, aspect kept), dynamic at native size', () => {
    expect(fitGeometry(640, 360, { width: 720, height: 720 }, 'stretch')).toMatchObject({
      modelWidth: 720,
      innerWidth: 720,
      innerHeight: 720,
    });
    expect(fitGeometry(640, 360, { width: 720, height: 720 }, 'letterbox')).toEqual({
      modelWidth: 720,
      modelHeight: 720,
      innerWidth: 720,
      innerHeight: 405,
      padLeft: 0,
      padTop: 157,
    });
    expect(fitGeometry(33, 17, undefined, 'letterbox')).toMatchObject({
      modelWidth: 33,
      modelHeight: 17,
      innerWidth: 33,
    });
  });
});

describe('keyframe-aligned frame shards', () => {
  const pts = Float64Array.from({ length: 512 }, (_, i) => i / 30);

  it('cuts at the keyframe nearest each target, within half a range', () => {
    const shards = planFrameShards(pts, 90, [0, 128, 256, 384]);
    expect(shards.map((s) => [s.start, s.end])).toEqual([
      [0, 128],
      [128, 256],
      [256, 384],
      [384, 512],
    ]);
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

describe('variable-rate timing in microseconds', () => {
  it('gives each frame its time from the first, and the end; ranges are slices that add up exactly', () => {
    const pts = [0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.05, 1.1, 1.15, 1.2];
    const ticks = videoTicks(pts, 1.3);
    expect(ticks).toEqual([
      0, 100_000, 200_000, 300_000, 400_000, 500_000, 550_000, 600_000, 650_000, 700_000, 800_000,
    ]);
    const ranges = [
      [0, 4],
      [4, 8],
      [8, 10],
    ].map(([start, end]) => rangeTicks(ticks, start!, end!));
    expect(ranges).toEqual([
      [0, 100_000, 200_000, 300_000, 400_000],
      [0, 100_000, 150_000, 200_000, 250_000],
      [0, 50_000, 150_000],
    ]);
    expect(ranges.reduce((sum, r) => sum + (r.at(-1) ?? 0), 0)).toBe(ticks.at(-1));
  });

  it('rounds each time to the nearest microsecond (a 1/15360 time base), keeps equal times a tick apart, and ends an interval after the last frame when the end is not after it', () => {
    const pts = Array.from({ length: 2000 }, (_, i) => (i * 1001) / 15360);
    const ticks = videoTicks(pts, 0);
    for (const [i, t] of ticks.slice(0, -1).entries())
      expect(Math.abs(t / VFR_TIMESCALE - (pts[i] ?? 0))).toBeLessThanOrEqual(0.5e-6 + 1e-12);
    expect(Math.abs(ticks.at(-1)! - 2 * ticks.at(-2)! + ticks.at(-3)!)).toBeLessThanOrEqual(1); // the last interval again
    expect(videoTicks([0, 0.1, 0.1, 0.2], 0.3)).toEqual([0, 100_000, 100_001, 200_000, 300_000]);
    expect(videoTicks([2], 0)).toEqual([0, 1]);
    expect(() => rangeTicks(ticks, 5, 5)).toThrow(RangeError);
  });
});
