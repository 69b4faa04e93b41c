import { seriesId } from '../sharding.js';
import {
  DEFAULT_DEDUPE_CAPACITY,
  DEFAULT_LATE_ARRIVAL_TOLERANCE_MS,
  DEFAULT_LATE_POLICY,
  DEFAULT_OUT_OF_ORDER_TOLERANCE_MS,
  type AggregatorOptions,
  type AggregatorSnapshot,
  type AggregatorSnapshotV1,
  type AggregatorStats,
  type EmittedWindow,
  type EventPosition,
  type StreamReject,
} from './aggregatorTypes.js';
import { DeviceWindows } from './deviceWindows.js';
import type { StreamReading } from './readingSchema.js';
import { RecentIds } from './recentIds.js';
import { StreamWindow } from './streamWindow.js';
import { gridOf, type WindowGrid } from './windowSpec.js';

/**
 * Deterministic event-time aggregation of one event log partition, fed in partition order.
 *
 * - each device has its own watermark = max event time of its readings − outOfOrderTolerance (never
 *   goes back): devices sharing a partition may be far apart in event time (one backfilling last
 *   month while another sends live), and one's readings never make another's late;
 * - a reading older than its device's watermark − lateArrivalTolerance is too late: dropped, or its
 *   time moved up to that bound ('adjust'; never for a reading marked backfill, which is dropped),
 *   and counted either way;
 * - a window is emitted (revision 1) once its device's watermark reaches its end; a reading accepted
 *   for an emitted window updates it, and it is emitted again as revision 2, 3… at the end of that
 *   `process`;
 * - emitted windows are kept until the device's watermark passes end + lateArrivalTolerance, then
 *   forgotten;
 * - an event at or below the last processed sequence number is a replay and ignored, and so is a
 *   reading whose producer id (per device) is among the last `dedupeCapacity` ids seen (checked
 *   before lateness: a redelivered too-late reading counts as a duplicate, not dropped twice).
 *   Readings without an id are deduplicated by sequence number only.
 *
 * The same records in the same order give the same emissions, whatever snapshot/restore happens
 * in between. Pure: no clock, no I/O.
 */
export class PartitionAggregator {
  readonly partition: number;
  private readonly oooMs: number;
  private readonly lateMs: number;
  private readonly drop: boolean;
  private readonly defaultGrid: WindowGrid;
  private readonly grids = new Map<string, WindowGrid>();
  private readonly gridFor = (device: string, tag: string): WindowGrid =>
    this.grids.get(seriesId({ device, tag })) ?? this.defaultGrid;
  private readonly devices = new Map<string, DeviceWindows>();
  /** The last device a reading went to: readings of one device come in runs. */
  private lastDevice: DeviceWindows | undefined;
  /**
   * The devices the current `process` gave readings to: the first `touchedCount` entries. The array
   * is reused, never emptied: `length = 0` gives up its backing store, so every event allocated a
   * new one (a fifth of the ingest bench's allocation).
   */
  private readonly touched: DeviceWindows[] = [];
  private touchedCount = 0;
  private dirty: StreamWindow[] = [];
  private pending: EmittedWindow[] = [];
  private ids: RecentIds;
  /**
   * The watermark a device starts at: -Infinity, raised by `flush(untilMs)`; after restoring a
   * version 1 snapshot (one watermark per partition), that watermark, which every device then had.
   */
  private floor = -Infinity;
  private lastSequenceNumber = -1;
  private events = 0;
  private duplicateEvents = 0;
  private readings = 0;
  private duplicateReadings = 0;
  private dropped = 0;
  private adjusted = 0;
  private windowsEmitted = 0;
  private lateRevisions = 0;
  private windowsForgotten = 0;

  constructor(options: AggregatorOptions) {
    this.partition = options.partition;
    this.oooMs = nonNegative(
      options.outOfOrderToleranceMs ?? DEFAULT_OUT_OF_ORDER_TOLERANCE_MS,
      'outOfOrderToleranceMs',
    );
    this.lateMs = nonNegative(
      options.lateArrivalToleranceMs ?? DEFAULT_LATE_ARRIVAL_TOLERANCE_MS,
      'lateArrivalToleranceMs',
    );
    const policy = options.latePolicy ?? DEFAULT_LATE_POLICY;
    if (policy !== 'adjust' && policy !== 'drop')
      throw new RangeError(`latePolicy must be 'adjust' or 'drop', got ${String(policy)}`);
    this.drop = policy === 'drop';
    this.defaultGrid = gridOf(options.windows);
    for (const [id, spec] of options.seriesWindows ?? []) this.grids.set(id, gridOf(spec));
    this.ids = new RecentIds(options.dedupeCapacity ?? DEFAULT_DEDUPE_CAPACITY);
  }

  /**
   * Feeds one event's decoded readings. Records must come in partition order (replays are ignored).
   * A reading dropped as too late is added to `rejects` (when given) with its index in `readings`.
   */
  process(record: EventPosition, readings: readonly StreamReading[], rejects?: StreamReject[]): void {
    if (record.partition !== this.partition)
      throw new RangeError(
        `partition ${this.partition}'s aggregator was given an event of partition ${record.partition}`,
      );
    const seq = record.sequenceNumber;
    if (seq <= this.lastSequenceNumber) {
      this.duplicateEvents += 1;
      return;
    }
    this.lastSequenceNumber = seq;
    this.events += 1;
    for (let i = 0; i < readings.length; i++) {
      const late = this.accept(readings[i] as StreamReading, seq);
      if (late !== undefined) rejects?.push({ index: i, reason: 'too late', detail: late });
    }
    this.settle(this.touched, this.touchedCount);
    this.touchedCount = 0;
  }

  /** Emitted windows (first emissions and revisions) since the last call, in emission order. */
  drainEmitted(): EmittedWindow[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }

  /**
   * With `untilMs`: moves every device's watermark up to it (never back; e.g. for an idle partition)
   * and emits what is due. Without: end of stream, emits every open window whatever its end.
   */
  flush(untilMs?: number): void {
    const all = [...this.devices.values()];
    if (untilMs === undefined) {
      const out = this.dirty;
      this.dirty = [];
      for (const d of all) d.closeDue(Infinity, out);
      this.publish(out);
      return;
    }
    if (untilMs > this.floor) this.floor = untilMs;
    for (const d of all) if (untilMs > d.watermark) d.watermark = untilMs;
    this.settle(all, all.length);
  }

  /** The highest watermark of the partition's devices (or the one `flush` set); -Infinity before the first event. */
  currentWatermark(): number {
    let max = this.floor;
    for (const d of this.devices.values()) if (d.watermark > max) max = d.watermark;
    return max;
  }

  /** A device's watermark: where its readings become too late. */
  deviceWatermark(device: string): number {
    return this.devices.get(device)?.watermark ?? this.floor;
  }

  stats(): AggregatorStats {
    const {
      events,
      duplicateEvents,
      readings,
      duplicateReadings,
      dropped,
      adjusted,
      windowsEmitted,
      lateRevisions,
      windowsForgotten,
    } = this;
    return {
      events,
      duplicateEvents,
      readings,
      duplicateReadings,
      dropped,
      adjusted,
      windowsEmitted,
      lateRevisions,
      windowsForgotten,
    };
  }

  snapshot(): AggregatorSnapshot {
    const windows = [];
    const devices: [string, number][] = [];
    for (const d of this.devices.values()) {
      devices.push([d.id, d.watermark]);
      for (const w of d.windows()) windows.push(w.state());
    }
    devices.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    windows.sort((a, b) => compareKeys(a.device, a.tag, a.start, b.device, b.tag, b.start));
    return {
      version: 2,
      partition: this.partition,
      watermark: this.floor === -Infinity ? null : this.floor,
      devices,
      lastSequenceNumber: this.lastSequenceNumber,
      windows,
      pending: this.pending.slice(),
      recentIds: this.ids.toJSON(),
      stats: this.stats(),
    };
  }

  /**
   * An aggregator that continues exactly where the snapshot's left off. `options` must be the same as
   * then. A version 1 snapshot (one watermark for the whole partition) is migrated: every device
   * starts at that watermark, as it was for each of them, and goes on with its own from there.
   */
  static restore(snapshot: AggregatorSnapshot | AggregatorSnapshotV1, options: AggregatorOptions): PartitionAggregator {
    const version: unknown = snapshot.version;
    if (version !== 1 && version !== 2) throw new RangeError(`unknown aggregator snapshot version ${String(version)}`);
    if (snapshot.partition !== options.partition)
      throw new RangeError(`snapshot of partition ${snapshot.partition} restored as partition ${options.partition}`);
    const a = new PartitionAggregator(options);
    a.floor = snapshot.watermark ?? -Infinity;
    if (snapshot.version === 2) for (const [id, wm] of snapshot.devices) a.devices.set(id, new DeviceWindows(id, wm));
    a.lastSequenceNumber = snapshot.lastSequenceNumber;
    a.ids = RecentIds.from(a.ids.capacity, snapshot.recentIds);
    a.pending = snapshot.pending.slice();
    a.setStats(snapshot.stats);
    for (const state of snapshot.windows) {
      const w = StreamWindow.fromState(state);
      a.deviceOf(w.device).restore(w, a.gridFor);
      if (w.dirty) a.dirty.push(w);
    }
    return a;
  }

  private setStats(s: AggregatorStats): void {
    this.events = s.events;
    this.duplicateEvents = s.duplicateEvents;
    this.readings = s.readings;
    this.duplicateReadings = s.duplicateReadings;
    this.dropped = s.dropped;
    this.adjusted = s.adjusted;
    this.windowsEmitted = s.windowsEmitted;
    this.lateRevisions = s.lateRevisions;
    this.windowsForgotten = s.windowsForgotten;
  }

  private deviceOf(id: string): DeviceWindows {
    let d = this.lastDevice;
    if (d !== undefined && d.id === id) return d;
    d = this.devices.get(id);
    if (d === undefined) this.devices.set(id, (d = new DeviceWindows(id, this.floor)));
    this.lastDevice = d;
    return d;
  }

  /** Adds one reading; returns why it was dropped as too late, or undefined. */
  private accept(r: StreamReading, seq: number): string | undefined {
    this.readings += 1;
    if (r.id !== undefined && this.ids.seenOrAdd(r.deviceId, r.id)) {
      this.duplicateReadings += 1;
      return undefined;
    }
    const d = this.deviceOf(r.deviceId);
    if (d.touchedBy !== seq) {
      d.touchedBy = seq;
      this.touched[this.touchedCount++] = d;
    }
    let ts = r.ts;
    const floor = d.watermark - this.lateMs;
    if (ts < floor) {
      // History is never re-timed: a backfill too late for its device is dropped, and reported.
      if (this.drop || r.backfill) {
        this.dropped += 1;
        return `${ts} is ${floor - ts} ms before device ${d.id}'s watermark less the late tolerance (${floor})`;
      }
      ts = floor;
      this.adjusted += 1;
    }
    const s = d.series(r.tag, this.gridFor);
    if (s.hopMs === s.sizeMs) {
      const start = Math.floor(ts / s.sizeMs) * s.sizeMs;
      let w = s.last;
      if (w === undefined || w.start !== start) w = s.last = d.windowOf(s, start);
      this.addTo(w, r.value, seq);
    } else {
      for (let start = Math.floor(ts / s.hopMs) * s.hopMs; start + s.sizeMs > ts; start -= s.hopMs)
        this.addTo(d.windowOf(s, start), r.value, seq);
    }
    const wm = ts - this.oooMs;
    if (wm > d.watermark) d.watermark = wm;
    return undefined;
  }

  private addTo(w: StreamWindow, value: number, seq: number): void {
    w.addReading(value, seq);
    if (w.revision > 0 && !w.dirty) {
      w.dirty = true;
      this.dirty.push(w);
    }
  }

  /** Emits what the devices' watermarks closed and what late readings revised, then forgets what can no longer change. */
  private settle(devices: readonly DeviceWindows[], count: number): void {
    // A new array only when something is due: most events close nothing, and one per event was a
    // share of the allocation.
    let out: StreamWindow[] | undefined;
    if (this.dirty.length > 0) {
      out = this.dirty;
      this.dirty = [];
    }
    for (let k = 0; k < count; k++) {
      const d = devices[k] as DeviceWindows;
      if (d.hasDue()) d.closeDue(d.watermark, (out ??= []));
    }
    if (out !== undefined && out.length > 0) this.publish(out);
    for (let k = 0; k < count; k++) this.windowsForgotten += (devices[k] as DeviceWindows).expire(this.lateMs);
  }

  /** Emits `out` (newly closed and revised windows), sorted by end, device, tag, start. */
  private publish(out: StreamWindow[]): void {
    out.sort((a, b) => a.end - b.end || compareKeys(a.device, a.tag, a.start, b.device, b.tag, b.start));
    for (const w of out) {
      w.revision += 1;
      w.dirty = false;
      if (w.revision === 1) this.windowsEmitted += 1;
      else this.lateRevisions += 1;
      // Field by field, not a spread of w.window(): the spread allocated kilobytes per window
      // (sampling heap profiler), about a tenth of the ingest bench's allocation.
      const { device, tag, start, end, count, mean, std, min, max } = w.window();
      this.pending.push({
        device,
        tag,
        start,
        end,
        count,
        mean,
        std,
        min,
        max,
        revision: w.revision,
        partition: this.partition,
        firstSequenceNumber: w.firstSequenceNumber,
        lastSequenceNumber: w.lastSequenceNumber,
        eventCount: w.eventCount,
        watermark: this.deviceWatermark(device),
      });
    }
  }
}

function compareKeys(ad: string, at: string, as: number, bd: string, bt: string, bs: number): number {
  if (ad !== bd) return ad < bd ? -1 : 1;
  if (at !== bt) return at < bt ? -1 : 1;
  return as - bs;
}

function nonNegative(ms: number, name: string): number {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`${name} must be a finite number >= 0, got ${ms}`);
  return ms;
}
