/**
 * How a probed video is cut into ranges: a styled job by seconds of video, a job with no model
 * (`--model none`) into one range per worker, both cut at keyframes and within the frame cap.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { videoSettingsOf } from '../../src/config/useCaseSettings.js';
import { passthroughFramesPerShard } from '../../src/core/framePlan.js';
import { videoShards } from '../../src/usecases/video/videoShards.js';
import { probeVideo } from '../../src/video/probe.js';
import { SKYLINE } from '../support/video/media.js';

const ranges = (shards: readonly { start: number; end: number }[]) => shards.map((s) => [s.start, s.end]);

describe('a job with no model: one range per worker', () => {
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

  it('the skyline fixture (512 frames, keyframes at 0, 18, 250, 276) on two workers: two ranges, cut at keyframe 250', async () => {
    const probe = await probeVideo(SKYLINE, 'skyline-360p.mp4');
    expect(probe.keyframes).toEqual([0, 18, 250, 276]);
    const settings = videoSettingsOf(loadConfig({ TESSERA_WORKERS: '2' }), '/unused');
    expect(settings).toMatchObject({ shardSeconds: 4, maxShardFrames: 300, parallelism: 2 });
    const none = videoShards(probe, settings, { passthrough: true });
    expect(none.framesPerShard).toBe(256);
    expect(ranges(none.shards)).toEqual([
      [0, 250],
      [250, 512],
    ]);
    // A styled job keeps its ranges of about 4 s (120 frames), a keyframe taken where one is near.
    expect(ranges(videoShards(probe, settings).shards)).toEqual([
      [0, 120],
      [120, 250],
      [250, 370],
      [370, 512],
    ]);
    // Three workers: three ranges of about 171 frames, the first cut moved to keyframe 250.
    const three = videoShards(probe, { ...settings, parallelism: 3 }, { passthrough: true });
    expect(three.framesPerShard).toBe(171);
    expect(ranges(three.shards)).toEqual([
      [0, 250],
      [250, 421],
      [421, 512],
    ]);
  });
});
