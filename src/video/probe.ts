import { stat } from 'node:fs/promises';
import { InputError } from '../core/errors.js';
import { frameTimingOf } from '../core/frameRate.js';
import { parseRational, rationalValue, type Rational } from '../core/rational.js';
import { runTool, trimStderr } from './ffmpeg/tool.js';

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
  /** The real frame rate, from the frames' own timestamps (see frameTimingOf; never assumed to be 30). */
  readonly frameRate: Rational;
  readonly vfr: boolean;
  readonly startTime: number;
  /**
   * The video's own duration: the stream's when the container declares one (MP4, MOV, AVI), else
   * from its frames (first to last, plus the last frame's length): a Matroska/WebM video stream
   * declares none, and the file's duration includes audio that may run past the video.
   */
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

interface RawStream {
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
  tags?: Record<string, string>;
  side_data_list?: { rotation?: number }[];
}

function rotationOf(s: RawStream): 0 | 90 | 180 | 270 {
  const raw = s.side_data_list?.find((d) => typeof d.rotation === 'number')?.rotation ?? Number(s.tags?.rotate ?? 0);
  // ffprobe's display-matrix rotation is counter-clockwise; normalise to clockwise 0..270.
  const cw = (((Math.round(-raw / 90) * 90) % 360) + 360) % 360;
  return cw as 0 | 90 | 180 | 270;
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

interface RawPacket {
  stream_index?: number;
  pts?: number | string;
  dts?: number | string;
  flags?: string;
}

/**
 * Probes a local video file with ffprobe: streams, codecs, size, rotation, time base, the real
 * frame rate, variable frame rate, the exact frame count (counted from the packets) and each
 * frame's presentation time. One ffprobe process reads the file once. A file ffprobe cannot read
 * is an InputError naming `label` with ffprobe's trimmed stderr.
 */
export async function probeVideo(path: string, label: string, options: ProbeOptions = {}): Promise<VideoProbe> {
  const { signal, frameTimes = true } = options;
  const size = (await stat(path)).size;
  if (size === 0) throw new InputError(label, 'empty file (0 bytes)');
  // Listing the packets counts them too (each stream's nb_read_packets), so one pass does both.
  const packets = frameTimes ? ['-show_entries', 'packet=stream_index,pts,dts,flags'] : ['-count_packets'];
  const meta = await runTool(
    'ffprobe',
    ['-v', 'error', ...packets, '-show_streams', '-show_format', '-of', 'json=compact=1', path],
    { signal },
  );
  // ffprobe names the file it read; that is our local copy, so say the input's name instead.
  const stderr = meta.stderr.replaceAll(path, label);
  if (meta.code !== 0)
    throw new InputError(label, `not a readable video: ${trimStderr(stderr) || `ffprobe exited ${meta.code}`}`);
  const json = JSON.parse(meta.stdout.toString('utf8')) as {
    streams?: RawStream[];
    format?: { format_name?: string; duration?: string; start_time?: string };
    packets?: RawPacket[];
  };
  const streams = json.streams ?? [];
  const v = streams.find(
    (s) => s.codec_type === 'video' && !(s as { disposition?: { attached_pic?: number } }).disposition?.attached_pic,
  );
  const a = streams.find((s) => s.codec_type === 'audio');
  if (!v) throw new InputError(label, a ? 'no video stream (audio only)' : 'no video stream');
  const startTime = Number(json.format?.start_time ?? 0) || 0;
  const { pts, keyframes } = frameTimes
    ? framePresentationTimes(
        json.packets ?? [],
        v.index,
        parseRational(v.time_base) ?? { num: 1, den: 1000 },
        startTime,
      )
    : { pts: new Float64Array(0), keyframes: [] };
  const frameCount = frameTimes ? pts.length : Number(v.nb_read_packets ?? 0);
  if (frameCount === 0) throw new InputError(label, 'the video stream has no frames');
  // An MP4 or MOV declares its frames in its index; fewer readable ones means the data was cut off.
  const declared = v.nb_frames === undefined ? undefined : Number(v.nb_frames);
  const indexed = /mov|mp4/.test(json.format?.format_name ?? '');
  if (indexed && declared !== undefined && declared > frameCount) {
    throw new InputError(
      label,
      `truncated: its index declares ${declared} video frames but only ${frameCount} can be read${/partial file/i.test(stderr) ? ' (partial file)' : ''}`,
    );
  }
  const rotation = rotationOf(v);
  const codedWidth = v.width ?? 0,
    codedHeight = v.height ?? 0;
  if (codedWidth <= 0 || codedHeight <= 0)
    throw new InputError(label, `the video stream has no size (${codedWidth}x${codedHeight})`);
  const swap = rotation === 90 || rotation === 270;
  const timeBase = parseRational(v.time_base) ?? { num: 1, den: 1000 };
  const timing = frameTimes
    ? frameTimingOf(pts, timeBase, [parseRational(v.avg_frame_rate), parseRational(v.r_frame_rate)])
    : { rate: options.frameRate ?? headerRate(v, frameCount, Number(json.format?.duration ?? 0)), vfr: false };
  const duration = videoDuration(Number(v.duration), pts, timing, frameCount);
  return {
    container: json.format?.format_name ?? 'unknown',
    sizeBytes: size,
    duration: Number(json.format?.duration ?? duration) || duration,
    startTime,
    video: {
      index: v.index,
      codec: v.codec_name ?? 'unknown',
      pixFmt: v.pix_fmt ?? 'unknown',
      codedWidth,
      codedHeight,
      width: swap ? codedHeight : codedWidth,
      height: swap ? codedWidth : codedHeight,
      rotation,
      timeBase,
      frameRate: timing.rate,
      vfr: timing.vfr,
      startTime: Number(v.start_time ?? 0) || 0,
      duration,
      frameCount,
      headerFrameCount: v.nb_frames === undefined ? undefined : Number(v.nb_frames),
    },
    audio: a
      ? {
          index: a.index,
          codec: a.codec_name ?? 'unknown',
          sampleRate: Number(a.sample_rate ?? 0),
          channels: a.channels ?? 0,
          packets: Number(a.nb_read_packets ?? 0),
          startTime: Number(a.start_time ?? 0) || 0,
          duration: Number(a.duration ?? 0) || 0,
        }
      : undefined,
    framePts: pts,
    keyframes,
  };
}

/** The video stream's packet times, sorted into presentation order, in seconds from `startTime`, and which are keyframes. */
function framePresentationTimes(
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
  if (Number.isFinite(declared) && declared > 0) return declared;
  const frame = 1 / rationalValue(timing.rate);
  const n = pts.length;
  if (n === 0) return frames * frame;
  const last = timing.vfr && n > 1 ? (pts[n - 1] ?? 0) - (pts[n - 2] ?? 0) : frame;
  return (pts[n - 1] ?? 0) - (pts[0] ?? 0) + last;
}
