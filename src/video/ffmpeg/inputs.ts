/**
 * What ffmpeg and ffprobe may open. Every input of every call names the protocols (`file`, or `pipe`
 * for our own raw frames) and the demuxers it may be read with, before the input: a file whose
 * contents say otherwise (an `.mp4` that is really an HLS playlist naming other local files, a concat
 * list, an image sequence) is refused by ffmpeg itself before it opens anything else.
 */

/** The containers a source video may be in, by default (TESSERA_VIDEO_CONTAINERS): ffprobe's demuxer names. */
export const DEFAULT_VIDEO_CONTAINERS: readonly string[] = Object.freeze([
  'mov',
  'mp4',
  'matroska',
  'webm',
  'avi',
  'mpegts',
]);

/** The segments Tessera writes itself (mp4), read by the stitch's concat demuxer. */
export const SEGMENT_FORMATS: readonly string[] = Object.freeze(['mov']);

/** The input options that restrict the next `-i` (or ffprobe's input) to `protocol` and `formats`. */
export function inputWhitelist(protocol: 'file' | 'pipe', formats: readonly string[]): string[] {
  if (formats.length === 0 || formats.some((f) => !/^[a-z0-9_]+$/.test(f)))
    throw new Error(`format whitelist must be demuxer names, got ${JSON.stringify(formats)}`);
  return ['-protocol_whitelist', protocol, '-format_whitelist', formats.join(',')];
}

/**
 * The inputs of an argument list that no whitelist precedes: for ffmpeg each `-i` needs both
 * options since the previous `-i`; ffprobe's one input needs both anywhere. spawnTool refuses a
 * call that has any.
 */
export function unguardedInputs(tool: 'ffmpeg' | 'ffprobe', args: readonly string[]): number {
  if (tool === 'ffprobe') return args.includes('-protocol_whitelist') && args.includes('-format_whitelist') ? 0 : 1;
  let unguarded = 0;
  let since = 0;
  args.forEach((a, i) => {
    if (a !== '-i') return;
    const options = args.slice(since, i);
    if (!options.includes('-protocol_whitelist') || !options.includes('-format_whitelist')) unguarded += 1;
    since = i + 2;
  });
  return unguarded;
}

/**
 * The demuxer ffmpeg refused by the whitelist ("[hls @ 0x…] Format not on whitelist 'mov,…'"), or
 * undefined when stderr says no such thing.
 */
export function refusedFormat(stderr: string): string | undefined {
  return /\[([^\]@]+?) @ [^\]]*\] Format not on whitelist/.exec(stderr)?.[1]?.trim();
}
