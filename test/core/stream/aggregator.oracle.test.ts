import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EventRecord } from '../../../src/ports/eventLog.js';
import type { Reading } from '../../../src/core/readings.js';
import { PartitionAggregator } from '../../../src/core/stream/aggregator.js';
import type { AggregatorOptions, EmittedWindow } from '../../../src/core/stream/aggregatorTypes.js';
import { decodeReadings, READING_SCHEMA_V1 } from '../../../src/core/stream/readingSchema.js';
import { batchaiReadings, fixtures, latestRevisions, recordOf, relClose, seeded, windowKey } from './streamFixtures.js';

const PARTITIONS = 4;
const TOLERANCE_MS = 10_000;

/** The form producers would send: ISO (as in the file, zone-less) or epoch ms, single or batched. */
function wireReading(r: Reading, epoch: boolean): Record<string, unknown> {
  const iso = new Date(r.ts).toISOString().replace('T', ' ').replace('Z', '');
  return { deviceId: r.device, tag: r.tag, ts: epoch ? r.ts : iso, value: r.value };
}

/**
 * The file as event log partitions: by device id mod 4, each partition's readings displaced in time
 * order by up to the out-of-order tolerance (seeded), then cut into messages of 1 to 4 readings.
 */
function partitionsOf(readings: readonly Reading[], seed: number): EventRecord[][] {
  const rnd = seeded(seed);
  const parts: { r: Reading; key: number }[][] = Array.from({ length: PARTITIONS }, () => []);
  for (const r of readings) parts[Number(r.device) % PARTITIONS]!.push({ r, key: r.ts + rnd() * TOLERANCE_MS });
  return parts.map((items, partition) => {
    items.sort((a, b) => a.key - b.key);
    const records: EventRecord[] = [];
    for (let i = 0; i < items.length;) {
      const n = 1 + Math.floor(rnd() * 4);
      const chunk = items.slice(i, i + n).map((x) => wireReading(x.r, rnd() < 0.5));
      const body =
        chunk.length === 1 && rnd() < 0.5
          ? JSON.stringify(chunk[0])
          : JSON.stringify({ schema: READING_SCHEMA_V1, readings: chunk });
      records.push(recordOf(records.length, body, { partition, partitionKey: String(chunk[0]!.deviceId) }));
      i += n;
    }
    return records;
  });
}

function inversions(records: readonly EventRecord[]): number {
  let max = -Infinity,
    n = 0;
  for (const rec of records) {
    for (const r of decodeReadings(rec.body, { nowMs: Date.UTC(2030, 0, 1), maxPastMs: Infinity }).readings) {
      if (r.ts < max) n += 1;
      max = Math.max(max, r.ts);
    }
  }
  return n;
}

function replay(partitions: readonly EventRecord[][]): {
  emitted: EmittedWindow[];
  aggregators: PartitionAggregator[];
} {
  const emitted: EmittedWindow[] = [];
  const aggregators = partitions.map((records, partition) => {
    const options: AggregatorOptions = {
      partition,
      windows: { kind: 'tumbling', sizeSeconds: 60 },
      outOfOrderToleranceMs: TOLERANCE_MS,
      lateArrivalToleranceMs: 5000,
      latePolicy: 'adjust',
    };
    const aggregator = new PartitionAggregator(options);
    for (const record of records) {
      const decoded = decodeReadings(record.body, { nowMs: Date.UTC(2018, 7, 30), maxPastMs: 7 * 86_400_000 });
      expect(decoded.rejects).toEqual([]);
      aggregator.process(record, decoded.readings);
      emitted.push(...aggregator.drainEmitted());
    }
    aggregator.flush();
    emitted.push(...aggregator.drainEmitted());
    return aggregator;
  });
  return { emitted, aggregators };
}

describe('stream aggregation against the scikit-learn oracle (windows.csv)', () => {
  it('emits exactly the oracle windows from the readings replayed as shuffled events on 4 partitions', () => {
    const partitions = partitionsOf(batchaiReadings(), 42);
    expect(partitions.filter((p) => p.length > 0).length).toBeGreaterThan(1);
    expect(partitions.reduce((n, p) => n + inversions(p), 0)).toBeGreaterThan(1000); // the shuffle did reorder
    const { emitted, aggregators } = replay(partitions);

    const latest = latestRevisions(emitted);
    expect(emitted.every((w) => w.revision === 1)).toBe(true);
    for (const a of aggregators)
      expect(a.stats()).toMatchObject({
        dropped: 0,
        adjusted: 0,
        lateRevisions: 0,
        duplicateEvents: 0,
        duplicateReadings: 0,
      });
    expect(aggregators.reduce((n, a) => n + a.stats().readings, 0)).toBe(batchaiReadings().length);

    const oracle = readFileSync(resolve(fixtures, 'ocsvm/windows.csv'), 'utf8').trim().split('\n').slice(1);
    expect(latest.size).toBe(oracle.length);
    for (const row of oracle) {
      const [device, tag, start, count, mean, std, min, max] = row.split(',') as [
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
      ];
      const key = windowKey({ device, tag, start: Date.parse(start) });
      const w = latest.get(key);
      expect(w, key).toBeDefined();
      expect(w!.count, key).toBe(Number(count));
      expect(w!.end - w!.start).toBe(60_000);
      for (const [name, actual, expected] of [
        ['mean', w!.mean, mean],
        ['std', w!.std, std],
        ['min', w!.min, min],
        ['max', w!.max, max],
      ] as const) {
        expect(relClose(actual, Number(expected), 1e-6), `${name} of ${key}: ${actual} vs ${expected}`).toBe(true);
      }
    }
  });

  it('records where each window came from: partition, sequence range, events, watermark', () => {
    const partitions = partitionsOf(batchaiReadings(), 43);
    const { emitted } = replay(partitions);
    for (const w of emitted) {
      expect(Number(w.device) % PARTITIONS).toBe(w.partition);
      expect(w.firstSequenceNumber).toBeLessThanOrEqual(w.lastSequenceNumber);
      expect(w.eventCount).toBeGreaterThan(0);
      expect(w.eventCount).toBeLessThanOrEqual(w.count);
      expect(w.eventCount).toBeLessThanOrEqual(w.lastSequenceNumber - w.firstSequenceNumber + 1);
    }
    const closedByWatermark = emitted.filter((w) => w.watermark >= w.end);
    expect(closedByWatermark.length).toBeGreaterThan(emitted.length - 20); // only the tail is flushed
  });
});
