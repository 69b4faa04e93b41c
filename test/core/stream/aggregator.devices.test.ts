import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildWindows } from '../../../src/core/windowing.js';
import { PartitionAggregator } from '../../../src/core/stream/aggregator.js';
import type {
  AggregatorOptions,
  AggregatorSnapshotV1,
  EmittedWindow,
  StreamReject,
} from '../../../src/core/stream/aggregatorTypes.js';
import type { StreamReading } from '../../../src/core/stream/readingSchema.js';
import { readingOf, recordOf, windowKey } from './streamFixtures.js';
import { V1_CUT, V1_OPTIONS, v1Steps } from './v1Stream.js';

const S = 1000;
const T0 = Date.UTC(2018, 7, 28, 23, 0, 0);
const NOW = Date.UTC(2026, 11, 3, 9, 0, 0);

/** 16 minutes of one device's readings, one every 5 s, values 0, 1, 2… */
function backfill(device: string): StreamReading[] {
  return Array.from({ length: 16 * 12 }, (_, i) => readingOf(T0 + i * 5 * S, i, { deviceId: device, tag: 'temp' }));
}

function run(
  options: AggregatorOptions,
  readings: readonly StreamReading[],
): { a: PartitionAggregator; out: EmittedWindow[] } {
  const a = new PartitionAggregator(options);
  const out: EmittedWindow[] = [];
  readings.forEach((r, seq) => {
    a.process(recordOf(seq), [r]);
    out.push(...a.drainEmitted());
  });
  return { a, out };
}

describe('PartitionAggregator: a watermark per device', () => {
  const options: AggregatorOptions = { partition: 0, windows: { kind: 'tumbling', sizeSeconds: 60 } };

  it.each(['adjust', 'drop'] as const)(
    'policy %s: one current reading of another device re-times, drops or closes nothing of a backfilling device',
    (latePolicy) => {
      const old = backfill('old');
      const live = readingOf(NOW, 42, { deviceId: 'live', tag: 'temp' });
      const { a, out } = run({ ...options, latePolicy }, [old[0]!, live, ...old.slice(1)]);
      a.flush();
      out.push(...a.drainEmitted());
      expect(a.stats()).toMatchObject({ adjusted: 0, dropped: 0, lateRevisions: 0 });
      const expected = buildWindows(
        'old',
        'temp',
        old.map((r) => ({ ts: r.ts, value: r.value })),
        60,
      );
      const got = out.filter((w) => w.device === 'old');
      expect(got.map((w) => windowKey(w))).toEqual(expected.map((w) => windowKey(w)));
      expect(got.map((w) => [w.count, w.mean, w.min, w.max])).toEqual(
        expected.map((w) => [w.count, w.mean, w.min, w.max]),
      );
      expect(out.filter((w) => w.device === 'live').map((w) => w.count)).toEqual([1]);
    },
  );

  it("closes each device's windows on its own watermark, and stamps them with it", () => {
    const old = backfill('old');
    const { a, out } = run(options, [readingOf(NOW, 1, { deviceId: 'live', tag: 'temp' }), ...old]);
    // 15 of the backfill's 16 minutes closed as the backfill went on; the live device's minute is still open.
    expect(out.map((w) => w.device)).toEqual(Array(15).fill('old'));
    expect(out.every((w) => w.watermark === w.end)).toBe(true);
    expect(a.deviceWatermark('old')).toBe(old.at(-1)!.ts);
    expect(a.deviceWatermark('live')).toBe(NOW);
    expect(a.currentWatermark()).toBe(NOW);
  });

  it("a device's own late readings are still late: its watermark governs them", () => {
    const rejects: StreamReject[] = [];
    const a = new PartitionAggregator({ ...options, latePolicy: 'drop' });
    a.process(recordOf(0), [readingOf(T0 + 120 * S, 1, { deviceId: 'a' })]);
    a.process(recordOf(1), [readingOf(T0, 2, { deviceId: 'b' }), readingOf(T0, 3, { deviceId: 'a' })], rejects);
    expect(rejects).toEqual([
      { index: 1, reason: 'too late', detail: expect.stringContaining("device a's watermark") },
    ]);
    expect(a.stats()).toMatchObject({ dropped: 1 });
  });

  it('a reading marked backfill is never re-timed: too late for its device, it is dropped and reported, even under adjust', () => {
    const rejects: StreamReject[] = [];
    const a = new PartitionAggregator(options); // adjust
    a.process(recordOf(0), [readingOf(T0 + 120 * S, 1, { deviceId: 'a' })]);
    a.process(
      recordOf(1),
      [readingOf(T0, 2, { deviceId: 'a', backfill: true }), readingOf(T0, 3, { deviceId: 'a' })],
      rejects,
    );
    expect(rejects.map((r) => r.index)).toEqual([0]);
    expect(a.stats()).toMatchObject({ dropped: 1, adjusted: 1 });
  });

  it('flush(untilMs) raises every device, and a device first seen after it starts there', () => {
    const a = new PartitionAggregator({ ...options, latePolicy: 'drop' });
    a.process(recordOf(0), [readingOf(T0, 1, { deviceId: 'a' })]);
    a.flush(T0 + 600 * S);
    expect(a.drainEmitted().map((w) => [w.device, w.watermark])).toEqual([['a', T0 + 600 * S]]);
    a.process(recordOf(1), [readingOf(T0 + 60 * S, 1, { deviceId: 'new' })]);
    expect(a.stats().dropped).toBe(1);
  });
});

describe('PartitionAggregator: a version 1 snapshot (one watermark per partition) is migrated', () => {
  const fixture = JSON.parse(
    readFileSync(resolve(import.meta.dirname, 'fixtures/aggregator-snapshot-v1.json'), 'utf8'),
  ) as AggregatorSnapshotV1;
  const steps = v1Steps();

  /** Runs the steps from V1_CUT to the end, then flushes; everything emitted, pending windows first. */
  function finish(a: PartitionAggregator): EmittedWindow[] {
    const out = a.drainEmitted();
    for (const s of steps.slice(V1_CUT)) {
      a.process(s.record, s.readings);
      out.push(...a.drainEmitted());
    }
    a.flush();
    return [...out, ...a.drainEmitted()];
  }

  it('restores what the old aggregator wrote and continues as an uninterrupted run (one device: the same watermark)', () => {
    expect(fixture.version).toBe(1);
    expect(fixture.windows.some((w) => w.revision > 0)).toBe(true); // kept for revisions
    expect(fixture.pending.length).toBeGreaterThan(0);
    const clean = new PartitionAggregator(V1_OPTIONS);
    steps.slice(0, V1_CUT).forEach((s, i) => {
      clean.process(s.record, s.readings);
      if (i < V1_CUT - 20) clean.drainEmitted();
    });
    // The new aggregator reaches the state the old one wrote, in its new form.
    const { version: _v, devices, watermark, ...state } = clean.snapshot();
    expect(devices).toEqual([['1', fixture.watermark]]);
    expect(watermark).toBeNull();
    expect(state).toEqual({ ...fixture, version: undefined, watermark: undefined });

    const restored = PartitionAggregator.restore(fixture, V1_OPTIONS);
    const expected = finish(clean);
    expect(finish(restored)).toEqual(expected);
    expect(expected.length).toBeGreaterThan(100);
    expect(restored.stats()).toEqual(clean.stats());
  });

  it('every device starts at the old partition watermark, so nothing the old one had closed is reopened', () => {
    const a = PartitionAggregator.restore(fixture, { ...V1_OPTIONS, latePolicy: 'drop' });
    const floor = fixture.watermark!;
    a.process(recordOf(V1_CUT), [readingOf(floor - 31 * S, 1, { deviceId: 'other' })]);
    expect(a.stats().dropped).toBe(1);
    expect(a.deviceWatermark('other')).toBe(floor);
  });

  it('after a migration the snapshot is version 2 and restores exactly', () => {
    const a = PartitionAggregator.restore(fixture, V1_OPTIONS);
    const again = JSON.parse(JSON.stringify(a.snapshot())) as ReturnType<PartitionAggregator['snapshot']>;
    expect(again.version).toBe(2);
    expect(again.watermark).toBe(fixture.watermark);
    expect(PartitionAggregator.restore(again, V1_OPTIONS).snapshot()).toEqual(again);
  });

  it('an unknown version is refused', () => {
    expect(() => PartitionAggregator.restore({ ...fixture, version: 3 } as never, V1_OPTIONS)).toThrow(/version 3/);
  });
});
