import type { FitPolicy } from '../core/framePlan.js';
import type { FrameRange } from '../core/frameRange.js';
import type { Rational } from '../core/rational.js';
import type { AudioStreamInfo, VideoProbe, VideoStreamInfo } from '../core/videoProbe.js';

/** A style model version pinned for a job. */
export interface PinnedStyle {
  readonly name: string;
  readonly version: number;
  readonly sha256: string;
}

/**
 * Turns a batch of `n` rgb24 frames into as many rgb24 frames (the style model, or nothing). It
 * owns `frames` once called: the caller never touches them again, so a style session may take
 * them to its thread without a copy.
 */
export type FrameTransform = (frames: Uint8Array, n: number) => Promise<Uint8Array>;

/** A loaded style model: its frame size rule, batch and the transform to run frames through. */
export interface OpenStyle {
  readonly fixedSize: { readonly width: number; readonly height: number } | undefined;
  readonly maxBatch: number;
  readonly executionProvider: string;
  transform(width: number, height: number): FrameTransform;
}

/** The model reference that styles nothing: its ranges are decoded and re-encoded unchanged. */
export const NO_STYLE = 'none';

/** Whether a pinned model is the no-style one (`pin(NO_STYLE)`), which is never opened. */
export function isNoStyle(model: PinnedStyle): boolean {
  return model.name === NO_STYLE && model.version === 0;
}

/**
 * Style models port: the registry as a video job sees it.
 *
 * Contract: `pin` resolves `name`, `name@3` or `name@tag` to one version (a missing or unfit model
 * is a PermanentError naming it); `pin(NO_STYLE)` gives the no-style model (version 0, no sha256,
 * no fixed size), whatever the registry holds; `open` loads that exact version (its sha256 checked),
 * once per process, and may be called concurrently; it is never called with the no-style model.
 */
export interface StyleModels {
  pin(ref: string): Promise<PinnedStyle & { readonly fixedSize: { width: number; height: number } | undefined }>;
  open(model: PinnedStyle): Promise<OpenStyle>;
}

/** Where a rendered range's time went. */
export interface PipelineTimings {
  /** Time the model spent on frames. */
  modelMs: number;
  /** Time spent waiting for the decoder to deliver frames. */
  decodeWaitMs: number;
  /** Time spent waiting for the encoder to take frames. */
  encodeWaitMs: number;
  /**
   * Set when the range's keyframe seek came up short (the demuxer landed past its first frame) and
   * it was decoded again from the accurate seek: what the first attempt reported. The caller logs it.
   */
  reseeked?: string;
}

/** What a stitch verified: the output against its input. */
export interface StitchCheck {
  readonly frames: { readonly input: number; readonly output: number };
  /** A variable-rate video: the largest distance of a frame's output time from its source time, in seconds. */
  readonly frameTimeDrift?: number;
  readonly duration: { readonly input: number; readonly output: number; readonly tolerance: number };
  /** Clockwise display rotation, degrees: the output keeps the source's. */
  readonly rotation: { readonly input: number; readonly output: number };
  readonly audio: {
    readonly input: string | null;
    readonly output: string | null;
    readonly inputPackets: number;
    readonly outputPackets: number;
  };
}

export interface ProbeOptions {
  readonly signal?: AbortSignal;
  /**
   * Read every video packet's time (default true): `framePts` and `keyframes`, which planning needs.
   * Without them (false) the frame count still comes from counting the packets, but `framePts` and
   * `keyframes` are empty and `vfr` is false: enough to verify or stitch, with less to parse.
   */
  readonly frameTimes?: boolean;
  /**
   * The rate a probe with frame times found for this file (planning's): without frame times, it
   * stands in for ffprobe's guess, which a container header can get wrong (60/1 for 30 fps).
   */
  readonly frameRate?: Rational;
}

/** One range to render into a segment. */
export interface RenderRequest {
  /** The local copy of the input. */
  readonly input: string;
  /** The segment file to write. */
  readonly output: string;
  readonly range: FrameRange;
  readonly fit: FitPolicy;
  /** The style model; undefined passes the frames through unstyled (encoded like the styled ones). */
  readonly style: OpenStyle | undefined;
  readonly batch: number;
  readonly label: string;
  readonly signal?: AbortSignal;
  /** Called once, when the range's last frames have been decoded and go to the model. */
  readonly onLastBatch?: () => void;
}

/**
 * What the stitch and its check read of the input's probe: its start times, the video stream's
 * timing, frame count and rotation, the audio stream's index, codec and packets, and for a
 * variable-rate video every frame's time (`framePts`). A VideoProbe is one.
 */
export interface StitchProbe {
  readonly startTime: number;
  readonly video: Pick<VideoStreamInfo, 'startTime' | 'duration' | 'frameCount' | 'rotation' | 'frameRate'>;
  readonly audio: Pick<AudioStreamInfo, 'index' | 'codec' | 'packets'> | undefined;
  readonly framePts?: Float64Array;
}

export interface StitchRequest {
  readonly segments: readonly string[];
  /** The local copy of the input, whose audio is copied. */
  readonly original: string;
  readonly probe: StitchProbe;
  readonly output: string;
  readonly workDir: string;
  readonly label: string;
  readonly signal?: AbortSignal;
  /** A variable-rate video's range lengths in microseconds: the segments are joined at exactly these offsets. */
  readonly segmentMicros?: readonly number[];
}

/**
 * Video tools port: the media steps of a video job (ffmpeg and ffprobe in the adapter) and the
 * local files they work on.
 *
 * Contract:
 * - `localCopy` copies one blob version to a local file once (later calls reuse it); a changed ETag
 *   or a missing blob is an InputError naming it.
 * - `probe` reads a local file's VideoProbe; a file that is no readable video is an InputError.
 * - `renderSegment` decodes exactly the range's frames, runs them through the style (or none) and
 *   encodes them with the range's timing; it writes `output` whole or fails (PermanentError for bad
 *   media, with the label). A decoder that delivers another number of frames is a PermanentError.
 * - `stitch` joins the segments without re-encoding, copies the original's audio, and verifies the
 *   result (frames, duration, display rotation, audio) against the probe; a failed check is a
 *   PermanentError.
 */
export interface VideoTools {
  localCopy(blob: { container: string; name: string; etag: string }, path: string): Promise<void>;
  /** Uploads a local file as a blob, streaming. */
  upload(
    path: string,
    blob: { container: string; name: string },
    metadata: Record<string, string>,
    contentType: string,
  ): Promise<void>;
  /** Removes a local file or directory (a job's working files); absent is fine. */
  removeLocal(path: string): Promise<void>;
  probe(path: string, label: string, options?: ProbeOptions): Promise<VideoProbe>;
  renderSegment(request: RenderRequest): Promise<PipelineTimings>;
  stitch(request: StitchRequest): Promise<StitchCheck>;
}
