import { describe, expect, it } from 'vitest';
import { PartitionAggregator } from '../../../src/core/stream/aggregator.js';
import type { AggregatorOptions, EmittedWindow } from '../../../src/core/stream/aggregatorTypes.js';
import type { StreamReading } from '../../../src/core/stream/readingSchema.js';
import { readingOf, recordOf } from './streamFixtures.js';

const S = 1000;
const base: AggregatorOptions = { partition: 0, windows: { kind: 'tumbling', sizeSeconds: 60 } };

/** Feeds one reading per event, sequence numbers from `seq`; returns what was emitted. */
function feed(a: PartitionAggregator, readings: readonly StreamReading[], seq: { next: number }): EmittedWindow[] {
  for (const r of readings) a.process(recordOf(seq.next++), [r]);
  return a.drainEmitted();
}

function features(w: EmittedWindow | undefined): unknown {
  return w && { start: w.start, revision: w.revision, count: w.count, mean: w.mean, min: w.min, max: w.max };
}

describe('PartitionAggregator: watermark, emission and late data', () => {
  it('emits a window (revision 1) once the watermark reaches its end, not before', () => {
    const a = new PartitionAggregator(base);
    const seq = { next: 0 };
    expect(feed(a, [readingOf(10 * S, 1), readingOf(50 * S, 2), readingOf(59_999, 3)], seq)).toEqual([]);
    const [w, ...rest] = feed(a, [readingOf(60 * S, 4)], seq);
    expect(rest).toEqual([]);
    expect(w).toEqual({
      device: 'd',
      tag: 't',
      start: 0,
      end: 60 * S,
      count: 3,
      mean: 2,
      std: Math.sqrt(2 / 3),
      min: 1,
      max: 3,
      revision: 1,
      partition: 0,
      firstSequenceNumber: 0,
      lastSequenceNumber: 2,
      eventCount: 3,
      watermark: 60 * S,
    });
    expect(a.currentWatermark()).toBe(60 * S);
  });

  it('with an out-of-order tolerance, the watermark trails the max event time and in-tolerance disorder revises nothing', () => {
    const a = new PartitionAggregator({ ...base, outOfOrderToleranceMs: 10 * S });
    const seq = { next: 0 };
    expect(feed(a, [readingOf(30 * S, 1), readingOf(65 * S, 2), readingOf(55 * S, 3)], seq)).toEqual([]);
    expect(a.currentWatermark()).toBe(55 * S);
    const out = feed(a, [readingOf(70 * S, 4), readingOf(61 * S, 5)], seq);
    expect(out.map(features)).toEqual([{ start: 0, revision: 1, count: 2, mean: 2, min: 1, max: 3 }]);
    expect(a.stats()).toMatchObject({ lateRevisions: 0, adjusted: 0, dropped: 0 });
  });

  it('a reading beyond the watermark but within the late tolerance produces revision 2 with updated features', () => {
    const a = new PartitionAggregator(base);
    const seq = { next: 0 };
    const first = feed(a, [readingOf(10 * S, 1), readingOf(50 * S, 2), readingOf(62 * S, 9)], seq);
    expect(first.map(features)).toEqual([{ start: 0, revision: 1, count: 2, mean: 1.5, min: 1, max: 2 }]);
    const late = feed(a, [readingOf(58 * S, 6)], seq); // watermark 62 s: 58 s >= 62 - 5
    expect(late.map(features)).toEqual([{ start: 0, revision: 2, count: 3, mean: 3, min: 1, max: 6 }]);
    expect(late[0]).toMatchObject({ firstSequenceNumber: 0, lastSequenceNumber: 3, eventCount: 3, watermark: 62 * S });
    expect(a.stats()).toMatchObject({ windowsEmitted: 1, lateRevisions: 1, dropped: 0, adjusted: 0 });
    // Several late readings in one event are one revision.
    a.process(recordOf(seq.next++), [readingOf(57 * S, 6), readingOf(59 * S, 6)]);
    expect(a.drainEmitted().map(features)).toEqual([{ start: 0, revision: 3, count: 5, mean: 4.2, min: 1, max: 6 }]);
  });

  it('policy drop: a reading older than watermark − late tolerance is dropped and counted', () => {
    const a = new PartitionAggregator({ ...base, latePolicy: 'drop' });
    const seq = { next: 0 };
    feed(a, [readingOf(10 * S, 1), readingOf(62 * S, 9)], seq);
    expect(feed(a, [readingOf(56_999, 100), readingOf(30 * S, 100)], seq)).toEqual([]);
    expect(feed(a, [readingOf(57 * S, 4)], seq).map(features)).toEqual([
      { start: 0, revision: 2, count: 2, mean: 2.5, min: 1, max: 4 },
    ]);
    expect(a.stats()).toMatchObject({ dropped: 2, adjusted: 0, readings: 5, lateRevisions: 1 });
  });

  it('policy adjust (the default): its time becomes watermark − late tolerance, and it is counted', () => {
    const a = new PartitionAggregator(base);
    const seq = { next: 0 };
    feed(a, [readingOf(10 * S, 1), readingOf(62 * S, 9)], seq);
    // 30 s is too late: moved to 57 s, into the emitted window [0, 60): revision 2.
    expect(feed(a, [readingOf(30 * S, 5)], seq).map(features)).toEqual([
      { start: 0, revision: 2, count: 2, mean: 3, min: 1, max: 5 },
    ]);
    feed(a, [readingOf(130 * S, 0)], seq); // watermark 130 s: [0, 60) and [60, 120) are forgotten or emitted
    // 10 s is too late: moved to 125 s, into the open window [120, 180).
    expect(feed(a, [readingOf(10 * S, 7)], seq)).toEqual([]);
    a.flush();
    const tail = a.drainEmitted();
    expect(tail.map(features)).toEqual([{ start: 120 * S, revision: 1, count: 2, mean: 3.5, min: 0, max: 7 }]);
    expect(a.stats()).toMatchObject({ adjusted: 2, dropped: 0, windowsEmitted: 3, lateRevisions: 1 });
  });

  it('forgets an emitted window once the watermark passes end + late tolerance', () => {
    const a = new PartitionAggregator({ ...base, latePolicy: 'drop' });
    const seq = { next: 0 };
    feed(a, [readingOf(10 * S, 1), readingOf(64_999, 2)], seq);
    expect(a.snapshot().windows.map((w) => w.start)).toEqual([0, 60 * S]);
    feed(a, [readingOf(65 * S, 2)], seq);
    expect(a.snapshot().windows.map((w) => w.start)).toEqual([60 * S]);
    expect(a.stats().windowsForgotten).toBe(1);
    expect(feed(a, [readingOf(59_999, 3)], seq)).toEqual([]); // too late now
    expect(a.stats().dropped).toBe(1);
  });

  it('a late reading of a series with no window there yet emits that window as revision 1', () => {
    const a = new PartitionAggregator(base);
    const seq = { next: 0 };
    feed(a, [readingOf(62 * S, 1)], seq);
    const out = feed(a, [readingOf(58 * S, 5, { tag: 'other' })], seq);
    expect(out.map((w) => [w.tag, w.start, w.revision, w.count])).toEqual([['other', 0, 1, 1]]);
  });

  it('emits in a deterministic order: by end, then device, tag and start', () => {
    const a = new PartitionAggregator(base);
    const seq = { next: 0 };
    for (const r of [
      readingOf(1 * S, 1, { deviceId: 'b' }),
      readingOf(2 * S, 1, { deviceId: 'a', tag: 'z' }),
      readingOf(3 * S, 1, { deviceId: 'a', tag: 'y' }),
      readingOf(61 * S, 1, { deviceId: 'a', tag: 'y' }),
    ]) {
      a.process(recordOf(seq.next++), [r]);
    }
    a.flush(200 * S);
    expect(a.drainEmitted().map((w) => `${w.device}/${w.tag}@${w.start / S}`)).toEqual([
      'a/y@0',
      'a/z@0',
      'b/t@0',
      'a/y@60',
    ]);
  });

  it('flush(untilMs) moves the watermark up, never back, and emits what is due', () => {
    const a = new PartitionAggregator(base);
    const seq = { next: 0 };
    feed(a, [readingOf(10 * S, 1), readingOf(70 * S, 1)], seq);
    a.drainEmitted();
    a.flush(30 * S);
    expect(a.currentWatermark()).toBe(70 * S);
    a.flush(125 * S);
    expect(a.drainEmitted().map((w) => [w.start, w.watermark])).toEqual([[60 * S, 125 * S]]);
  });

  it('per-series window specs override the default', () => {
    const a = new PartitionAggregator({
      ...base,
      seriesWindows: new Map([['d\u0000slow', { kind: 'tumbling', sizeSeconds: 300 }]]),
    });
    const seq = { next: 0 };
    feed(a, [readingOf(10 * S, 1), readingOf(10 * S, 1, { tag: 'slow' })], seq);
    a.flush();
    expect(a.drainEmitted().map((w) => [w.tag, w.end - w.start])).toEqual([
      ['t', 60 * S],
      ['slow', 300 * S],
    ]);
  });

  it('rejects bad options and events of another partition', () => {
    expect(() => new PartitionAggregator({ ...base, windows: { kind: 'tumbling', sizeSeconds: 0 } })).toThrow(
      /sizeSeconds/,
    );
    expect(
      () => new PartitionAggregator({ ...base, windows: { kind: 'hopping', sizeSeconds: 60, hopSeconds: 90 } }),
    ).toThrow(/hopSeconds/);
    expect(() => new PartitionAggregator({ ...base, lateArrivalToleranceMs: -1 })).toThrow(/lateArrivalToleranceMs/);
    expect(() => new PartitionAggregator({ ...base, dedupeCapacity: 1.5 })).toThrow(/dedupeCapacity/);
    expect(() => new PartitionAggregator(base).process(recordOf(0, '{}', { partition: 1 }), [])).toThrow(/partition/);
  });
});

describe('PartitionAggregator: duplicates', () => {
  const readings = [
    readingOf(1 * S, 1),
    readingOf(20 * S, 2),
    readingOf(61 * S, 3, { tag: 'u' }),
    readingOf(70 * S, 4),
    readingOf(125 * S, 5),
  ];

  function run(records: readonly (readonly [number, StreamReading])[]): {
    emitted: EmittedWindow[];
    a: PartitionAggregator;
  } {
    const a = new PartitionAggregator(base);
    for (const [seq, r] of records) a.process(recordOf(seq), [r]);
    a.flush();
    return { emitted: a.drainEmitted(), a };
  }

  it('replaying the same partition range twice (same sequence numbers) changes no window', () => {
    const once = run(readings.map((r, i) => [i, r] as const));
    const replayed = run([
      ...readings.slice(0, 4).map((r, i) => [i, r] as const),
      ...readings.map((r, i) => [i, r] as const),
    ]);
    expect(replayed.emitted).toEqual(once.emitted);
    expect(replayed.a.stats()).toMatchObject({ events: 5, duplicateEvents: 4, readings: 5 });
  });

  it('the same producer id twice is counted once; ids are scoped by device', () => {
    const a = new PartitionAggregator(base);
    a.process(recordOf(0), [readingOf(1 * S, 1, { id: 'e1' })]);
    a.process(recordOf(1), [readingOf(1 * S, 1, { id: 'e1' }), readingOf(2 * S, 5, { id: 'e2' })]);
    a.process(recordOf(2), [readingOf(3 * S, 7, { id: 'e1', deviceId: 'other' })]);
    a.flush();
    const out = a.drainEmitted();
    expect(out.map((w) => [w.device, w.count, w.mean])).toEqual([
      ['d', 2, 3],
      ['other', 1, 7],
    ]);
    expect(a.stats()).toMatchObject({ readings: 4, duplicateReadings: 1 });
  });

  it('remembers ids in bounded memory: at least the last `dedupeCapacity`, the oldest forgotten first', () => {
    const a = new PartitionAggregator({ ...base, dedupeCapacity: 2 });
    const ids = ['a', 'b', 'c', 'b', 'd', 'c', 'e', 'a', 'c'];
    ids.forEach((id, seq) => a.process(recordOf(seq), [readingOf(seq * S, 1, { id })]));
    // The second b, c and the last c each came within 2 new ids of the first; a came back after 4 new ids.
    expect(a.stats()).toMatchObject({ readings: 9, duplicateReadings: 3 });
    expect(a.snapshot().recentIds.pairs.length).toBeLessThanOrEqual(4);
  });

  it('dedupeCapacity 0 turns id deduplication off', () => {
    const a = new PartitionAggregator({ ...base, dedupeCapacity: 0 });
    a.process(recordOf(0), [readingOf(1 * S, 1, { id: 'x' }), readingOf(1 * S, 1, { id: 'x' })]);
    expect(a.stats().duplicateReadings).toBe(0);
  });
});
