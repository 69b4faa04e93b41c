import { framesPerShard, passthroughFramesPerShard, planFrameShards, type FrameShard } from '../../core/framePlan.js';
import { rationalValue } from '../../core/rational.js';
import type { VideoProbe } from '../../core/videoProbe.js';
import type { VideoSettings } from './deps.js';

/**
 * A video job's frame ranges: about `shardSeconds` of video each (at most `maxShardFrames`), cut at
 * a keyframe where one is near, so fewer ranges decode frames only to throw them away. A job with
 * no model (`passthrough`: decode and re-encode only) is cut into one range per worker instead
 * (`parallelism`), within the same bounds: see passthroughFramesPerShard.
 */
export function videoShards(
  probe: VideoProbe,
  settings: Pick<VideoSettings, 'shardSeconds' | 'maxShardFrames' | 'parallelism'>,
  o: { passthrough?: boolean } = {},
): { framesPerShard: number; shards: FrameShard[] } {
  const perShard = framesPerShard(rationalValue(probe.video.frameRate), settings.shardSeconds, settings.maxShardFrames);
  const size = o.passthrough
    ? passthroughFramesPerShard(probe.framePts.length, perShard, settings.parallelism, settings.maxShardFrames)
    : perShard;
  return {
    framesPerShard: size,
    shards: planFrameShards(probe.framePts, size, probe.keyframes, settings.maxShardFrames),
  };
}
