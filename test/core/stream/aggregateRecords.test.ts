import { describe, expect, it } from 'vitest';
import { aggregateRecords, type BodyRecord } from '../../../src/core/stream/aggregateRecords.js';
import { PartitionAggregator } from '../../../src/core/stream/aggregator.js';
import type { AggregatorOptions } from '../../../src/core/stream/aggregatorTypes.js';
import { decodeReadings } from '../../../src/core/stream/readingSchema.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const OPTIONS: AggregatorOptions = { partition: 0, windows: { kind: 'tumbling', sizeSeconds: 60 }, latePolicy: 'drop' };
const LIMITS = { nowMs: T0 + 3_600_000 };

const reading = (device: string, ms: number, value: number, extra: Record<string, unknown> = {}) => ({
  deviceId: device,
  tag: 't',
  ts: new Date(T0 + ms).toISOString(),
  value,
  ...extra,
});

/**
 * 200 records (past three decode-ahead runs): good readings of three devices, and now and then a
 * body that is not JSON, a batch with a bad reading and a late one, a duplicate id, and a record
 * the log delivers twice.
 */
function records(): BodyRecord[] {
  const out: BodyRecord[] = [];
  for (let i = 0; i < 200; i++) {
    const device = `d${i % 3}`;
    let body: string;
    if (i % 37 === 5) body = '{"deviceId": "d0", "tag": ';
    else if (i % 41 === 7)
      body = JSON.stringify({
        schema: 'tessera.reading/v1',
        readings: [
          reading(device, i * 1000, i),
          reading(device, i * 1000, i, { tag: '' }),
          reading(device, i * 1000 - 120_000, i), // two minutes behind its device: too late
          reading(device, i * 1000 + 1, -i),
        ],
      });
    else if (i % 29 === 3) body = JSON.stringify(reading(device, i * 1000, i, { id: `r${i - 3}` }));
    else body = JSON.stringify(reading(device, i * 1000, Math.sin(i), { id: `r${i}` }));
    out.push({ partition: 0, sequenceNumber: i, body });
    if (i % 53 === 11) out.push({ partition: 0, sequenceNumber: i, body }); // redelivered
  }
  return out;
}

describe('aggregateRecords', () => {
  it('gives what decoding and aggregating record by record gives: windows, stats, and each rejected record with its rejects', () => {
    const input = records();
    const batched = new PartitionAggregator(OPTIONS);
    const rejected = aggregateRecords(batched, input, LIMITS);

    const oneByOne = new PartitionAggregator(OPTIONS);
    for (const r of input) oneByOne.process(r, decodeReadings(r.body, LIMITS).readings);
    batched.flush();
    oneByOne.flush();
    expect(batched.drainEmitted()).toEqual(oneByOne.drainEmitted());
    expect(batched.stats()).toEqual(oneByOne.stats());
    expect(batched.stats().dropped).toBeGreaterThan(0);

    const summary = rejected.map(({ record, rejects }) => [
      record.sequenceNumber,
      rejects.map((r) => `${r.index ?? 'message'}: ${r.reason}`),
    ]);
    const expected: [number, string[]][] = [];
    for (let i = 0; i < 200; i++) {
      if (i % 37 === 5) expected.push([i, ['message: malformed json']]);
      // The late reading is the third of the message: its index counts the one the decoder refused.
      else if (i % 41 === 7) expected.push([i, ['1: invalid device or tag', '2: too late']]);
    }
    expect(summary).toEqual(expected);
    expect(batched.stats().duplicateEvents).toBe(4);
  });

  it('returns nothing to dead-letter for good records, and the records themselves for those it does', () => {
    const good = { partition: 0, sequenceNumber: 0, body: JSON.stringify(reading('a', 0, 1)) };
    const bad = { partition: 0, sequenceNumber: 1, body: '[]' };
    const rejected = aggregateRecords(new PartitionAggregator(OPTIONS), [good, bad], LIMITS);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.record).toBe(bad);
    expect(rejected[0]!.rejects).toEqual([expect.objectContaining({ index: null, reason: 'not an object' })]);
  });
});
