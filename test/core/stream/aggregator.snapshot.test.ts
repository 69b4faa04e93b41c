import { describe, expect, it } from 'vitest';
import type { EventRecord } from '../../../src/ports/eventLog.js';
import { PartitionAggregator } from '../../../src/core/stream/aggregator.js';
import type { AggregatorOptions, AggregatorSnapshot, EmittedWindow } from '../../../src/core/stream/aggregatorTypes.js';
import type { StreamReading } from '../../../src/core/stream/readingSchema.js';
import { batchaiReadings, readingOf, recordOf, seeded } from './streamFixtures.js';

interface Step {
  readonly record: EventRecord;
  readonly readings: StreamReading[];
}

/**
 * A messy stream of one partition: the sensor file's devices 1 and 3 in time order, with disorder
 * inside the tolerance, readings beyond it (late and too late), producer-id duplicates and batches.
 */
function messyStream(seed: number): Step[] {
  const rnd = seeded(seed);
  const source = batchaiReadings()
    .filter((r) => r.device !== '2')
    .slice(0, 6000);
  const steps: Step[] = [];
  let seq = 0;
  for (let i = 0; i < source.length;) {
    const n = 1 + Math.floor(rnd() * 3);
    const readings = source.slice(i, i + n).map((r, k) => {
      const roll = rnd();
      const shift = roll < 0.03 ? -Math.floor(rnd() * 20_000) : roll < 0.3 ? -Math.floor(rnd() * 3000) : 0;
      return readingOf(r.ts + shift, r.value, { deviceId: r.device, tag: r.tag, id: `${i + k}` });
    });
    if (rnd() < 0.02 && readings[0]) readings.push({ ...readings[0] }); // the same producer id again
    steps.push({ record: recordOf(seq++), readings });
    i += n;
  }
  return steps;
}

function uninterrupted(
  steps: readonly Step[],
  options: AggregatorOptions,
): { emitted: EmittedWindow[]; a: PartitionAggregator } {
  const a = new PartitionAggregator(options);
  const emitted: EmittedWindow[] = [];
  for (const s of steps) {
    a.process(s.record, s.readings);
    emitted.push(...a.drainEmitted());
  }
  a.flush();
  emitted.push(...a.drainEmitted());
  return { emitted, a };
}

/** Stops at each cut (draining or not first), snapshots through JSON, restores, and re-reads `rewind` events already processed. */
function interrupted(
  steps: readonly Step[],
  options: AggregatorOptions,
  cuts: readonly number[],
  rewind: number,
): { emitted: EmittedWindow[]; a: PartitionAggregator } {
  let a = new PartitionAggregator(options);
  const emitted: EmittedWindow[] = [];
  let i = 0;
  for (const [k, cut] of cuts.entries()) {
    for (; i < cut; i++) {
      a.process(steps[i]!.record, steps[i]!.readings);
      if (i % 7 !== 0) emitted.push(...a.drainEmitted());
    }
    if (k % 2 === 0) emitted.push(...a.drainEmitted()); // otherwise pending windows travel in the snapshot
    const snapshot = JSON.parse(JSON.stringify(a.snapshot())) as AggregatorSnapshot;
    a = PartitionAggregator.restore(snapshot, options);
    expect(a.snapshot()).toEqual(snapshot);
    i = Math.max(0, i - rewind); // the checkpoint lags the snapshot: these are replays
  }
  for (; i < steps.length; i++) {
    a.process(steps[i]!.record, steps[i]!.readings);
    emitted.push(...a.drainEmitted());
  }
  a.flush();
  emitted.push(...a.drainEmitted());
  return { emitted, a };
}

describe('PartitionAggregator: snapshot and restore', () => {
  const steps = messyStream(5);
  const cuts = [1, 137, 1000, 1001, 2222, steps.length - 3];

  it.each([
    [
      'tumbling, adjust',
      {
        partition: 0,
        windows: { kind: 'tumbling', sizeSeconds: 60 },
        outOfOrderToleranceMs: 2000,
        latePolicy: 'adjust',
      },
    ],
    [
      'tumbling, drop, small dedupe memory',
      {
        partition: 0,
        windows: { kind: 'tumbling', sizeSeconds: 60 },
        outOfOrderToleranceMs: 2000,
        latePolicy: 'drop',
        dedupeCapacity: 50,
      },
    ],
    [
      'hopping 60/30, adjust',
      {
        partition: 0,
        windows: { kind: 'hopping', sizeSeconds: 60, hopSeconds: 30 },
        outOfOrderToleranceMs: 1000,
        lateArrivalToleranceMs: 8000,
      },
    ],
  ] as const)(
    '%s: stop mid-stream, snapshot → JSON → restore → continue equals an uninterrupted run',
    (_name, options: AggregatorOptions) => {
      const clean = uninterrupted(steps, options);
      // The stream exercises every path.
      const s = clean.a.stats();
      expect(s.lateRevisions).toBeGreaterThan(0);
      expect(s.dropped + s.adjusted).toBeGreaterThan(0);
      expect(s.duplicateReadings).toBeGreaterThan(0);
      const resumed = interrupted(steps, options, cuts, 5);
      expect(JSON.stringify(resumed.emitted)).toBe(JSON.stringify(clean.emitted));
      expect(resumed.emitted).toEqual(clean.emitted);
      expect({ ...resumed.a.stats(), duplicateEvents: 0 }).toEqual({ ...clean.a.stats(), duplicateEvents: 0 });
      expect(resumed.a.stats().duplicateEvents).toBe(5 * cuts.length - 5 + 1); // the first cut can only rewind 1
      expect(resumed.a.snapshot()).toEqual({ ...clean.a.snapshot(), stats: resumed.a.snapshot().stats });
    },
  );

  it('a snapshot is plain JSON and names its partition; restoring into another partition fails', () => {
    const a = new PartitionAggregator({ partition: 3, windows: { kind: 'tumbling', sizeSeconds: 60 } });
    expect(a.snapshot()).toEqual({
      version: 2,
      partition: 3,
      watermark: null,
      devices: [],
      lastSequenceNumber: -1,
      windows: [],
      pending: [],
      recentIds: { pairs: [], current: 0 },
      stats: {
        events: 0,
        duplicateEvents: 0,
        readings: 0,
        duplicateReadings: 0,
        dropped: 0,
        adjusted: 0,
        windowsEmitted: 0,
        lateRevisions: 0,
        windowsForgotten: 0,
      },
    });
    expect(() =>
      PartitionAggregator.restore(a.snapshot(), { partition: 2, windows: { kind: 'tumbling', sizeSeconds: 60 } }),
    ).toThrow(/partition/);
  });
});
