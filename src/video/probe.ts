import { stat } from 'node:fs/promises';
import { InputError } from '../core/errors.js';
import { parseRational } from '../core/rational.js';
import type { VideoProbe } from '../core/videoProbe.js';
import type { ProbeOptions } from '../ports/video.js';
import { DEFAULT_VIDEO_CONTAINERS, inputWhitelist, refusedFormat } from './ffmpeg/inputs.js';
import { runTool, trimStderr } from './ffmpeg/tool.js';
import {
  audioStreamInfo,
  framePresentationTimes,
  videoStreamInfo,
  type RawPacket,
  type RawStream,
} from './probeStreams.js';

export type { AudioStreamInfo, VideoProbe, VideoStreamInfo } from '../core/videoProbe.js';
export type { ProbeOptions } from '../ports/video.js';

/**
 * Probes a local video file with ffprobe: streams, codecs, size, rotation, time base, the real
 * frame rate, variable frame rate, the exact frame count (counted from the packets) and each
 * frame's presentation time. One ffprobe process reads the file once, as a local file in one of
 * `options.formats` only. A file ffprobe cannot read is an InputError naming `label` with ffprobe's
 * trimmed stderr; one in another format says which.
 */
export async function probeVideo(
  path: string,
  label: string,
  options: ProbeOptions & {
    /**
     * The demuxers the file may be read with (default: the default accepted containers). ffprobe
     * refuses any other before opening anything the file names: a playlist's local files, say.
     */
    readonly formats?: readonly string[];
  } = {},
): Promise<VideoProbe> {
  const { signal, frameTimes = true, formats = DEFAULT_VIDEO_CONTAINERS } = options;
  const size = (await stat(path)).size;
  if (size === 0) throw new InputError(label, 'empty file (0 bytes)');
  // Listing the packets counts them too (each stream's nb_read_packets), so one pass does both.
  const packets = frameTimes ? ['-show_entries', 'packet=stream_index,pts,dts,flags'] : ['-count_packets'];
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
  if (!((v.width ?? 0) > 0 && (v.height ?? 0) > 0))
    throw new InputError(label, `the video stream has no size (${v.width ?? 0}x${v.height ?? 0})`);
  const fileDuration = Number(json.format?.duration ?? 0) || 0;
  const video = videoStreamInfo(v, { pts, frameCount, frameRate: options.frameRate, fileDuration });
  return {
    container: json.format?.format_name ?? 'unknown',
    sizeBytes: size,
    duration: fileDuration || video.duration,
    startTime,
    video,
    audio: a ? audioStreamInfo(a) : undefined,
    framePts: pts,
    keyframes,
  };
}
