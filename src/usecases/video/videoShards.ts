import {
  framesPerShard,
  passthroughFramesPerShard,
  planFrameShards,
  seeksToPresentationTime,
  type FrameShard,
} from '../../core/framePlan.js';
import { rationalValue } from '../../core/rational.js';
import type { VideoProbe } from '../../core/videoProbe.js';
import type { JsonValue } from '../../ports/jobLedger.js';
import type { VideoSettings } from './deps.js';

/**
 * How a job's frames are cut: frames per range, the cap, and how far a cut may move to a keyframe.
 * Pinned on the job at its first plan, so a re-plan cuts the same ranges (the same shard ids) even
 * where the settings it would choose them from differ (another host's worker count).
 */
export interface VideoCut {
  readonly framesPerShard: number;
  readonly maxShardFrames: number;
  /** Share of a range a cut may move either way to land on a keyframe. */
  readonly snap: number;
}

/** A job with no model moves its cuts this little: its ranges are a round per worker, kept equal. */
const PASSTHROUGH_SNAP = 0.1;

/**
 * A video job's cut: ranges of about `shardSeconds` of video each (at most `maxShardFrames`), cut
 * at a keyframe within half a range, so fewer ranges decode frames only to throw them away. A job
 * with no model (`passthrough`: decode and re-encode only) is cut into whole rounds of a range per
 * worker instead (`parallelism`; see passthroughFramesPerShard), its cuts moved to a keyframe only
 * when one is within a tenth of a range, so the rounds stay even.
 */
export function videoCut(
  probe: VideoProbe,
  settings: Pick<VideoSettings, 'shardSeconds' | 'maxShardFrames' | 'parallelism'>,
  o: { passthrough?: boolean } = {},
): VideoCut {
  const perShard = framesPerShard(rationalValue(probe.video.frameRate), settings.shardSeconds, settings.maxShardFrames);
  return o.passthrough
    ? {
        framesPerShard: passthroughFramesPerShard(
          probe.framePts.length,
          perShard,
          settings.parallelism,
          settings.maxShardFrames,
        ),
        maxShardFrames: settings.maxShardFrames,
        snap: PASSTHROUGH_SNAP,
      }
    : { framesPerShard: perShard, maxShardFrames: settings.maxShardFrames, snap: 0.5 };
}

/** The ranges of a cut. Keyframe seeks only where ffmpeg lands on the keyframe (seeksToPresentationTime). */
export function videoShards(probe: VideoProbe, cut: VideoCut): FrameShard[] {
  return planFrameShards(probe.framePts, cut.framesPerShard, probe.keyframes, cut.maxShardFrames, {
    snap: cut.snap,
    keyframeSeeks: seeksToPresentationTime(probe.container),
  });
}

/** A cut pinned by an earlier plan of the job (`detail.cut`), when it is whole. */
export function pinnedCut(value: JsonValue | undefined): VideoCut | undefined {
  const c = value as Partial<VideoCut> | null | undefined;
  const positive = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0;
  if (!c || typeof c !== 'object' || !positive(c.framesPerShard) || !positive(c.maxShardFrames)) return undefined;
  if (typeof c.snap !== 'number' || !(c.snap >= 0 && c.snap <= 0.5)) return undefined;
  return { framesPerShard: c.framesPerShard!, maxShardFrames: c.maxShardFrames!, snap: c.snap };
}
