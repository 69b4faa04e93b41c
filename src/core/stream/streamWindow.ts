import type { Window } from '../windowing.js';

/** The serialisable state of one window, open (revision 0) or emitted (revision ≥ 1). */
export interface StreamWindowState {
  readonly device: string;
  readonly tag: string;
  readonly start: number;
  readonly end: number;
  readonly count: number;
  /** Welford running mean and sum of squared deviations, exactly as `WindowAccumulator` keeps them. */
  readonly mean: number;
  readonly m2: number;
  readonly min: number;
  readonly max: number;
  readonly firstSequenceNumber: number;
  readonly lastSequenceNumber: number;
  readonly eventCount: number;
  /** 0 while open; the last revision emitted otherwise. */
  readonly revision: number;
  /** Emitted, then updated by a late event: the next emission is revision + 1. */
  readonly dirty: boolean;
}

/**
 * One window of one series: the Welford accumulator of `WindowAccumulator` (same arithmetic, in the
 * same order, so the features agree with the batch job bit for bit on the same input order), plus
 * the sequence range and number of the events in it, and its emission state. Its fields are public
 * so that a snapshot restores it exactly.
 */
export class StreamWindow {
  count = 0;
  mean = 0;
  m2 = 0;
  min = Infinity;
  max = -Infinity;
  firstSequenceNumber = -1;
  lastSequenceNumber = -1;
  eventCount = 0;
  revision = 0;
  dirty = false;

  constructor(
    readonly device: string,
    readonly tag: string,
    readonly start: number,
    readonly end: number,
  ) {}

  add(value: number, sequenceNumber: number): void {
    this.count += 1;
    const delta = value - this.mean;
    this.mean += delta / this.count;
    this.m2 += delta * (value - this.mean);
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    if (sequenceNumber !== this.lastSequenceNumber) {
      if (this.eventCount === 0) this.firstSequenceNumber = sequenceNumber;
      this.lastSequenceNumber = sequenceNumber;
      this.eventCount += 1;
    }
  }

  /** The batch job's window: population std, as `WindowAccumulator.toWindow`. */
  toWindow(): Window {
    const variance = this.count > 0 ? Math.max(0, this.m2 / this.count) : 0;
    return { device: this.device, tag: this.tag, start: this.start, end: this.end, count: this.count, mean: this.mean, std: Math.sqrt(variance), min: this.min, max: this.max };
  }

  state(): StreamWindowState {
    const { device, tag, start, end, count, mean, m2, min, max, firstSequenceNumber, lastSequenceNumber, eventCount, revision, dirty } = this;
    return { device, tag, start, end, count, mean, m2, min, max, firstSequenceNumber, lastSequenceNumber, eventCount, revision, dirty };
  }

  static fromState(s: StreamWindowState): StreamWindow {
    const w = new StreamWindow(s.device, s.tag, s.start, s.end);
    w.count = s.count;
    w.mean = s.mean;
    w.m2 = s.m2;
    w.min = s.min;
    w.max = s.max;
    w.firstSequenceNumber = s.firstSequenceNumber;
    w.lastSequenceNumber = s.lastSequenceNumber;
    w.eventCount = s.eventCount;
    w.revision = s.revision;
    w.dirty = s.dirty;
    return w;
  }
}
