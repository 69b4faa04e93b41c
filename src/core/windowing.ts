/**
 * Tumbling event-time windows, aligned to the Unix epoch, in UTC.
 * Features, in this order: mean, std (population), min, max.
 */
export const FEATURES = ['mean', 'std', 'min', 'max'] as const;

export interface Window {
  readonly device: string;
  readonly tag: string;
  /** Epoch milliseconds, inclusive. */
  readonly start: number;
  /** Epoch milliseconds, exclusive. */
  readonly end: number;
  readonly count: number;
  readonly mean: number;
  readonly std: number;
  readonly min: number;
  readonly max: number;
}

export function windowStartOf(ts: number, windowMs: number): number {
  return Math.floor(ts / windowMs) * windowMs;
}

/** Running mean and variance (Welford), min and max of one window. */
export class WindowAccumulator {
  count = 0;
  private mean = 0;
  private m2 = 0;
  private min = Infinity;
  private max = -Infinity;

  add(value: number): void {
    this.count += 1;
    const delta = value - this.mean;
    this.mean += delta / this.count;
    this.m2 += delta * (value - this.mean);
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  toWindow(device: string, tag: string, start: number, windowMs: number): Window {
    const variance = this.count > 0 ? Math.max(0, this.m2 / this.count) : 0;
    return { device, tag, start, end: start + windowMs, count: this.count, mean: this.mean, std: Math.sqrt(variance), min: this.min, max: this.max };
  }
}

/** Windows of one series from its readings, in any order; returned sorted by start. */
export function buildWindows(
  device: string,
  tag: string,
  readings: Iterable<{ readonly ts: number; readonly value: number }>,
  windowSeconds: number,
): Window[] {
  const windowMs = windowSeconds * 1000;
  const open = new Map<number, WindowAccumulator>();
  for (const r of readings) {
    const start = windowStartOf(r.ts, windowMs);
    let acc = open.get(start);
    if (!acc) {
      acc = new WindowAccumulator();
      open.set(start, acc);
    }
    acc.add(r.value);
  }
  return [...open.entries()].sort((a, b) => a[0] - b[0]).map(([start, acc]) => acc.toWindow(device, tag, start, windowMs));
}

/** The feature vector of a window, in FEATURES order. */
export function featuresOf(w: Window): [number, number, number, number] {
  return [w.mean, w.std, w.min, w.max];
}

export type FeatureName = (typeof FEATURES)[number];

/** Parses a model's `features` metadata (e.g. `mean,std,min,max`); undefined when it names an unknown feature. */
export function parseFeatureList(text: string): FeatureName[] | undefined {
  const names = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.length === 0 || names.some((n) => !(FEATURES as readonly string[]).includes(n))) return undefined;
  return names as FeatureName[];
}

/** Writes a window's features in the given order into `out` at `offset`. */
export function writeFeatures(w: Window, names: readonly FeatureName[], out: Float32Array | Float64Array, offset: number): void {
  for (let i = 0; i < names.length; i++) out[offset + i] = w[names[i] as FeatureName];
}
