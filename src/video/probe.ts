import { stat } from 'node:fs/promises';
import { InputError } from '../core/errors.js';
import { parseRational, rationalValue, type Rational } from '../core/rational.js';
import { DEFAULT_VIDEO_CONTAINERS, inputWhitelist, refusedFormat } from './ffmpeg/inputs.js';
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
   * The demuxers the file may be read with (default: the default accepted containers). ffprobe
   * refuses any other before opening anything the file names: a playlist's local files, say.
   */
  readonly formats?: readonly string[];
}

interface RawPacket {
  stream_index?: number;
  pts?: number | string;
  flags?: string;
}

/**
 * Probes a local video file with ffprobe: streams, codecs, size, rotation, time base, the real
 * frame rate, variable frame rate, the exact frame count (counted from the packets) and each
 * frame's presentation time. One ffprobe process reads the file once, as a local file in one of
 * `options.formats` only. A file ffprobe cannot read is an InputError naming `label` with ffprobe's
 * trimmed stderr; one in another format says which.
 */
export async function probeVideo(path: string, label: string, options: ProbeOptions = {}): Promise<VideoProbe> {
  const { signal, frameTimes = true, formats = DEFAULT_VIDEO_CONTAINERS } = options;
  const size = (await stat(path)).size;
  if (size === 0) throw new InputError(label, 'empty file (0 bytes)');
  // Listing the packets counts them too (each stream's nb_read_packets), so one pass does both.
  const packets = frameTimes ? ['-show_entries', 'packet=stream_index,pts,flags'] : ['-count_packets'];
  const meta = await runTool(
    'ffprobe',
    [
      '-v',
      'error',
      ...inputWhitelist('file', formats),
      ...packets,
      '-show_streams',
      '-show_format',
      '-of',
      'json=compact=1',
      path,
    ],
    { signal },
  );
  // ffprobe names the file it read; that is our local copy, so say the input's name instead.
  const stderr = meta.stderr.replaceAll(path, label);
  const refused = refusedFormat(stderr);
  if (meta.code !== 0 && refused !== undefined)
    throw new InputError(
      label,
      `its contents are ${refused}, not one of the accepted containers (${formats.join(', ')}; TESSERA_VIDEO_CONTAINERS); nothing it names was opened`,
    );
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
  const duration = Number(v.duration ?? json.format?.duration ?? 0) || 0;
  const avg = parseRational(v.avg_frame_rate);
  const frameRate =
    avg ??
    (duration > 0
      ? { num: Math.round(frameCount * 1000), den: Math.round(duration * 1000) }
      : (parseRational(v.r_frame_rate) ?? { num: 25, den: 1 }));
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
      timeBase: parseRational(v.time_base) ?? { num: 1, den: 1000 },
      frameRate,
      vfr: isVariableRate(pts, rationalValue(frameRate)),
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
  for (const p of raw) {
    const t = Number(p.pts);
    if (p.stream_index === index && p.pts !== undefined && p.pts !== 'N/A' && Number.isFinite(t))
      packets.push({ t, key: (p.flags ?? '').includes('K') });
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

/** Frame intervals that differ from the nominal one by more than 1% (ignoring the last) mean VFR. */
function isVariableRate(pts: Float64Array, fps: number): boolean {
  if (pts.length < 3 || !(fps > 0)) return false;
  const nominal = 1 / fps;
  for (let i = 1; i < pts.length - 1; i++) {
    if (Math.abs((pts[i] ?? 0) - (pts[i - 1] ?? 0) - nominal) > nominal * 0.01) return true;
  }
  return false;
}
