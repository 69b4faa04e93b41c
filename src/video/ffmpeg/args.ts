import type { FitGeometry } from '../../core/framePlan.js';
import type { Rational } from '../../core/rational.js';

/** Encoder settings of a video job (x264). */
export interface EncodeSettings {
  readonly crf: number;
  readonly preset: string;
  /**
   * Threads of each ffmpeg decoder and encoder of a segment; 0 or absent lets ffmpeg choose (about
   * one per core). Workers running side by side on the same cores each want their share, not all.
   */
  readonly threads?: number;
}

/** ffmpeg's `-threads N` (an input option before `-i`, an output option after the codec), or nothing for its own choice. */
function threadsArgs(threads: number | undefined): string[] {
  return threads ? ['-threads', String(threads)] : [];
}

/**
 * Decodes frames [start, start + count) of the video stream to raw rgb24 on stdout, fitted to
 * the model: ffmpeg's accurate seek to `seekSeconds` drops every frame before the range, and
 * `-frames:v` stops at its end. Rotation metadata is applied (frames come out upright).
 */
export function decodeArgs(input: string, o: { streamIndex: number; seekSeconds: number | undefined; count: number; width: number; height: number; fit: FitGeometry; threads?: number }): string[] {
  const filters = [`scale=${o.fit.innerWidth}:${o.fit.innerHeight}:flags=bicubic:in_color_matrix=auto`];
  if (o.fit.innerWidth !== o.fit.modelWidth || o.fit.innerHeight !== o.fit.modelHeight) {
    filters.push(`pad=${o.fit.modelWidth}:${o.fit.modelHeight}:${o.fit.padLeft}:${o.fit.padTop}:black`);
  }
  return [
    '-v', 'error', '-nostdin',
    ...threadsArgs(o.threads),
    ...(o.seekSeconds === undefined ? [] : ['-ss', o.seekSeconds.toFixed(6)]),
    '-i', input,
    '-map', `0:${o.streamIndex}`, '-an', '-sn', '-dn',
    '-frames:v', String(o.count), '-fps_mode', 'passthrough',
    '-vf', filters.join(','),
    '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1',
  ];
}

/** An mp4 timescale in which one frame lasts a whole number of ticks, so durations add up exactly. */
export function trackTimescale(rate: Rational): number {
  if (rate.num >= 1000) return rate.num;
  return rate.num * Math.ceil(1000 / rate.num);
}

/**
 * Encodes raw rgb24 frames from stdin into an H.264 mp4 segment at the source's exact frame rate,
 * restoring the frame's original size (cropping a letterbox). Odd sizes are kept exactly by
 * encoding 4:4:4 (4:2:0 needs even sizes).
 */
export function encodeArgs(output: string, o: { width: number; height: number; fit: FitGeometry; rate: Rational; settings: EncodeSettings }): string[] {
  const filters: string[] = [];
  if (o.fit.innerWidth !== o.fit.modelWidth || o.fit.innerHeight !== o.fit.modelHeight) {
    filters.push(`crop=${o.fit.innerWidth}:${o.fit.innerHeight}:${o.fit.padLeft}:${o.fit.padTop}`);
  }
  const even = o.width % 2 === 0 && o.height % 2 === 0;
  filters.push(`scale=${o.width}:${o.height}:flags=bicubic:out_color_matrix=bt709:out_range=tv`);
  return [
    '-v', 'error', '-nostdin',
    '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${o.fit.modelWidth}x${o.fit.modelHeight}`,
    '-framerate', `${o.rate.num}/${o.rate.den}`, '-i', 'pipe:0',
    '-vf', filters.join(','),
    '-c:v', 'libx264', '-preset', o.settings.preset, '-crf', String(o.settings.crf), ...threadsArgs(o.settings.threads),
    '-pix_fmt', even ? 'yuv420p' : 'yuv444p',
    '-colorspace', 'bt709', '-color_primaries', 'bt709', '-color_trc', 'bt709', '-color_range', 'tv',
    '-video_track_timescale', String(trackTimescale(o.rate)),
    '-y', '-f', 'mp4', output,
  ];
}

/**
 * A range re-encoded with no model in between (pass-through): one ffmpeg, no raw pipe, frames kept
 * in YUV. The segment matches a styled one (same size, x264 settings, pixel format, colour tags,
 * timescale, constant-rate timestamps from the frame index), so the stitch can still copy.
 * ffmpeg reports its progress on stdout (`frame=N` … `progress=end`): the frames it wrote.
 */
export function passthroughArgs(input: string, output: string, o: { streamIndex: number; seekSeconds: number | undefined; count: number; width: number; height: number; rate: Rational; settings: EncodeSettings }): string[] {
  const even = o.width % 2 === 0 && o.height % 2 === 0;
  return [
    '-v', 'error', '-nostdin', '-nostats', '-progress', 'pipe:1',
    ...threadsArgs(o.settings.threads),
    ...(o.seekSeconds === undefined ? [] : ['-ss', o.seekSeconds.toFixed(6)]),
    '-i', input,
    '-map', `0:${o.streamIndex}`, '-an', '-sn', '-dn',
    '-frames:v', String(o.count), '-fps_mode', 'passthrough',
    '-vf', `setpts=N*${o.rate.den}/(${o.rate.num}*TB),scale=${o.width}:${o.height}:flags=bicubic:in_color_matrix=auto:out_color_matrix=bt709:out_range=tv`,
    '-c:v', 'libx264', '-preset', o.settings.preset, '-crf', String(o.settings.crf), ...threadsArgs(o.settings.threads),
    '-pix_fmt', even ? 'yuv420p' : 'yuv444p',
    '-colorspace', 'bt709', '-color_primaries', 'bt709', '-color_trc', 'bt709', '-color_range', 'tv',
    '-video_track_timescale', String(trackTimescale(o.rate)),
    '-y', '-f', 'mp4', output,
  ];
}

/**
 * Joins the segments without re-encoding and muxes the original audio by copy. `videoOffset`
 * shifts the video to where the source's video started, so audio stays in sync.
 */
export function stitchArgs(concatList: string, original: string, output: string, o: { audioStreamIndex: number | undefined; videoOffset: number; rate: Rational }): string[] {
  // The concat demuxer offsets each segment by its duration rounded to microseconds; snapping every
  // timestamp back onto the frame grid makes the stitched timing exact (the drift is far below a frame).
  const timescale = trackTimescale(o.rate);
  const tick = (timescale * o.rate.den) / o.rate.num;
  const offset = Math.round(o.videoOffset * timescale);
  const snap = (v: string) => (offset === 0 ? `${v}=round(${v.toUpperCase()}/${tick})*${tick}` : `${v}=round((${v.toUpperCase()}-${offset})/${tick})*${tick}+${offset}`);
  return [
    '-v', 'error', '-nostdin',
    ...(o.videoOffset > 0 ? ['-itsoffset', o.videoOffset.toFixed(6)] : []),
    '-f', 'concat', '-safe', '0', '-i', concatList,
    '-i', original,
    '-map', '0:v:0',
    ...(o.audioStreamIndex === undefined ? [] : ['-map', `1:${o.audioStreamIndex}`]),
    '-c', 'copy',
    ...(Number.isInteger(tick) ? ['-bsf:v', `setts=${snap('pts')}:${snap('dts')}`] : []),
    '-video_track_timescale', String(timescale),
    '-movflags', '+faststart',
    '-y', '-f', 'mp4', output,
  ];
}

/** A concat-demuxer list naming each segment by absolute path, quoted. */
export function concatList(paths: readonly string[]): string {
  return `ffconcat version 1.0\n${paths.map((p) => `file '${p.replaceAll("'", "'\\''")}'`).join('\n')}\n`;
}
