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

/**
 * Running mean and variance (Welford), min and max of one window. The one accumulator of the
 * project: the batch job and the stream aggregator (which extends it) compute features alike. Its
 * state is public so a snapshot can restore it exactly.
 */
export class WindowAccumulator {
  count = 0;
  mean = 0;
  m2 = 0;
  min = Infinity;
  max = -Infinity;

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
    return {
      device,
      tag,
      start,
      end: start + windowMs,
      count: this.count,
      mean: this.mean,
      std: Math.sqrt(variance),
      min: this.min,
      max: this.max,
    };
  }
}

/** The windows of one series, fed readings in any order: memory grows with windows, not readings. */
export class SeriesWindows {
  private readonly open = new Map<number, WindowAccumulator>();
  private readonly windowMs: number;

  constructor(
    readonly device: string,
    readonly tag: string,
    windowSeconds: number,
  ) {
    this.windowMs = windowSeconds * 1000;
  }

  add(ts: number, value: number): void {
    const start = windowStartOf(ts, this.windowMs);
    let acc = this.open.get(start);
    if (!acc) {
      acc = new WindowAccumulator();
      this.open.set(start, acc);
    }
    acc.add(value);
  }

  /** The windows, sorted by start. */
  windows(): Window[] {
    return [...this.open.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([start, acc]) => acc.toWindow(this.device, this.tag, start, this.windowMs));
  }
}

/** Windows of one series from its readings, in any order; returned sorted by start. */
export function buildWindows(
  device: string,
  tag: string,
  readings: Iterable<{ readonly ts: number; readonly value: number }>,
  windowSeconds: number,
): Window[] {
  const set = new SeriesWindows(device, tag, windowSeconds);
  for (const r of readings) set.add(r.ts, r.value);
  return set.windows();
}

/** The feature vector of a window, in FEATURES order. */
export function featuresOf(w: Window): [number, number, number, number] {
  return [w.mean, w.std, w.min, w.max];
}

export type FeatureName = (typeof FEATURES)[number];

/** Parses a model's `features` metadata (e.g. `mean,std,min,max`); undefined when it names an unknown feature. */
export function parseFeatureList(text: string): FeatureName[] | undefined {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.length === 0 || names.some((n) => !(FEATURES as readonly string[]).includes(n))) return undefined;
  return names as FeatureName[];
}

/** Writes a window's features in the given order into `out` at `offset`. */
export function writeFeatures(
  w: Window,
  names: readonly FeatureName[],
  out: Float32Array | Float64Array,
  offset: number,
): void {
  for (let i = 0; i < names.length; i++) out[offset + i] = w[names[i] as FeatureName];
}
