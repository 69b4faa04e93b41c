import { WindowAccumulator, type Window } from '../windowing.js';

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
 * One window of one series: the batch job's `WindowAccumulator` (so the features agree with it bit
 * for bit on the same input order), plus the sequence range and number of the events in it, and its
 * emission state. Its fields are public so that a snapshot restores it exactly.
 */
export class StreamWindow extends WindowAccumulator {
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
  ) {
    super();
  }

  /** Adds a reading from the event with this sequence number. */
  addReading(value: number, sequenceNumber: number): void {
    this.add(value);
    if (sequenceNumber !== this.lastSequenceNumber) {
      if (this.eventCount === 0) this.firstSequenceNumber = sequenceNumber;
      this.lastSequenceNumber = sequenceNumber;
      this.eventCount += 1;
    }
  }

  /** The batch job's window: population std. */
  window(): Window {
    return this.toWindow(this.device, this.tag, this.start, this.end - this.start);
  }

  state(): StreamWindowState {
    const {
      device,
      tag,
      start,
      end,
      count,
      mean,
      m2,
      min,
      max,
      firstSequenceNumber,
      lastSequenceNumber,
      eventCount,
      revision,
      dirty,
    } = this;
    return {
      device,
      tag,
      start,
      end,
      count,
      mean,
      m2,
      min,
      max,
      firstSequenceNumber,
      lastSequenceNumber,
      eventCount,
      revision,
      dirty,
    };
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
