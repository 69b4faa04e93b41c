import { describe, expect, it } from 'vitest';
import { PartitionAggregator } from '../../../src/core/stream/aggregator.js';
import type { EmittedWindow } from '../../../src/core/stream/aggregatorTypes.js';
import type { StreamReading } from '../../../src/core/stream/readingSchema.js';
import { bruteFeatures, latestRevisions, readingOf, recordOf, relClose, seeded, windowKey } from './streamFixtures.js';

const T0 = Date.UTC(2018, 7, 28, 23, 0, 0);

/** Two series, a reading every 0–4 s over 10 minutes, displaced by up to 5 s (the tolerance). */
function readings(seed: number): StreamReading[] {
  const rnd = seeded(seed);
  const out: { r: StreamReading; key: number }[] = [];
  for (const tag of ['a', 'b']) {
    for (let ts = T0 + Math.floor(rnd() * 1000); ts < T0 + 600_000; ts += Math.floor(rnd() * 4000)) {
      out.push({ r: readingOf(ts, Math.round(rnd() * 1e4) / 100 - 50, { tag }), key: ts + rnd() * 5000 });
    }
  }
  return out.sort((x, y) => x.key - y.key).map((x) => x.r);
}

function run(all: readonly StreamReading[], sizeSeconds: number, hopSeconds: number): EmittedWindow[] {
  const a = new PartitionAggregator({
    partition: 0,
    windows: { kind: 'hopping', sizeSeconds, hopSeconds },
    outOfOrderToleranceMs: 5000,
  });
  const out: EmittedWindow[] = [];
  all.forEach((r, seq) => {
    a.process(recordOf(seq), [r]);
    out.push(...a.drainEmitted());
  });
  a.flush();
  out.push(...a.drainEmitted());
  expect(a.stats()).toMatchObject({ lateRevisions: 0, adjusted: 0, dropped: 0 });
  return out;
}

function checkAgainstBruteForce(
  all: readonly StreamReading[],
  emitted: readonly EmittedWindow[],
  sizeMs: number,
  hopMs: number,
): void {
  const expected = new Map<string, number[]>();
  for (const r of all) {
    for (let start = Math.floor(r.ts / hopMs) * hopMs; start + sizeMs > r.ts; start -= hopMs) {
      const key = windowKey({ device: r.deviceId, tag: r.tag, start });
      (expected.get(key) ?? expected.set(key, []).get(key)!).push(r.value);
    }
  }
  const latest = latestRevisions(emitted);
  expect([...latest.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [key, values] of expected) {
    const w = latest.get(key)!;
    const b = bruteFeatures(values);
    expect(w.count, key).toBe(b.count);
    expect(w.end - w.start).toBe(sizeMs);
    expect(w.min).toBe(b.min);
    expect(w.max).toBe(b.max);
    expect(relClose(w.mean, b.mean, 1e-9), `${key} mean ${w.mean} vs ${b.mean}`).toBe(true);
    expect(relClose(w.std, b.std, 1e-9), `${key} std ${w.std} vs ${b.std}`).toBe(true);
  }
}

describe('PartitionAggregator: hopping windows', () => {
  it('size 60 s, hop 30 s: each reading lands in two windows, features equal a brute-force computation', () => {
    const all = readings(1);
    const emitted = run(all, 60, 30);
    expect(emitted.reduce((n, w) => n + w.count, 0)).toBe(2 * all.length);
    checkAgainstBruteForce(all, emitted, 60_000, 30_000);
    expect(emitted.every((w) => w.start % 30_000 === 0)).toBe(true);
  });

  it('a hop that does not divide the size (60 s, 25 s): two or three windows per reading', () => {
    const all = readings(2);
    const emitted = run(all, 60, 25);
    checkAgainstBruteForce(all, emitted, 60_000, 25_000);
  });

  it('tumbling is hopping with hop = size', () => {
    const all = readings(3);
    const a = run(all, 60, 60);
    const b = new PartitionAggregator({
      partition: 0,
      windows: { kind: 'tumbling', sizeSeconds: 60 },
      outOfOrderToleranceMs: 5000,
    });
    all.forEach((r, seq) => b.process(recordOf(seq), [r]));
    b.flush();
    const tumbling = b.drainEmitted();
    expect(latestRevisions(tumbling)).toEqual(latestRevisions(a));
    expect(tumbling.reduce((n, w) => n + w.count, 0)).toBe(all.length);
  });
});
