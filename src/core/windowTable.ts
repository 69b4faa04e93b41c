import { windowStartOf, type FeatureName } from './windowing.js';

/**
 * The windows of one series in columns: the batch job's form of SeriesWindows (windowing.ts). Each
 * window is a slot of typed arrays updated with the very arithmetic of WindowAccumulator (Welford, in
 * the rows' order), so the features are the same to the bit; but no object is made per window, and a
 * row in the same window as the row before (rows mostly come in time order) finds its slot without
 * a lookup. Memory grows with windows, not rows.
 */
export class WindowTable {
  readonly windowMs: number;
  size = 0;
  starts = new Float64Array(64);
  counts = new Float64Array(64);
  means = new Float64Array(64);
  m2s = new Float64Array(64);
  mins = new Float64Array(64);
  maxs = new Float64Array(64);
  private readonly slots = new Map<number, number>();
  private lastStart = Number.NaN;
  private lastSlot = -1;

  constructor(windowSeconds: number) {
    this.windowMs = windowSeconds * 1000;
  }

  add(ts: number, value: number): void {
    const start = windowStartOf(ts, this.windowMs);
    let slot = this.lastSlot;
    if (start !== this.lastStart) {
      slot = this.slots.get(start) ?? this.open(start);
      this.lastStart = start;
      this.lastSlot = slot;
    }
    const count = (this.counts[slot] as number) + 1;
    this.counts[slot] = count;
    const mean = this.means[slot] as number;
    const delta = value - mean;
    const next = mean + delta / count;
    this.means[slot] = next;
    this.m2s[slot] = (this.m2s[slot] as number) + delta * (value - next);
    if (value < (this.mins[slot] as number)) this.mins[slot] = value;
    if (value > (this.maxs[slot] as number)) this.maxs[slot] = value;
  }

  /** Population standard deviation of a slot, as WindowAccumulator.toWindow computes it. */
  std(slot: number): number {
    const count = this.counts[slot] as number;
    return Math.sqrt(count > 0 ? Math.max(0, (this.m2s[slot] as number) / count) : 0);
  }

  /** A feature of a slot. */
  feature(slot: number, name: FeatureName): number {
    switch (name) {
      case 'mean':
        return this.means[slot] as number;
      case 'std':
        return this.std(slot);
      case 'min':
        return this.mins[slot] as number;
      case 'max':
        return this.maxs[slot] as number;
    }
  }

  /** The slots in order of window start. */
  order(): Int32Array {
    const order = new Int32Array(this.size);
    let sorted = true;
    for (let i = 0; i < this.size; i++) {
      order[i] = i;
      if (i > 0 && (this.starts[i] as number) < (this.starts[i - 1] as number)) sorted = false;
    }
    return sorted ? order : order.sort((a, b) => (this.starts[a] as number) - (this.starts[b] as number));
  }

  private open(start: number): number {
    if (this.size === this.starts.length) this.grow();
    const slot = this.size++;
    this.starts[slot] = start;
    this.mins[slot] = Infinity;
    this.maxs[slot] = -Infinity;
    this.slots.set(start, slot);
    return slot;
  }

  private grow(): void {
    const n = this.starts.length * 2;
    const bigger = (a: Float64Array) => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    this.starts = bigger(this.starts);
    this.counts = bigger(this.counts);
    this.means = bigger(this.means);
    this.m2s = bigger(this.m2s);
    this.mins = bigger(this.mins);
    this.maxs = bigger(this.maxs);
  }
}
