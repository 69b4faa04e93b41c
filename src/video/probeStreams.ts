/**
 * ffprobe's JSON for one stream, read into the probe's types: rotation, colour, the real frame
 * rate and the video's own duration, and the frames' presentation times from the packets.
 */
import { frameTimingOf } from '../core/frameRate.js';
import { parseRational, rationalValue, type Rational } from '../core/rational.js';
import type { VideoColor } from '../core/videoColor.js';
import type { AudioStreamInfo, VideoStreamInfo } from '../core/videoProbe.js';

export interface RawStream {
  index: number;
  codec_type?: string;
  codec_name?: string;
  pix_fmt?: string;
  width?: number;
  height?: number;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  time_base?: string;
  start_time?: string;
  duration?: string;
  nb_frames?: string;
  nb_read_packets?: string;
  sample_rate?: string;
  channels?: number;
  color_range?: string;
  color_space?: string;
  color_transfer?: string;
  color_primaries?: string;
  tags?: Record<string, string>;
  side_data_list?: { rotation?: number }[];
}

export interface RawPacket {
  stream_index?: number;
  pts?: number | string;
  dts?: number | string;
  flags?: string;
}

/** What the video stream's info is made from besides the stream itself. */
export interface VideoFrames {
  /** The frames' presentation times (empty when they were not read). */
  readonly pts: Float64Array;
  readonly frameCount: number;
  /** Without frame times: the rate to use instead of the header's guess. */
  readonly frameRate: Rational | undefined;
  readonly fileDuration: number;
}

export function videoStreamInfo(v: RawStream, frames: VideoFrames): VideoStreamInfo {
  const rotation = rotationOf(v);
  const codedWidth = v.width ?? 0,
    codedHeight = v.height ?? 0;
  const swap = rotation === 90 || rotation === 270;
  const timeBase = parseRational(v.time_base) ?? { num: 1, den: 1000 };
  const timing =
    frames.pts.length > 0
      ? frameTimingOf(frames.pts, timeBase, [parseRational(v.avg_frame_rate), parseRational(v.r_frame_rate)])
      : { rate: frames.frameRate ?? headerRate(v, frames.frameCount, frames.fileDuration), vfr: false };
  return {
    index: v.index,
    codec: v.codec_name ?? 'unknown',
    pixFmt: v.pix_fmt ?? 'unknown',
    codedWidth,
    codedHeight,
    width: swap ? codedHeight : codedWidth,
    height: swap ? codedWidth : codedHeight,
    rotation,
    color: colorOf(v),
    timeBase,
    frameRate: timing.rate,
    vfr: timing.vfr,
    startTime: Number(v.start_time ?? 0) || 0,
    duration: videoDuration(Number(v.duration), frames.pts, timing, frames.frameCount),
    durationDeclared: declaredDuration(Number(v.duration)),
    frameCount: frames.frameCount,
    headerFrameCount: v.nb_frames === undefined ? undefined : Number(v.nb_frames),
  };
}

export function audioStreamInfo(a: RawStream): AudioStreamInfo {
  return {
    index: a.index,
    codec: a.codec_name ?? 'unknown',
    sampleRate: Number(a.sample_rate ?? 0),
    channels: a.channels ?? 0,
    packets: Number(a.nb_read_packets ?? 0),
    startTime: Number(a.start_time ?? 0) || 0,
    duration: Number(a.duration ?? 0) || 0,
  };
}

function rotationOf(s: RawStream): 0 | 90 | 180 | 270 {
  const raw = s.side_data_list?.find((d) => typeof d.rotation === 'number')?.rotation ?? Number(s.tags?.rotate ?? 0);
  // ffprobe's display-matrix rotation is counter-clockwise; normalise to clockwise 0..270.
  const cw = (((Math.round(-raw / 90) * 90) % 360) + 360) % 360;
  return cw as 0 | 90 | 180 | 270;
}

/** The stream's colour description; a JPEG pixel format (yuvj420p) means full range even untagged. */
function colorOf(s: RawStream): VideoColor {
  const known = (v: string | undefined) => (v && v !== 'unknown' && v !== 'reserved' ? v : undefined);
  const space = known(s.color_space),
    primaries = known(s.color_primaries),
    transfer = known(s.color_transfer);
  const range = s.color_range === 'pc' || s.color_range === 'tv' ? s.color_range : undefined;
  const jpeg = s.pix_fmt?.startsWith('yuvj') ? ('pc' as const) : undefined;
  return {
    ...(space ? { space } : {}),
    ...((range ?? jpeg) ? { range: range ?? jpeg } : {}),
    ...(primaries ? { primaries } : {}),
    ...(transfer ? { transfer } : {}),
  };
}

/** The video stream's packet times, sorted into presentation order, in seconds from `startTime`, and which are keyframes. */
export function framePresentationTimes(
  raw: readonly RawPacket[],
  index: number,
  tb: Rational,
  startTime: number,
): { pts: Float64Array; keyframes: number[] } {
  const packets: { t: number; key: boolean }[] = [];
  // An AVI's packets carry only decode times: on its frame grid they are the same set of times.
  const time = (v: number | string | undefined) => (v === undefined || v === 'N/A' ? NaN : Number(v));
  for (const p of raw) {
    const pts = time(p.pts);
    const t = Number.isFinite(pts) ? pts : time(p.dts);
    if (p.stream_index === index && Number.isFinite(t)) packets.push({ t, key: (p.flags ?? '').includes('K') });
  }
  packets.sort((x, y) => x.t - y.t);
  const pts = new Float64Array(packets.length);
  const keyframes: number[] = [];
  packets.forEach((p, i) => {
    pts[i] = (p.t * tb.num) / tb.den - startTime;
    if (p.key) keyframes.push(i);
  });
  return { pts, keyframes };
}

/** Without frame times: the container's average rate, else frames over the file's duration, else its guess, else 25. */
function headerRate(v: RawStream, frames: number, fileDuration: number): Rational {
  const duration = Number(v.duration) || fileDuration;
  return (
    parseRational(v.avg_frame_rate) ??
    (duration > 0 ? { num: Math.round(frames * 1000), den: Math.round(duration * 1000) } : undefined) ??
    parseRational(v.r_frame_rate) ?? { num: 25, den: 1 }
  );
}

/**
 * The stream's declared duration, else its frames' span plus the last frame's length (one frame
 * at `rate`, or the last interval when the rate varies), else (no frame times) frames at `rate`.
 */
function videoDuration(
  declared: number,
  pts: Float64Array,
  timing: { rate: Rational; vfr: boolean },
  frames: number,
): number {
  if (declaredDuration(declared)) return declared;
  const frame = 1 / rationalValue(timing.rate);
  const n = pts.length;
  if (n === 0) return frames * frame;
  const last = timing.vfr && n > 1 ? (pts[n - 1] ?? 0) - (pts[n - 2] ?? 0) : frame;
  return (pts[n - 1] ?? 0) - (pts[0] ?? 0) + last;
}

function declaredDuration(declared: number): boolean {
  return Number.isFinite(declared) && declared > 0;
}
