import { describe, expect, it } from 'vitest';
import { buildWindows } from '../../../src/core/windowing.js';
import { PartitionAggregator } from '../../../src/core/stream/aggregator.js';
import type { EmittedWindow, LatePolicy } from '../../../src/core/stream/aggregatorTypes.js';
import { decodeReadings } from '../../../src/core/stream/readingSchema.js';
import { latestRevisions, nabRows, recordOf, relClose, windowKey } from './streamFixtures.js';

/**
 * NAB's machine_temperature_system_failure.csv: a reading every 5 minutes, except that after
 * 2014-01-07 02:55 the clock steps back 55 minutes and the hour 02:00–02:55 comes again with other
 * values. With Stream Analytics' default tolerances (out of order 0 s, late arrival 5 s) the repeated
 * 02:00–02:50 are too late (11 readings); the repeated 02:55 equals the watermark and is on time.
 */
const TOO_LATE = 11;
const WINDOW_SECONDS = 300;

function run(latePolicy: LatePolicy): { emitted: EmittedWindow[]; a: PartitionAggregator } {
  const rows = nabRows();
  const a = new PartitionAggregator({
    partition: 0,
    windows: { kind: 'tumbling', sizeSeconds: WINDOW_SECONDS },
    latePolicy,
  });
  const emitted: EmittedWindow[] = [];
  rows.forEach((row, seq) => {
    const body = JSON.stringify({
      schema: 'tessera.reading/v1',
      id: `nab-${seq}`,
      deviceId: 'machine',
      tag: 'temperature',
      ts: new Date(row.ts).toISOString(),
      value: row.value,
    });
    const decoded = decodeReadings(body, { nowMs: Date.UTC(2014, 2, 1), maxPastMs: 120 * 86_400_000 });
    expect(decoded.rejects).toEqual([]);
    a.process(recordOf(seq, body), decoded.readings);
    emitted.push(...a.drainEmitted());
  });
  a.flush();
  emitted.push(...a.drainEmitted());
  return { emitted, a };
}

/** The batch job's windows over the given rows. */
function expectWindows(emitted: readonly EmittedWindow[], rows: readonly { ts: number; value: number }[]): void {
  const expected = buildWindows('machine', 'temperature', rows, WINDOW_SECONDS);
  const latest = latestRevisions(emitted);
  expect(latest.size).toBe(expected.length);
  for (const w of expected) {
    const got = latest.get(windowKey(w))!;
    expect(got.count, windowKey(w)).toBe(w.count);
    for (const f of ['mean', 'std', 'min', 'max'] as const)
      expect(relClose(got[f], w[f], 1e-12), `${f} of ${windowKey(w)}`).toBe(true);
  }
}

describe('real messy data: NAB machine temperature, one series', () => {
  const rows = nabRows();
  const stepBack = rows.findIndex((r, i) => i > 0 && r.ts < rows[i - 1]!.ts);

  it('has the one 55-minute step back the test is about', () => {
    expect(rows[stepBack - 1]!.ts - rows[stepBack]!.ts).toBe(55 * 60_000);
    expect(rows.filter((r, i) => i > 0 && r.ts < rows[i - 1]!.ts)).toHaveLength(1);
  });

  it('policy drop: exactly the too-late readings are dropped and reported, nothing else is lost', () => {
    const { emitted, a } = run('drop');
    expect(a.stats()).toMatchObject({
      events: rows.length,
      readings: rows.length,
      dropped: TOO_LATE,
      adjusted: 0,
      duplicateReadings: 0,
      lateRevisions: 0,
    });
    const kept = rows.filter((_r, i) => i < stepBack || i >= stepBack + TOO_LATE);
    expect(emitted.reduce((n, w) => n + w.count, 0)).toBe(rows.length - TOO_LATE);
    expectWindows(emitted, kept);
  });

  it('policy adjust: the too-late readings move to watermark − 5 s, are reported, and revise their window', () => {
    const { emitted, a } = run('adjust');
    expect(a.stats()).toMatchObject({
      events: rows.length,
      readings: rows.length,
      dropped: 0,
      adjusted: TOO_LATE,
      lateRevisions: TOO_LATE,
    });
    const watermark = rows[stepBack - 1]!.ts;
    const adjusted = rows.map((r, i) =>
      i >= stepBack && i < stepBack + TOO_LATE ? { ts: watermark - 5000, value: r.value } : r,
    );
    expect(
      latestRevisions(emitted).get(
        windowKey({ device: 'machine', tag: 'temperature', start: watermark - WINDOW_SECONDS * 1000 }),
      )?.revision,
    ).toBe(TOO_LATE + 1);
    expect([...latestRevisions(emitted).values()].reduce((n, w) => n + w.count, 0)).toBe(rows.length);
    expectWindows(emitted, adjusted);
  });
});
