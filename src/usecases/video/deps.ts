import type { EncodeSettings } from '../../video/ffmpeg/args.js';
import type { FitPolicy } from '../../core/framePlan.js';
import type { Rational } from '../../core/rational.js';
import type { VideoColor } from '../../core/videoColor.js';
import type { ProbeOptions, VideoProbe } from '../../video/probe.js';
import type { StitchCheck } from '../../video/stitch.js';
import type { FrameTransform, PipelineTimings } from '../../video/framePipeline.js';
import type { JobDeps } from '../jobDeps.js';

/** A style model version pinned for a job. */
export interface PinnedStyle {
  readonly name: string;
  readonly version: number;
  readonly sha256: string;
}

/** A loaded style model: its frame size rule, batch and the transform to run frames through. */
export interface OpenStyle {
  readonly fixedSize: { readonly width: number; readonly height: number } | undefined;
  readonly maxBatch: number;
  readonly executionProvider: string;
  transform(width: number, height: number): FrameTransform;
}

/** The registry's view for video: resolve a reference (pinning it), and open a pinned version. */
export interface StyleModels {
  /** Resolves `name`, `name@3` or `name@tag`; a missing or unfit model is a PermanentError naming it. */
  pin(ref: string): Promise<PinnedStyle & { readonly fixedSize: { width: number; height: number } | undefined }>;
  open(model: PinnedStyle): Promise<OpenStyle>;
}

export interface VideoLimits {
  readonly maxPixels: number;
  readonly maxSeconds: number;
  readonly maxBytes: number;
  /** Accepted container names (ffprobe's format names, any of a comma list matches). */
  readonly containers: readonly string[];
  readonly codecs: readonly string[];
}

export type ShardErrorPolicy = 'fail' | 'passthrough';

export interface VideoSettings {
  readonly defaultModel: string;
  readonly shardSeconds: number;
  readonly maxShardFrames: number;
  readonly fit: FitPolicy;
  readonly encode: EncodeSettings;
  readonly batch: number;
  readonly limits: VideoLimits;
  readonly onShardError: ShardErrorPolicy;
  /** Local working space for inputs and segments (per job sub-directories). */
  readonly cacheDir: string;
  readonly faultShardDelayMs: number;
}

/** ffmpeg-backed media steps and local files, behind an interface so the use cases stay thin. */
export interface VideoTools {
  /** Copies a blob version to a local file once (later calls reuse it); a changed ETag is an InputError. */
  localCopy(blob: { container: string; name: string; etag: string }, path: string): Promise<void>;
  /** Uploads a local file as a blob, streaming. */
  upload(
    path: string,
    blob: { container: string; name: string },
    metadata: Record<string, string>,
    contentType: string,
  ): Promise<void>;
  /** Removes a job's local working files. */
  removeLocal(path: string): Promise<void>;
  probe(path: string, label: string, options?: ProbeOptions): Promise<VideoProbe>;
  renderSegment(o: {
    input: string;
    output: string;
    streamIndex: number;
    seekSeconds: number | undefined;
    count: number;
    width: number;
    height: number;
    rate: Rational;
    fit: FitPolicy;
    style: OpenStyle | undefined;
    batch: number;
    label: string;
    signal?: AbortSignal;
    /** Called once, when the range's last frames have been decoded and go to the model. */
    onLastBatch?: () => void;
    /** A variable-rate range's frame times (StyleMessage's `video.ticks`); absent: constant rate. */
    ticks?: readonly number[];
    /** The source's colour description (StyleMessage's `video.color`), kept by the segment. */
    color?: VideoColor;
  }): Promise<PipelineTimings>;
  /** `segmentMicros`: a variable-rate video's range lengths, in microseconds (see stitchVideo). */
  stitch(o: {
    segments: readonly string[];
    original: string;
    probe: VideoProbe;
    output: string;
    workDir: string;
    label: string;
    signal?: AbortSignal;
    segmentMicros?: readonly number[];
  }): Promise<StitchCheck>;
}

export interface VideoDeps extends JobDeps {
  readonly styles: StyleModels;
  readonly tools: VideoTools;
  readonly settings: VideoSettings;
}

/** A shard of a video job: frames [start, end) styled into one segment. */
export interface StyleMessage {
  readonly kind: 'style';
  readonly jobId: string;
  readonly shardId: string;
  readonly start: number;
  readonly end: number;
  readonly seekSeconds: number | null;
  readonly model: PinnedStyle;
  readonly fit: FitPolicy;
  readonly video: {
    readonly streamIndex: number;
    /** The coded size: frames are styled as coded, and the output keeps the source's rotation. */
    readonly width: number;
    readonly height: number;
    readonly rate: Rational;
    /** The source's colour description; absent in messages planned before it was carried. */
    readonly color?: VideoColor;
    /**
     * A variable-rate input only: each frame's presentation time in microseconds from the range's
     * first frame, then the range's length (end - start + 1 numbers); the segment keeps these times.
     */
    readonly ticks?: readonly number[];
  };
}
