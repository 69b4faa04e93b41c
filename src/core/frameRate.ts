import { rationalValue, type Rational } from './rational.js';

/** Rates that real videos use, tried after the container's own guesses. */
const COMMON_RATES: readonly Rational[] = [
  { num: 24000, den: 1001 },
  { num: 24, den: 1 },
  { num: 25, den: 1 },
  { num: 30000, den: 1001 },
  { num: 30, den: 1 },
  { num: 48, den: 1 },
  { num: 50, den: 1 },
  { num: 60000, den: 1001 },
  { num: 60, den: 1 },
  { num: 120, den: 1 },
  { num: 15, den: 1 },
  { num: 12, den: 1 },
  { num: 10, den: 1 },
];

export interface FrameTiming {
  /** The rate the frames' timestamps keep (constant rate), or their average (variable rate). */
  readonly rate: Rational;
  /** False when every frame (the last aside) sits on the grid of `rate`. */
  readonly vfr: boolean;
}

/**
 * The real frame rate of a stream, from its frames' own presentation times (seconds, ascending)
 * in time base `timeBase`, never from a container's guess alone: ffprobe reports 60/1 or 1000/1
 * for a 30 fps Matroska file whose header says so, and a millisecond time base puts a 30 fps
 * file's frames 33 and 34 ms apart. A rate fits when each frame lies within one time-base tick
 * (less than half a frame; at least 1% of one) of `first + i / rate`; the last frame is not held
 * to it (muxers end streams oddly). The container's guesses come first; then, of COMMON_RATES, the
 * one that fits closest; then the frames' mean rate (an exact fraction of the time base). When
 * none fits, the video has a variable rate, reported at its mean (or at the first guess, when that
 * is within 5% of the mean).
 */
export function frameTimingOf(
  pts: ArrayLike<number>,
  timeBase: Rational,
  guesses: readonly (Rational | undefined)[],
): FrameTiming {
  const known = guesses.filter((g): g is Rational => g !== undefined && g.num > 0 && g.den > 0);
  const n = pts.length;
  if (n < 2) return { rate: known[0] ?? { num: 25, den: 1 }, vfr: false };
  const tick = rationalValue(timeBase);
  const mean = meanRate(pts, timeBase);
  const guessed = known.find((rate) => gridError(pts, rate, tick) <= 1);
  if (guessed) return { rate: guessed, vfr: false };
  // Several common rates can fit a short clip (30 and 30000/1001 differ by a millisecond in 30 frames): the closest wins.
  let best: { rate: Rational; error: number } | undefined;
  for (const rate of COMMON_RATES) {
    const error = gridError(pts, rate, tick);
    if (error <= 1 && (!best || error < best.error)) best = { rate, error };
  }
  if (best) return { rate: best.rate, vfr: false };
  if (gridError(pts, mean, tick) <= 1) return { rate: mean, vfr: false };
  const guess = known[0];
  const close = guess !== undefined && Math.abs(rationalValue(guess) / rationalValue(mean) - 1) <= 0.05;
  return { rate: close ? guess : mean, vfr: true };
}

/** (n - 1) frames over the span from the first to the last, as an exact fraction in the time base. */
function meanRate(pts: ArrayLike<number>, timeBase: Rational): Rational {
  const n = pts.length;
  const spanTicks = Math.max(1, Math.round(((pts[n - 1] ?? 0) - (pts[0] ?? 0)) / rationalValue(timeBase)));
  const num = (n - 1) * timeBase.den;
  const den = spanTicks * timeBase.num;
  const g = gcd(num, den);
  return { num: num / g, den: den / g };
}

/**
 * How far the frames stray from the grid `first + i / rate`, as a share of what rounding to the
 * time base allows (one tick, but less than half a frame; at least 1% of a frame): at most 1 fits.
 */
function gridError(pts: ArrayLike<number>, rate: Rational, tick: number): number {
  const interval = 1 / rationalValue(rate);
  const tolerance = Math.max(Math.min(tick, interval * 0.49), interval * 0.01) + 1e-9;
  const first = pts[0] ?? 0;
  const last = pts.length > 2 ? pts.length - 1 : pts.length;
  let worst = 0;
  for (let i = 1; i < last; i++) {
    worst = Math.max(worst, Math.abs((pts[i] ?? 0) - first - i * interval) / tolerance);
    if (worst > 1) return worst;
  }
  return worst;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return Math.abs(a) || 1;
}
