import type { Rational } from './rational.js';

/**
 * What a probe of a video file tells: its streams, the real frame rate, the exact frame count and
 * every frame's time. The use cases plan and check with these facts; the ffmpeg adapter
 * (src/video/probe.ts) reads them.
 */
export interface VideoStreamInfo {
  readonly index: number;
  readonly codec: string;
  readonly pixFmt: string;
  /** Coded size, before rotation. */
  readonly codedWidth: number;
  readonly codedHeight: number;
  /** Size as displayed (and as decoded: ffmpeg applies the rotation). */
  readonly width: number;
  readonly height: number;
  /** Clockwise display rotation in degrees: 0, 90, 180 or 270. */
  readonly rotation: 0 | 90 | 180 | 270;
  readonly timeBase: Rational;
  /** The real frame rate: average over the stream (never assumed to be 30). */
  readonly frameRate: Rational;
  readonly vfr: boolean;
  readonly startTime: number;
  readonly duration: number;
  /** Counted from the packets, not trusted from the header. */
  readonly frameCount: number;
  readonly headerFrameCount: number | undefined;
}

export interface AudioStreamInfo {
  readonly index: number;
  readonly codec: string;
  readonly sampleRate: number;
  readonly channels: number;
  readonly packets: number;
  readonly startTime: number;
  readonly duration: number;
}

export interface VideoProbe {
  readonly container: string;
  readonly sizeBytes: number;
  readonly duration: number;
  readonly startTime: number;
  readonly video: VideoStreamInfo;
  readonly audio: AudioStreamInfo | undefined;
  /** Presentation times of every frame in order, in seconds from the file's start time. */
  readonly framePts: Float64Array;
  /** Indices (in presentation order) of the frames that are keyframes, ascending. */
  readonly keyframes: readonly number[];
}
