/**
 * How a video's YUV samples map to colour, in ffmpeg's names (ffprobe's `color_space`,
 * `color_range`, `color_primaries`, `color_transfer`). A field the source leaves unspecified is
 * absent. The styled video carries the source's description through: its samples are converted
 * back with the source's matrix and range, and tagged with all four.
 */
export interface VideoColor {
  /** Matrix coefficients: bt709, bt470bg, smpte170m, bt2020nc, … */
  readonly space?: string;
  /** tv (limited, 16-235) or pc (full, 0-255). */
  readonly range?: 'tv' | 'pc';
  readonly primaries?: string;
  readonly transfer?: string;
}

/** The named values a VideoColor field may hold (ffmpeg's), so a message cannot smuggle in an option. */
const NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;

/** True when `value` is a VideoColor: an object whose fields, if present, are ffmpeg colour names. */
export function isVideoColor(value: unknown): value is VideoColor {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Record<string, unknown>;
  return (
    ['space', 'primaries', 'transfer'].every(
      (k) => c[k] === undefined || (typeof c[k] === 'string' && NAME.test(c[k])),
    ) &&
    (c.range === undefined || c.range === 'tv' || c.range === 'pc')
  );
}
