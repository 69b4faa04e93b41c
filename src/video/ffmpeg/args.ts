import { PermanentError } from '../../core/errors.js';
import { VFR_TIMESCALE, type FitGeometry } from '../../core/framePlan.js';
import type { Rational } from '../../core/rational.js';
import type { VideoColor } from '../../core/videoColor.js';
import { colorArgs } from './colorArgs.js';
import { DEFAULT_VIDEO_CONTAINERS, SEGMENT_FORMATS, inputWhitelist } from './inputs.js';

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

/** A range's seek (FrameRange's fields): where its frames start, where they end, and for one that starts on a keyframe the keyframe seek. */
export interface SeekOptions {
  readonly seekSeconds: number | undefined;
  readonly keyframeSeekSeconds?: number | undefined;
  readonly endSeconds?: number | undefined;
  /** Decode from the file's start, keeping the frames from `seekSeconds` to `endSeconds` by time (no seek at all). */
  readonly fromStart?: boolean;
}

/**
 * The input options and first filter that decode exactly a range (times from the file's start;
 * see RangeSeek in framePlan.ts). By default ffmpeg's accurate seek to `seekSeconds`: the demuxer
 * lands on the last keyframe before it, and every frame before it is dropped. With a keyframe
 * seek, the demuxer seeks to `keyframeSeekSeconds` (just past the range's first frame, a keyframe)
 * without ffmpeg's own trimming (`-noaccurate_seek`), and a trim keeps the frames from
 * `seekSeconds`. `fromStart` seeks nowhere: every frame from the file's first is decoded, and the
 * trim keeps the range's. Either way a trim drops the frames from `endSeconds` on. A trim counts
 * from where the input was sought to (ffmpeg shifts the timestamps there), or from the file's start.
 */
export function seekArgs(o: SeekOptions): { input: string[]; filters: string[] } {
  const keyframe = !o.fromStart && o.seekSeconds !== undefined && o.keyframeSeekSeconds !== undefined;
  const from = o.fromStart ? undefined : keyframe ? o.keyframeSeekSeconds : o.seekSeconds;
  const at = from === undefined ? 0 : Number(from.toFixed(6));
  const input = from === undefined ? [] : ['-ss', at.toFixed(6), ...(keyframe ? ['-noaccurate_seek'] : [])];
  const trimsStart = (keyframe || o.fromStart) && o.seekSeconds !== undefined;
  const bounds = [
    ...(trimsStart ? [`start=${(o.seekSeconds - at).toFixed(6)}`] : []),
    ...(o.endSeconds === undefined ? [] : [`end=${(o.endSeconds - at).toFixed(6)}`]),
  ];
  return { input, filters: bounds.length > 0 ? [`trim=${bounds.join(':')}`] : [] };
}

/**
 * Decodes frames [start, start + count) of the video stream to raw rgb24 on stdout, fitted to
 * the model: the seek (seekArgs) drops every frame before the range, and `-frames:v` stops at
 * its end. Frames come out as coded: a display rotation is not applied (the
 * output keeps it as metadata). The source's matrix and range convert them to RGB. The source
 * is read from a local file with one of `formats` (the accepted containers) only.
 */
export function decodeArgs(
  input: string,
  o: SeekOptions & {
    streamIndex: number;
    count: number;
    width: number;
    height: number;
    fit: FitGeometry;
    threads?: number;
    formats?: readonly string[];
  },
): string[] {
  const seek = seekArgs(o);
  const filters = [
    ...seek.filters,
    `scale=${o.fit.innerWidth}:${o.fit.innerHeight}:flags=bicubic:in_color_matrix=auto`,
  ];
  if (o.fit.innerWidth !== o.fit.modelWidth || o.fit.innerHeight !== o.fit.modelHeight) {
    filters.push(`pad=${o.fit.modelWidth}:${o.fit.modelHeight}:${o.fit.padLeft}:${o.fit.padTop}:black`);
  }
  return [
    '-v',
    'error',
    '-nostdin',
    ...threadsArgs(o.threads),
    ...seek.input,
    '-noautorotate',
    ...inputWhitelist('file', o.formats ?? DEFAULT_VIDEO_CONTAINERS),
    '-i',
    input,
    '-map',
    `0:${o.streamIndex}`,
    '-an',
    '-sn',
    '-dn',
    '-frames:v',
    String(o.count),
    '-fps_mode',
    'passthrough',
    '-vf',
    filters.join(','),
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    'pipe:1',
  ];
}

/** An mp4 timescale in which one frame lasts a whole number of ticks, so durations add up exactly. */
export function trackTimescale(rate: Rational): number {
  if (rate.num >= 1000) return rate.num;
  return rate.num * Math.ceil(1000 / rate.num);
}

/** A longest filter argument we hand ffmpeg (Linux caps one argument at 128 KiB). */
const MAX_TIMING_EXPR = 100_000;

/**
 * A setpts expression that puts frame N of a range at `ticks[N]`: the frames cut into runs of
 * equal intervals (`t + (N - k) * d`), found by a balanced tree of comparisons, so a mostly regular
 * variable-rate range stays a short expression and each frame costs a few comparisons.
 */
export function ticksExpression(ticks: readonly number[]): string {
  const runs: { k: number; t: number; d: number }[] = [];
  for (let i = 0; i < ticks.length;) {
    const t = ticks[i] ?? 0;
    const d = i + 1 < ticks.length ? (ticks[i + 1] ?? 0) - t : 0;
    let j = i + 1;
    while (j < ticks.length && (ticks[j] ?? 0) === t + (j - i) * d) j++;
    runs.push({ k: i, t, d });
    i = j;
  }
  const tree = (lo: number, hi: number): string => {
    if (hi - lo === 1) {
      const r = runs[lo]!;
      return r.d === 0 ? String(r.t) : `${r.t}+(N-${r.k})*${r.d}`;
    }
    const mid = (lo + hi) >> 1;
    return `if(lt(N,${runs[mid]!.k}),${tree(lo, mid)},${tree(mid, hi)})`;
  };
  return tree(0, runs.length);
}

/**
 * How a segment's frames are timed. Constant rate: by frame index at the source's rate (the
 * `-framerate` of the raw input, or `cfrFilter` where frames keep their decoded times). Variable
 * rate (`ticks`, microseconds from the range's first frame, then its length): each frame gets its
 * source time, in a microsecond time base end to end (filter, encoder, track).
 */
function segmentTiming(
  rate: Rational,
  ticks: readonly number[] | undefined,
  cfrFilter: string | undefined,
  label: string,
): { filters: string[]; output: string[] } {
  if (!ticks)
    return { filters: cfrFilter ? [cfrFilter] : [], output: ['-video_track_timescale', String(trackTimescale(rate))] };
  const expression = ticksExpression(ticks.slice(0, -1));
  if (expression.length > MAX_TIMING_EXPR) {
    throw new PermanentError(
      `${label}: the frame times of this range are too irregular to hand to ffmpeg (${expression.length} characters); lower TESSERA_VIDEO_MAX_SHARD_FRAMES`,
      { code: 'RangeTooIrregular' },
    );
  }
  return {
    filters: [`settb=1/${VFR_TIMESCALE}`, `setpts='${expression}'`],
    output: [
      '-fps_mode',
      'passthrough',
      '-enc_time_base',
      `1/${VFR_TIMESCALE}`,
      '-video_track_timescale',
      String(VFR_TIMESCALE),
    ],
  };
}

/**
 * Encodes raw rgb24 frames from stdin into an H.264 mp4 segment at the source's exact frame rate,
 * restoring the frame's original size (cropping a letterbox) and the source's colour (colorArgs).
 * Odd sizes are kept exactly by encoding 4:4:4 (4:2:0 needs even sizes).
 */
export function encodeArgs(
  output: string,
  o: {
    width: number;
    height: number;
    fit: FitGeometry;
    rate: Rational;
    settings: EncodeSettings;
    ticks?: readonly number[];
    label?: string;
    color?: VideoColor;
  },
): string[] {
  const timing = segmentTiming(o.rate, o.ticks, undefined, o.label ?? output);
  const color = colorArgs(o.color);
  const filters: string[] = [...timing.filters];
  if (o.fit.innerWidth !== o.fit.modelWidth || o.fit.innerHeight !== o.fit.modelHeight) {
    filters.push(`crop=${o.fit.innerWidth}:${o.fit.innerHeight}:${o.fit.padLeft}:${o.fit.padTop}`);
  }
  const even = o.width % 2 === 0 && o.height % 2 === 0;
  filters.push(`scale=${o.width}:${o.height}:flags=bicubic:${color.scale}`);
  return [
    '-v',
    'error',
    '-nostdin',
    ...inputWhitelist('pipe', ['rawvideo']),
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    '-s',
    `${o.fit.modelWidth}x${o.fit.modelHeight}`,
    '-framerate',
    `${o.rate.num}/${o.rate.den}`,
    '-i',
    'pipe:0',
    '-vf',
    filters.join(','),
    '-c:v',
    'libx264',
    '-preset',
    o.settings.preset,
    '-crf',
    String(o.settings.crf),
    ...threadsArgs(o.settings.threads),
    '-pix_fmt',
    even ? 'yuv420p' : 'yuv444p',
    ...color.tags,
    ...timing.output,
    '-y',
    '-f',
    'mp4',
    output,
  ];
}

/**
 * A range re-encoded with no model in between (pass-through): one ffmpeg, no raw pipe, frames kept
 * in YUV. The segment matches a styled one (coded size, x264 settings, pixel format, colour,
 * timescale, constant-rate timestamps from the frame index), so the stitch can still copy.
 * ffmpeg reports its progress on stdout (`frame=N` … `progress=end`): the frames it wrote.
 */
export function passthroughArgs(
  input: string,
  output: string,
  o: SeekOptions & {
    streamIndex: number;
    count: number;
    width: number;
    height: number;
    rate: Rational;
    settings: EncodeSettings;
    ticks?: readonly number[];
    label?: string;
    color?: VideoColor;
    formats?: readonly string[];
  },
): string[] {
  const even = o.width % 2 === 0 && o.height % 2 === 0;
  const timing = segmentTiming(o.rate, o.ticks, `setpts=N*${o.rate.den}/(${o.rate.num}*TB)`, o.label ?? input);
  const color = colorArgs(o.color);
  const seek = seekArgs(o);
  return [
    '-v',
    'error',
    '-nostdin',
    '-nostats',
    '-progress',
    'pipe:1',
    ...threadsArgs(o.settings.threads),
    ...seek.input,
    '-noautorotate',
    ...inputWhitelist('file', o.formats ?? DEFAULT_VIDEO_CONTAINERS),
    '-i',
    input,
    '-map',
    `0:${o.streamIndex}`,
    '-an',
    '-sn',
    '-dn',
    '-frames:v',
    String(o.count),
    '-fps_mode',
    'passthrough',
    '-vf',
    [
      ...seek.filters,
      ...timing.filters,
      `scale=${o.width}:${o.height}:flags=bicubic:in_color_matrix=auto:${color.scale}`,
    ].join(','),
    '-c:v',
    'libx264',
    '-preset',
    o.settings.preset,
    '-crf',
    String(o.settings.crf),
    ...threadsArgs(o.settings.threads),
    '-pix_fmt',
    even ? 'yuv420p' : 'yuv444p',
    ...color.tags,
    ...timing.output,
    '-y',
    '-f',
    'mp4',
    output,
  ];
}

/**
 * Joins the segments without re-encoding and muxes the original audio by copy. `videoOffset`
 * shifts the video to where the source's video started, so audio stays in sync. A `rotation`
 * (clockwise) becomes the video's display matrix, as the source's was: ffmpeg 5.1's `rotate` tag,
 * whose angle is counter-clockwise (what ffprobe reports back).
 * The original is read with one of `formats` (the accepted containers) only.
 */
export function stitchArgs(
  concatList: string,
  original: string,
  output: string,
  o: {
    audioStreamIndex: number | undefined;
    videoOffset: number;
    rate: Rational;
    variableRate?: boolean;
    rotation?: number;
    formats?: readonly string[];
  },
): string[] {
  // The concat demuxer offsets each segment by its duration rounded to microseconds; snapping every
  // timestamp back onto the frame grid makes the stitched timing exact (the drift is far below a frame).
  // A variable-rate video is timed in microseconds throughout: nothing to snap, nothing to drift.
  const timescale = o.variableRate ? VFR_TIMESCALE : trackTimescale(o.rate);
  const tick = (timescale * o.rate.den) / o.rate.num;
  const offset = Math.round(o.videoOffset * timescale);
  const snap = (v: string) =>
    offset === 0
      ? `${v}=round(${v.toUpperCase()}/${tick})*${tick}`
      : `${v}=round((${v.toUpperCase()}-${offset})/${tick})*${tick}+${offset}`;
  return [
    '-v',
    'error',
    '-nostdin',
    ...(o.videoOffset > 0 ? ['-itsoffset', o.videoOffset.toFixed(6)] : []),
    // The concat demuxer opens our segments with the same whitelists.
    ...inputWhitelist('file', ['concat', ...SEGMENT_FORMATS]),
    '-f',
    'concat',
    '-safe',
    '0',
    '-i',
    concatList,
    ...inputWhitelist('file', o.formats ?? DEFAULT_VIDEO_CONTAINERS),
    '-i',
    original,
    '-map',
    '0:v:0',
    ...(o.audioStreamIndex === undefined ? [] : ['-map', `1:${o.audioStreamIndex}`]),
    '-c',
    'copy',
    ...(!o.variableRate && Number.isInteger(tick) ? ['-bsf:v', `setts=${snap('pts')}:${snap('dts')}`] : []),
    ...(o.rotation ? ['-metadata:s:v:0', `rotate=${(360 - o.rotation) % 360}`] : []),
    '-video_track_timescale',
    String(timescale),
    // The video's start offset is an edit in the movie's timescale: in the default 1/1000 s it
    // lands up to 1.3 ms off its frame grid (0.214 s became 217/1020); in the track's it is exact.
    '-movie_timescale',
    String(timescale),
    '-movflags',
    '+faststart',
    '-y',
    '-f',
    'mp4',
    output,
  ];
}

/**
 * A concat-demuxer list naming each segment by absolute path, quoted; with `micros`, each
 * segment's length in microseconds, where the next one starts (a variable-rate video's ranges).
 */
export function concatList(paths: readonly string[], micros?: readonly number[]): string {
  const entry = (p: string, i: number) => {
    const file = `file '${p.replaceAll("'", "'\\''")}'`;
    const us = micros?.[i];
    return us === undefined ? file : `${file}\nduration ${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, '0')}`;
  };
  return `ffconcat version 1.0\n${paths.map(entry).join('\n')}\n`;
}
