/**
 * Builders for the stream core's tests: event records, seeded randomness, the shared sensor files
 * as readings, and the latest revision of each emitted window.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { EventRecord } from '../../../src/ports/eventLog.js';
import { parseReadingRow, type Reading } from '../../../src/core/readings.js';
import { parseTimestamp } from '../../../src/core/timestamps.js';
import type { EmittedWindow } from '../../../src/core/stream/aggregatorTypes.js';
import type { StreamReading } from '../../../src/core/stream/readingSchema.js';

export const fixtures = resolve(import.meta.dirname, '../../../../shared/fixtures');

/** An event record with overridable defaults. */
export function recordOf(sequenceNumber: number, body = '{}', overrides: Partial<EventRecord> = {}): EventRecord {
  return {
    partition: 0,
    sequenceNumber,
    offset: String(sequenceNumber * 100),
    enqueuedTime: new Date(0),
    partitionKey: undefined,
    body,
    properties: {},
    ...overrides,
  };
}

/** A decoded reading with overridable defaults. */
export function readingOf(ts: number, value: number, overrides: Partial<StreamReading> = {}): StreamReading {
  return { id: undefined, deviceId: 'd', tag: 't', ts, value, properties: undefined, backfill: false, ...overrides };
}

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The readings of batchai-sensor_data.csv, in file order. */
export function batchaiReadings(): Reading[] {
  const lines = readFileSync(resolve(fixtures, 'sensors/batchai-sensor_data.csv'), 'utf8').split(/\r?\n/).slice(1);
  return lines
    .filter((l) => l !== '')
    .map((line) => {
      const r = parseReadingRow(line);
      if (!r.ok) throw new Error(`fixture row rejected: ${line}`);
      return r.reading;
    });
}

/** nab-machine_temperature_system_failure.csv (timestamp,value), in file order. */
export function nabRows(): { ts: number; value: number }[] {
  const lines = readFileSync(resolve(fixtures, 'sensors/nab-machine_temperature_system_failure.csv'), 'utf8')
    .split(/\r?\n/)
    .slice(1);
  return lines
    .filter((l) => l !== '')
    .map((line) => {
      const [ts, value] = line.split(',') as [string, string];
      const t = parseTimestamp(ts);
      if (t === undefined) throw new Error(`bad fixture timestamp ${ts}`);
      return { ts: t, value: Number(value) };
    });
}

export function windowKey(w: { device: string; tag: string; start: number }): string {
  return `${w.device},${w.tag},${new Date(w.start).toISOString()}`;
}

/** The last revision of every window, keyed by windowKey; throws if revisions come out of order. */
export function latestRevisions(emitted: readonly EmittedWindow[]): Map<string, EmittedWindow> {
  const out = new Map<string, EmittedWindow>();
  for (const w of emitted) {
    const key = windowKey(w);
    const before = out.get(key);
    if (w.revision !== (before?.revision ?? 0) + 1)
      throw new Error(`${key}: revision ${w.revision} after ${before?.revision ?? 'none'}`);
    out.set(key, w);
  }
  return out;
}

export function relClose(actual: number, expected: number, rel: number): boolean {
  return Math.abs(actual - expected) <= rel * Math.max(Math.abs(expected), 1e-12) || Math.abs(actual - expected) < 1e-9;
}

/** count, mean, population std, min, max of values, two-pass. */
export function bruteFeatures(values: readonly number[]): {
  count: number;
  mean: number;
  std: number;
  min: number;
  max: number;
} {
  const count = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / count;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / count;
  return { count, mean, std: Math.sqrt(variance), min: Math.min(...values), max: Math.max(...values) };
}
