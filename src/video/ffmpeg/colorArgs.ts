import type { VideoColor } from '../../core/videoColor.js';

/** swscale's matrix for each colour space ffprobe names (bt2020c has no constant-luminance matrix in swscale). */
const SWS_MATRIX: Readonly<Record<string, string>> = {
  bt709: 'bt709',
  bt470bg: 'bt470',
  smpte170m: 'smpte170m',
  fcc: 'fcc',
  smpte240m: 'smpte240m',
  bt2020nc: 'bt2020',
  bt2020c: 'bt2020',
};

/**
 * The source's colour description, carried through a segment's encode: RGB goes back to YUV with
 * the source's matrix and range (an untagged source's with BT.601 and limited range, what the
 * decode assumed, so the values round-trip), and the stream is tagged with what the source was
 * tagged with (matrix, range, primaries, transfer); an unspecified field stays unspecified, but
 * for the range (limited, tagged tv).
 */
export function colorArgs(color: VideoColor = {}): { scale: string; tags: string[] } {
  const matrix = color.space ? SWS_MATRIX[color.space] : undefined;
  const range = color.range ?? 'tv';
  return {
    scale: `out_color_matrix=${matrix ?? 'bt601'}:out_range=${range === 'pc' ? 'full' : 'limited'}`,
    tags: [
      ...(matrix && color.space ? ['-colorspace', color.space] : []),
      ...(color.primaries ? ['-color_primaries', color.primaries] : []),
      ...(color.transfer ? ['-color_trc', color.transfer] : []),
      '-color_range',
      range,
    ],
  };
}
