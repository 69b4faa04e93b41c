import type { FrameShard } from './framePlan.js';
import { rangeTicks, videoTicks } from './framePlan.js';
import type { Rational } from './rational.js';
import { isVideoColor, type VideoColor } from './videoColor.js';
import type { VideoProbe } from './videoProbe.js';

/** The video stream a range is cut from: what a worker needs to decode exactly its frames and encode them alike. */
export interface RangeStream {
  /** The stream's index in its file. */
  readonly index: number;
  /** The coded size: frames are styled as coded, and the output keeps the source's display rotation. */
  readonly width: number;
  readonly height: number;
  readonly rate: Rational;
  /** The source's colour description, which the segment keeps; absent in ranges planned before it was. */
  readonly color?: VideoColor;
}

/**
 * One shard of a video job: frames [start, end) of one stream, where to seek to decode exactly
 * them, and, for a variable-rate video, each frame's time (so its segment keeps them).
 */
export interface FrameRange {
  readonly start: number;
  readonly end: number;
  /** Seconds from the file's start time to seek to (see framePlan.ts); null for a range that starts at frame 0. */
  readonly seekSeconds: number | null;
  /** A range that starts on a keyframe: where to seek to start decoding on it (see RangeSeek in framePlan.ts). */
  readonly keyframeSeekSeconds?: number;
  /** Where the range's frames end, unless it runs to the end; absent in ranges planned before it was. */
  readonly endSeconds?: number;
  readonly stream: RangeStream;
  /**
   * A variable-rate video only: each frame's presentation time in microseconds from the range's
   * first frame, then the range's length (end - start + 1 numbers, strictly increasing from 0).
   */
  readonly ticks?: readonly number[];
}

/** The frames in a range. */
export function rangeFrames(range: FrameRange): number {
  return range.end - range.start;
}

/** `label frames [start, end)`: how a range is named in errors and logs. */
export function rangeLabel(input: string, range: Pick<FrameRange, 'start' | 'end'>): string {
  return `${input} frames [${range.start}, ${range.end})`;
}

/**
 * The ranges of a probed video for its planned shards. A variable-rate video's ranges carry their
 * frames' times, computed once for the whole video so that the ranges' lengths add up exactly.
 */
export function frameRanges(probe: VideoProbe, shards: readonly FrameShard[]): FrameRange[] {
  const stream: RangeStream = {
    index: probe.video.index,
    width: probe.video.codedWidth,
    height: probe.video.codedHeight,
    rate: probe.video.frameRate,
    color: probe.video.color,
  };
  const ticks = probe.video.vfr
    ? videoTicks(probe.framePts, probe.video.startTime - probe.startTime + probe.video.duration)
    : undefined;
  return shards.map((s) => ({
    start: s.start,
    end: s.end,
    seekSeconds: s.seekSeconds ?? null,
    ...(s.keyframeSeekSeconds === undefined ? {} : { keyframeSeekSeconds: s.keyframeSeekSeconds }),
    ...(s.endSeconds === undefined ? {} : { endSeconds: s.endSeconds }),
    stream,
    ...(ticks ? { ticks: rangeTicks(ticks, s.start, s.end) } : {}),
  }));
}

/** A range's frame times as a message may carry them: count + 1 safe integers from 0, strictly increasing. */
export function validRangeTicks(ticks: unknown, count: number): boolean {
  return (
    Array.isArray(ticks) &&
    ticks.length === count + 1 &&
    ticks[0] === 0 &&
    ticks.every((t, i) => Number.isSafeInteger(t) && (i === 0 || (t as number) > (ticks[i - 1] as number)))
  );
}

/** Whether `value` (from a queue message or the ledger) is a well-formed FrameRange. */
export function isFrameRange(value: unknown): value is FrameRange {
  const r = value as Partial<FrameRange> | null;
  return (
    !!r &&
    typeof r === 'object' &&
    Number.isInteger(r.start) &&
    Number.isInteger(r.end) &&
    (r.start ?? -1) >= 0 &&
    (r.end ?? 0) > (r.start ?? 0) &&
    (r.seekSeconds === null || typeof r.seekSeconds === 'number') &&
    validKeyframeSeek(r) &&
    Number.isInteger(r.stream?.index) &&
    typeof r.stream?.width === 'number' &&
    typeof r.stream.height === 'number' &&
    typeof r.stream.rate?.num === 'number' &&
    typeof r.stream.rate.den === 'number' &&
    (r.ticks === undefined || validRangeTicks(r.ticks, (r.end ?? 0) - (r.start ?? 0))) &&
    (r.stream.color === undefined || isVideoColor(r.stream.color))
  );
}

/**
 * A keyframe seek comes after the range's own seek, an end after both (all finite); both are
 * optional, but a keyframe seek needs a seek (no range at frame 0 has one).
 */
function validKeyframeSeek(r: Partial<FrameRange>): boolean {
  const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  const k = r.keyframeSeekSeconds;
  if (k !== undefined && !(finite(k) && finite(r.seekSeconds) && k > r.seekSeconds)) return false;
  const from = k ?? r.seekSeconds ?? -Infinity;
  return r.endSeconds === undefined || (finite(r.endSeconds) && r.endSeconds > from);
}
