import { NumberHeap } from './minHeap.js';
import { StreamWindow } from './streamWindow.js';
import type { WindowGrid } from './windowSpec.js';

/** One series (device, tag) of a device: its grid and its windows by start. */
export interface Series {
  readonly tag: string;
  readonly sizeMs: number;
  readonly hopMs: number;
  readonly windows: Map<number, StreamWindow>;
  /** The window the last reading went to (tumbling): most readings go to the same one. */
  last: StreamWindow | undefined;
}

/**
 * One device's share of a partition's aggregation: its own watermark (a device has one clock, which
 * may be hours behind another device's in the same partition, as in a backfill), its series'
 * windows, and when they close (the device's watermark reaches their end) and are forgotten (it
 * passes their end + the late tolerance).
 */
export class DeviceWindows {
  /** Set by the aggregator: the sequence number of the last event that had a reading of this device. */
  touchedBy = -1;
  private readonly tags = new Map<string, Series>();
  /** Every window held, by end: what closes and expires together. */
  private readonly byEnd = new Map<number, StreamWindow[]>();
  private readonly closeHeap = new NumberHeap();
  private readonly expireHeap = new NumberHeap();

  constructor(
    readonly id: string,
    /** max event time seen − the out-of-order tolerance; never goes back. */
    public watermark: number,
  ) {}

  series(tag: string, grid: (device: string, tag: string) => WindowGrid): Series {
    let s = this.tags.get(tag);
    if (s === undefined) {
      const { sizeMs, hopMs } = grid(this.id, tag);
      s = { tag, sizeMs, hopMs, windows: new Map(), last: undefined };
      this.tags.set(tag, s);
    }
    return s;
  }

  windowOf(s: Series, start: number): StreamWindow {
    let w = s.windows.get(start);
    if (w === undefined) {
      w = new StreamWindow(this.id, s.tag, start, start + s.sizeMs);
      s.windows.set(start, w);
      this.hold(w);
    }
    return w;
  }

  /** Holds a window: open ones wait to close, emitted ones (from a snapshot) to be forgotten. */
  hold(w: StreamWindow): void {
    const bucket = this.byEnd.get(w.end);
    if (bucket === undefined) this.byEnd.set(w.end, [w]);
    else bucket.push(w);
    if (w.revision === 0) this.closeHeap.push(w.end);
    else this.expireHeap.push(w.end);
  }

  /** Restores a window of a snapshot into its series. */
  restore(w: StreamWindow, grid: (device: string, tag: string) => WindowGrid): void {
    this.series(w.tag, grid).windows.set(w.start, w);
    this.hold(w);
  }

  /** True when an open window ends at or before the watermark. */
  hasDue(): boolean {
    return this.closeHeap.peek() <= this.watermark;
  }

  /** Moves the open windows ending at or before `until` into `out`; they are forgotten later (`expire`). */
  closeDue(until: number, out: StreamWindow[]): void {
    while (this.closeHeap.size > 0 && this.closeHeap.peek() <= until) {
      const end = this.closeHeap.pop() as number;
      for (const w of this.byEnd.get(end) ?? []) if (w.revision === 0) out.push(w);
      this.expireHeap.push(end);
    }
  }

  /** Forgets the emitted windows whose end + `lateMs` the watermark has passed; returns how many. */
  expire(lateMs: number): number {
    const horizon = this.watermark - lateMs;
    let forgotten = 0;
    while (this.expireHeap.size > 0 && this.expireHeap.peek() <= horizon) {
      const end = this.expireHeap.pop() as number;
      for (const w of this.byEnd.get(end) ?? []) {
        const s = this.tags.get(w.tag);
        if (s === undefined) continue;
        s.windows.delete(w.start);
        if (s.last === w) s.last = undefined;
        forgotten += 1;
      }
      this.byEnd.delete(end);
    }
    return forgotten;
  }

  /** Every window held, open or kept for revisions. */
  *windows(): IterableIterator<StreamWindow> {
    for (const ws of this.byEnd.values()) yield* ws;
  }
}
