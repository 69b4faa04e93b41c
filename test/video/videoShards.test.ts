/**
 * How a probed video is cut into ranges: a styled job by seconds of video, a job with no model
 * (`--model none`) into whole rounds of a range per worker; cuts at keyframes, within the frame cap;
 * keyframe seeks only where ffmpeg seeks by presentation time; the cut pinned for re-plans.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { videoSettingsOf } from '../../src/config/useCaseSettings.js';
import { passthroughFramesPerShard, planFrameShards, seeksToPresentationTime } from '../../src/core/framePlan.js';
import type { VideoProbe } from '../../src/core/videoProbe.js';
import type { JsonValue } from '../../src/ports/jobLedger.js';
import { pinnedCut, videoCut, videoShards } from '../../src/usecases/video/videoShards.js';
import { probeVideo } from '../../src/video/probe.js';
import { SKYLINE } from '../support/video/media.js';

const ranges = (shards: readonly { start: number; end: number }[]) => shards.map((s) => [s.start, s.end]);

describe('a job with no model: whole rounds of a range per worker', () => {
  const settings = videoSettingsOf(loadConfig({ TESSERA_WORKERS: '2' }), '/unused');
  let probe: VideoProbe;
  beforeAll(async () => {
    probe = await probeVideo(SKYLINE, 'skyline-360p.mp4');
  });

  it('spreads the frames over the workers, never below a styled range or above the cap', () => {
    expect(passthroughFramesPerShard(512, 120, 2, 300)).toBe(256);
    expect(passthroughFramesPerShard(512, 120, 4, 300)).toBe(128);
    // Never smaller than a styled range: a short video does not become slivers on many workers.
    expect(passthroughFramesPerShard(200, 120, 8, 300)).toBe(120);
    // The cap bounds a range (what a crash redoes); a long video makes whole rounds of equal ranges,
    // a range per worker each: no last round with a worker idle.
    expect(passthroughFramesPerShard(108_000, 120, 2, 300)).toBe(300);
    expect(passthroughFramesPerShard(2040, 120, 2, 300)).toBe(255);
    expect(passthroughFramesPerShard(2041, 120, 2, 300)).toBe(256);
    expect(passthroughFramesPerShard(1000, 120, 3, 300)).toBe(167);
    expect(passthroughFramesPerShard(1, 120, 2, 300)).toBe(120);
    expect(passthroughFramesPerShard(512, 120, 0, 300)).toBe(256);
  });

  it('the skyline fixture (512 frames, keyframes at 0, 18, 250, 276) on two workers: two ranges, cut at keyframe 250', () => {
    expect(probe.keyframes).toEqual([0, 18, 250, 276]);
    expect(settings).toMatchObject({ shardSeconds: 4, maxShardFrames: 300, parallelism: 2 });
    const cut = videoCut(probe, settings, { passthrough: true });
    expect(cut).toEqual({ framesPerShard: 256, maxShardFrames: 300, snap: 0.1 });
    expect(ranges(videoShards(probe, cut))).toEqual([
      [0, 250],
      [250, 512],
    ]);
    // A styled job keeps its ranges of about 4 s (120 frames), a keyframe taken within half a range.
    expect(ranges(videoShards(probe, videoCut(probe, settings)))).toEqual([
      [0, 120],
      [120, 250],
      [250, 370],
      [370, 512],
    ]);
    // Three workers: three even ranges, no keyframe within a tenth of one.
    expect(ranges(videoShards(probe, videoCut(probe, { ...settings, parallelism: 3 }, { passthrough: true })))).toEqual(
      [
        [0, 171],
        [171, 342],
        [342, 512],
      ],
    );
  });

  it('a keyframe every 250 frames does not unbalance the rounds: 600 frames on two workers are two ranges of 300', () => {
    const pts = Float64Array.from({ length: 600 }, (_, i) => i / 30);
    const keyframes = [0, 250, 500];
    expect(ranges(planFrameShards(pts, 300, keyframes, 300, { snap: 0.1 }))).toEqual([
      [0, 300],
      [300, 600],
    ]);
    // Half a range of snapping (a styled job's) would cut 250, 250 and 100.
    expect(ranges(planFrameShards(pts, 300, keyframes, 300))).toEqual([
      [0, 250],
      [250, 500],
      [500, 600],
    ]);
  });

  it('keyframe seeks only in MOV/MP4, which ffmpeg seeks by presentation time', () => {
    expect(seeksToPresentationTime(probe.container)).toBe(true);
    expect(seeksToPresentationTime('matroska,webm')).toBe(false);
    expect(seeksToPresentationTime('avi')).toBe(false);
    expect(seeksToPresentationTime('mpegts')).toBe(false);
    const cut = videoCut(probe, settings, { passthrough: true });
    expect(videoShards(probe, cut)[1]).toMatchObject({ start: 250, keyframeSeekSeconds: expect.any(Number) });
    const mkv = videoShards({ ...probe, container: 'matroska,webm' }, cut);
    expect(mkv[1]).toMatchObject({ start: 250, seekSeconds: expect.any(Number) });
    expect(mkv[1]!.keyframeSeekSeconds).toBeUndefined();
  });

  it('a re-plan on a host with another worker count cuts what the first plan pinned', () => {
    const first = videoCut(probe, settings, { passthrough: true });
    const pinned = pinnedCut(JSON.parse(JSON.stringify(first)) as JsonValue);
    expect(pinned).toEqual(first);
    const here = videoCut(probe, { ...settings, parallelism: 4 }, { passthrough: true });
    expect(ranges(videoShards(probe, here))).not.toEqual(ranges(videoShards(probe, first)));
    expect(ranges(videoShards(probe, pinned!))).toEqual(ranges(videoShards(probe, first)));
    for (const bad of [
      undefined,
      null,
      'x',
      { framesPerShard: 0, maxShardFrames: 300, snap: 0.1 },
      { framesPerShard: 10 },
    ])
      expect(pinnedCut(bad as never)).toBeUndefined();
  });
});
