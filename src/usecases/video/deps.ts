import type { FitPolicy } from '../../core/framePlan.js';
import type { FrameRange } from '../../core/frameRange.js';
import type { VideoLimits } from '../../core/videoLimits.js';
import type { PinnedStyle, StyleModels, VideoTools } from '../../ports/video.js';
import type { JobDeps } from '../jobDeps.js';

export type ShardErrorPolicy = 'fail' | 'passthrough';

/** Knobs the video job reads. */
export interface VideoSettings {
  readonly defaultModel: string;
  readonly shardSeconds: number;
  readonly maxShardFrames: number;
  /** Workers the job's ranges can run on at once: a job with no model is cut into one range per worker. */
  readonly parallelism: number;
  readonly fit: FitPolicy;
  readonly batch: number;
  readonly limits: VideoLimits;
  readonly onShardError: ShardErrorPolicy;
  /** Local working space for inputs and segments (per job sub-directories). */
  readonly cacheDir: string;
  readonly faultShardDelayMs: number;
}

export interface VideoDeps extends JobDeps {
  readonly styles: StyleModels;
  readonly tools: VideoTools;
  readonly settings: VideoSettings;
}

export const VIDEO_JOB_KIND = 'video';

/** A shard of a video job: one frame range styled into one segment. */
export interface StyleMessage {
  readonly kind: 'style';
  readonly jobId: string;
  readonly shardId: string;
  readonly range: FrameRange;
  readonly model: PinnedStyle;
  readonly fit: FitPolicy;
}
