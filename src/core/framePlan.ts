/**
 * Shards of a video job: frame ranges [start, end) in presentation order. A shard's size comes
 * from a work target in seconds of video (and a cap in frames), never one message per frame.
 * To decode exactly a range, a worker seeks to a quarter of a frame before its first frame:
 * ffmpeg's accurate seek then drops every earlier frame and keeps this one, and a trim drops every
 * frame from a quarter of a frame before the next range's first (`endSeconds`), so a decoder that
 * skips the range's first frames delivers too few frames, never others. A quarter, not half: ffmpeg
 * rounds a time to the stream's ticks, and where a tick is a frame (AVI) a midpoint is half a tick,
 * which rounds either way (it kept the frame before the range).
 * The accurate seek starts decoding at the last keyframe before its time: for a range that starts
 * on a keyframe, the one before it, a whole GOP decoded only to be dropped. Such a range also says
 * where to seek to start on its own keyframe (`keyframeSeekSeconds`).
 */
export interface FrameShard extends RangeSeek {
  readonly shardId: string;
  readonly start: number;
  readonly end: number;
}

/** Where a range's decoder seeks to, and which frames it keeps (seconds from the file's start time). */
export interface RangeSeek {
  /**
   * A quarter of the way back from the range's first frame to the frame before it; undefined for a
   * range that starts at frame 0. Frames before it are not the range's.
   */
  readonly seekSeconds: number | undefined;
  /**
   * A range that starts on a keyframe: a quarter of the way from that frame to the next, where a
   * seek lands on the keyframe itself (the last one at or before it), not on the keyframe before it.
   */
  readonly keyframeSeekSeconds?: number;
  /**
   * A quarter of the way back from the next range's first frame to this range's last; absent for a
   * range that runs to the end (or whose last frame shares its time with the next). Frames at or
   * after it are not the range's: a decoder that starts past the range's first frame (a demuxer
   * that lands late, an open GOP) delivers too few frames instead of the wrong ones.
   */
  readonly endSeconds?: number;
}

/**
 * Seconds a keyframe seek needs between the frames around each of its cuts: ffmpeg rounds the seek
 * and the trim to the stream's time base separately, so a cut between frames a tick apart (a
 * millisecond in Matroska) could keep the wrong one. Frames closer than this take the accurate seek.
 */
export const KEYFRAME_SEEK_MIN_GAP = 0.002;

/**
 * Whether ffmpeg seeks this container (ffprobe's format name) by presentation time, landing on the
 * last keyframe at or before the time asked for: its MOV/MP4 demuxer does. Others land earlier
 * (Matroska with B-frames 3/23 s earlier, by ffmpeg's own heuristic) or, with open GOPs and loose
 * indexes (MPEG-TS, AVI), elsewhere: their ranges keep the accurate seek.
 */
export function seeksToPresentationTime(container: string): boolean {
  const names = container.split(',');
  return names.includes('mov') || names.includes('mp4');
}

/**
 * The seek of frames [start, end): `seekSeconds` (but at frame 0) and `endSeconds` (but at the
 * end), and for a range that starts on a keyframe (`keyframes`: ascending frame indices; pass none
 * where the container does not seek by presentation time) the keyframe seek, when the frames
 * around its cuts are at least KEYFRAME_SEEK_MIN_GAP apart.
 */
export function rangeSeek(
  framePts: ArrayLike<number>,
  keyframes: readonly number[],
  start: number,
  end: number,
): RangeSeek {
  const at = (i: number) => framePts[i] ?? 0;
  /** A quarter of the way back from frame i to the frame before it. */
  const before = (i: number) => at(i) - (at(i) - at(i - 1)) / 4;
  const n = framePts.length;
  const ends = end < n && at(end) > at(end - 1) ? { endSeconds: before(end) } : {};
  if (start === 0) return { seekSeconds: undefined, ...ends };
  const seekSeconds = before(start);
  if (start + 1 >= n || !sortedIncludes(keyframes, start)) return { seekSeconds, ...ends };
  const apart = (i: number) => at(i) - at(i - 1) >= KEYFRAME_SEEK_MIN_GAP;
  if (!apart(start) || !apart(start + 1) || (end < n && !apart(end))) return { seekSeconds, ...ends };
  return { seekSeconds, keyframeSeekSeconds: at(start) + (at(start + 1) - at(start)) / 4, ...ends };
}

/** Whether the ascending `values` hold `x` (binary search). */
function sortedIncludes(values: readonly number[], x: number): boolean {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((values[mid] ?? Infinity) < x) lo = mid + 1;
    else hi = mid;
  }
  return values[lo] === x;
}

export function frameShardId(start: number, end: number): string {
  return `f${String(start).padStart(9, '0')}-${String(end).padStart(9, '0')}`;
}

/** Frames per shard for a work target: about `targetSeconds` of video, at least 1, at most `maxFrames`. */
export function framesPerShard(fps: number, targetSeconds: number, maxFrames: number): number {
  return Math.max(1, Math.min(maxFrames, Math.round(fps * targetSeconds)));
}

/**
 * Frames per range of a job with no model between decode and encode (`--model none`). Its frames
 * cost only their decode and encode (on a CPU, about a hundredth of a styled frame), so a range of
 * `perShard` frames (a styled range's seconds of video) is mostly fixed cost: an ffmpeg start, a
 * keyframe, the encoder's warm-up and flush, a message, an upload. Such a job is cut into one range
 * per worker, at least `perShard` frames each and at most `maxFrames`: the cap still bounds what a
 * crash redoes. A video longer than a round of capped ranges is cut into whole rounds, a range per
 * worker each, of equal ranges: 2,040 frames on two workers under a cap of 300 are eight ranges of
 * 255, not seven of 300 and a last round with one worker idle.
 */
export function passthroughFramesPerShard(
  frames: number,
  perShard: number,
  parallelism: number,
  maxFrames: number,
): number {
  const workers = Math.max(1, Math.floor(parallelism));
  const rounds = Math.max(1, Math.ceil(frames / (workers * maxFrames)));
  const even = Math.ceil(frames / (workers * rounds));
  return Math.max(1, Math.min(maxFrames, Math.max(perShard, even)));
}

/** How ranges are cut around their targets. */
export interface CutOptions {
  /** How far a cut may move to a keyframe, as a share of a range either way (default 0.5). */
  readonly snap?: number;
  /** Whether a range that starts on a keyframe seeks past it (seeksToPresentationTime; default true). */
  readonly keyframeSeeks?: boolean;
}

/**
 * Cuts the frames into ranges of about `size` frames; every frame is in exactly one range (the
 * last holds the remainder, up to `snap` of a range more). `framePts` are the frames' presentation
 * times in seconds. When `keyframes` (frame indices, ascending) are given, a cut moves to the
 * keyframe nearest the target within `snap` of a range either way: a range that starts on a keyframe
 * decodes nothing it throws away. No range exceeds `maxSize` frames.
 */
export function planFrameShards(
  framePts: ArrayLike<number>,
  size: number,
  keyframes: readonly number[] = [],
  maxSize = Math.ceil(size * 1.5),
  options: CutOptions = {},
): FrameShard[] {
  const n = framePts.length;
  const shards: FrameShard[] = [];
  const snap = Math.min(0.5, Math.max(0, options.snap ?? 0.5));
  const seekKeyframes = options.keyframeSeeks === false ? [] : keyframes;
  let k = 0;
  for (let start = 0; start < n;) {
    const target = start + size;
    let end = Math.min(n, target);
    const low = start + Math.max(1, size - Math.floor(size * snap));
    const high = Math.min(start + maxSize, start + size + Math.floor(size * snap));
    while (k < keyframes.length && (keyframes[k] ?? 0) < low) k++;
    let best: number | undefined;
    for (let j = k; j < keyframes.length && (keyframes[j] ?? Infinity) <= high; j++) {
      const kf = keyframes[j] ?? 0;
      if (kf < n && (best === undefined || Math.abs(kf - target) < Math.abs(best - target))) best = kf;
    }
    if (n <= high)
      end = n; // the rest fits in one range: no sliver at the end
    else if (best !== undefined) end = best;
    shards.push({ shardId: frameShardId(start, end), start, end, ...rangeSeek(framePts, seekKeyframes, start, end) });
    start = end;
  }
  return shards;
}

/**
 * Ticks per second of a variable-rate video's segment and output timestamps: microseconds, the
 * concat demuxer's own unit, so the ranges' lengths add up exactly when the segments are joined.
 */
export const VFR_TIMESCALE = 1_000_000;

/**
 * A variable-rate video's frame times in VFR_TIMESCALE ticks from its first frame, one per frame,
 * then one more where the video ends (`endTime`; one interval after the last frame when that is
 * not after it). `framePts` are seconds, in presentation order. Strictly increasing: frames that
 * share a time are a tick apart, as a muxer needs. Counted from the first frame, not per range, so
 * the ranges' lengths add up to the frames' times exactly.
 */
export function videoTicks(framePts: ArrayLike<number>, endTime: number): number[] {
  const n = framePts.length;
  if (n === 0) return [];
  const at = (i: number) => framePts[i] ?? 0;
  const first = at(0);
  const last = at(n - 1);
  const end = endTime > last ? endTime : last + (n > 1 ? at(n - 1) - at(n - 2) : 0);
  const ticks: number[] = [];
  for (let i = 0; i <= n; i++) {
    const t = Math.round(((i < n ? at(i) : end) - first) * VFR_TIMESCALE);
    ticks.push(i === 0 ? 0 : Math.max(t, (ticks[i - 1] ?? 0) + 1));
  }
  return ticks;
}

/** A range's timing from `videoTicks`: each frame's time from the range's first frame, then the range's length. */
export function rangeTicks(ticks: readonly number[], start: number, end: number): number[] {
  if (!(start >= 0 && start < end && end < ticks.length))
    throw new RangeError(`rangeTicks: [${start}, ${end}) is not a range of ${ticks.length - 1} frames`);
  const base = ticks[start] ?? 0;
  return ticks.slice(start, end + 1).map((t) => t - base);
}

/** How a frame is fitted to a model with a fixed input size. */
export type FitPolicy = 'stretch' | 'letterbox';

export interface FitGeometry {
  /** Size fed to the model. */
  readonly modelWidth: number;
  readonly modelHeight: number;
  /** The picture inside the model frame (the whole frame for stretch). */
  readonly innerWidth: number;
  readonly innerHeight: number;
  readonly padLeft: number;
  readonly padTop: number;
}

/**
 * Stretch scales the frame to the model size (the output is scaled back, so the aspect ratio is
 * restored). Letterbox scales it to fit inside, keeping the aspect ratio, and pads with black; the
 * padding is cropped off the output. A model with a dynamic size runs at the frame's own size.
 */
export function fitGeometry(
  width: number,
  height: number,
  fixed: { width: number; height: number } | undefined,
  policy: FitPolicy,
): FitGeometry {
  if (!fixed)
    return { modelWidth: width, modelHeight: height, innerWidth: width, innerHeight: height, padLeft: 0, padTop: 0 };
  if (policy === 'stretch') {
    return {
      modelWidth: fixed.width,
      modelHeight: fixed.height,
      innerWidth: fixed.width,
      innerHeight: fixed.height,
      padLeft: 0,
      padTop: 0,
    };
  }
  const scale = Math.min(fixed.width / width, fixed.height / height);
  const innerWidth = Math.max(1, Math.min(fixed.width, Math.round(width * scale)));
  const innerHeight = Math.max(1, Math.min(fixed.height, Math.round(height * scale)));
  return {
    modelWidth: fixed.width,
    modelHeight: fixed.height,
    innerWidth,
    innerHeight,
    padLeft: Math.floor((fixed.width - innerWidth) / 2),
    padTop: Math.floor((fixed.height - innerHeight) / 2),
  };
}
