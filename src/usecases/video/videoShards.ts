import { framesPerShard, planFrameShards, type FrameShard } from '../../core/framePlan.js';
import { rationalValue } from '../../core/rational.js';
import type { VideoProbe } from '../../core/videoProbe.js';
import type { VideoSettings } from './deps.js';

/**
 * A video job's frame ranges: about `shardSeconds` of video each (at most `maxShardFrames`), cut at
 * a keyframe where one is near, so fewer ranges decode frames only to throw them away.
 */
export function videoShards(
  probe: VideoProbe,
  settings: Pick<VideoSettings, 'shardSeconds' | 'maxShardFrames'>,
): { framesPerShard: number; shards: FrameShard[] } {
  const size = framesPerShard(rationalValue(probe.video.frameRate), settings.shardSeconds, settings.maxShardFrames);
  return {
    framesPerShard: size,
    shards: planFrameShards(probe.framePts, size, probe.keyframes, settings.maxShardFrames),
  };
}
