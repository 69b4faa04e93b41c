import type { Rational } from './rational.js';
import type { VideoColor } from './videoColor.js';

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
  /** Size as displayed (the coded size turned by `rotation`). */
  readonly width: number;
  readonly height: number;
  /**
   * Clockwise display rotation in degrees: 0, 90, 180 or 270. The job styles the coded frames and
   * keeps the rotation as the output's display matrix, so players show it as they show the source.
   */
  readonly rotation: 0 | 90 | 180 | 270;
  /** The source's colour description (matrix, range, primaries, transfer), carried to the output. */
  readonly color: VideoColor;
  readonly timeBase: Rational;
  /** The real frame rate, from the frames' own timestamps (see frameRate.ts; never assumed to be 30). */
  readonly frameRate: Rational;
  readonly vfr: boolean;
  readonly startTime: number;
  /**
   * The video's own duration: the stream's when the container declares one (MP4, MOV, AVI), else
   * from its frames (first to last, plus the last frame's length): a Matroska/WebM video stream
   * declares none, and the file's duration includes audio that may run past the video.
   */
  readonly duration: number;
  /** Whether `duration` is the stream's declared one; otherwise it was worked out from the frames. */
  readonly durationDeclared?: boolean;
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
