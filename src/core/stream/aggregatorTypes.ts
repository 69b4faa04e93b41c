import type { Window } from '../windowing.js';
import type { StreamWindowState } from './streamWindow.js';
import type { WindowSpec } from './windowSpec.js';

/** Where an event sat in its log: all the aggregator needs of it besides its readings (an EventRecord fits). */
export interface EventPosition {
  readonly partition: number;
  readonly sequenceNumber: number;
}

/** What happens to a reading older than watermark − lateArrivalTolerance. */
export type LatePolicy = 'adjust' | 'drop';

/**
 * Options of a `PartitionAggregator`. The defaults are Azure Stream Analytics' defaults for a new
 * job's event ordering policy: out-of-order tolerance 0 s, late-arrival tolerance 5 s, action Adjust.
 */
export interface AggregatorOptions {
  /** The event log partition this instance aggregates; records of another partition are a bug and throw. */
  readonly partition: number;
  /** The window spec of every series without an override (from the models' `window_seconds`). */
  readonly windows: WindowSpec;
  /** Per-series window specs, keyed by `seriesId({ device, tag })` (`sharding.ts`). */
  readonly seriesWindows?: ReadonlyMap<string, WindowSpec>;
  /** watermark = max event time seen − this. Default 0 (Stream Analytics' default). */
  readonly outOfOrderToleranceMs?: number;
  /** A reading older than watermark − this is too late and handled by `latePolicy`. Default 5000. */
  readonly lateArrivalToleranceMs?: number;
  /** Default 'adjust': the reading's time becomes watermark − lateArrivalTolerance (Stream Analytics' default action). */
  readonly latePolicy?: LatePolicy;
  /** Producer ids remembered for deduplication (FIFO). Default 10 000; 0 turns id deduplication off. */
  readonly dedupeCapacity?: number;
}

export const DEFAULT_OUT_OF_ORDER_TOLERANCE_MS = 0;
export const DEFAULT_LATE_ARRIVAL_TOLERANCE_MS = 5000;
export const DEFAULT_LATE_POLICY: LatePolicy = 'adjust';
export const DEFAULT_DEDUPE_CAPACITY = 10_000;

/** A window as the aggregator emits it: revision 1 when the watermark passes its end, 2, 3… after late updates. */
export interface EmittedWindow extends Window {
  readonly revision: number;
  readonly partition: number;
  /** Sequence range of the events that contributed readings (not every event in between did). */
  readonly firstSequenceNumber: number;
  readonly lastSequenceNumber: number;
  /** Events (not readings) that contributed; `count` is the readings. */
  readonly eventCount: number;
  /** Its device's watermark when this revision was emitted. */
  readonly watermark: number;
}

/** A reading the aggregator dropped because its device's stream had moved past it: its index in the event's readings. */
export interface StreamReject {
  readonly index: number;
  readonly reason: 'too late';
  readonly detail: string;
}

export interface AggregatorStats {
  /** Events processed (duplicates excluded). */
  readonly events: number;
  /** Events ignored because their sequence number was at or below the last one processed (replay). */
  readonly duplicateEvents: number;
  /** Readings in the processed events. */
  readonly readings: number;
  /** Readings ignored because their producer id was seen recently. */
  readonly duplicateReadings: number;
  /** Too-late readings dropped (policy 'drop'). */
  readonly dropped: number;
  /** Too-late readings whose time was moved up to watermark − lateArrivalTolerance (policy 'adjust'). */
  readonly adjusted: number;
  /** First emissions (revision 1). */
  readonly windowsEmitted: number;
  /** Emissions with revision ≥ 2. */
  readonly lateRevisions: number;
  /** Windows forgotten after the watermark passed end + lateArrivalTolerance. */
  readonly windowsForgotten: number;
}

/** Plain JSON (no Infinity, no NaN): `JSON.parse(JSON.stringify(s))` restores the same aggregator. */
export interface AggregatorSnapshot {
  readonly version: 2;
  readonly partition: number;
  /** The watermark a device not in `devices` starts at (raised by `flush(untilMs)`); null for none. */
  readonly watermark: number | null;
  /** Each device's watermark, sorted by device id. */
  readonly devices: readonly (readonly [string, number])[];
  /** -1 before the first event. */
  readonly lastSequenceNumber: number;
  /** Open windows and the emitted ones kept for revisions, sorted by device, tag, start. */
  readonly windows: readonly StreamWindowState[];
  /** Emitted but not yet drained. */
  readonly pending: readonly EmittedWindow[];
  /** Remembered [deviceId, id] pairs, oldest first; the last `current` of them are the current generation. */
  readonly recentIds: { readonly pairs: readonly (readonly [string, string])[]; readonly current: number };
  readonly stats: AggregatorStats;
}

/** The snapshot written before watermarks were per device: one watermark for the whole partition. Still restorable. */
export interface AggregatorSnapshotV1 extends Omit<AggregatorSnapshot, 'version' | 'devices'> {
  readonly version: 1;
  /** The partition's watermark; null before the first event. */
  readonly watermark: number | null;
}
