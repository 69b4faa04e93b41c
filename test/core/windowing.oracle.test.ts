import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkReadingsHeader, parseReadingRow, type Reading } from '../../src/core/readings.js';
import { buildWindows } from '../../src/core/windowing.js';
import { formatTimestamp } from '../../src/core/timestamps.js';

const fixtures = resolve(import.meta.dirname, '../../../shared/fixtures');

function relClose(actual: number, expected: number, rel: number): boolean {
  return Math.abs(actual - expected) <= rel * Math.max(Math.abs(expected), 1e-12) || Math.abs(actual - expected) < 1e-9;
}

describe('windowing against the scikit-learn oracle (windows.csv)', () => {
  it('builds exactly the oracle windows from the shared readings', () => {
    const lines = readFileSync(resolve(fixtures, 'sensors/batchai-sensor_data.csv'), 'utf8').split(/\r?\n/);
    expect(checkReadingsHeader(lines[0]!)).toBeUndefined();
    const bySeries = new Map<string, Reading[]>();
    for (const line of lines.slice(1)) {
      if (line === '') continue;
      const r = parseReadingRow(line);
      if (!r.ok) throw new Error(`fixture row rejected: ${line}`);
      const key = `${r.reading.device},${r.reading.tag}`;
      (bySeries.get(key) ?? bySeries.set(key, []).get(key)!).push(r.reading);
    }
    const ours = new Map<string, ReturnType<typeof buildWindows>[number]>();
    for (const [key, readings] of bySeries) {
      const [device, tag] = key.split(',') as [string, string];
      for (const w of buildWindows(device, tag, readings, 60))
        ours.set(`${device},${tag},${formatTimestamp(w.start)}`, w);
    }
    const oracle = readFileSync(resolve(fixtures, 'ocsvm/windows.csv'), 'utf8').trim().split('\n').slice(1);
    expect(ours.size).toBe(oracle.length);
    for (const row of oracle) {
      const [device, tag, start, count, mean, std, min, max] = row.split(',');
      const w = ours.get(`${device},${tag},${start}`);
      expect(w, `window ${device},${tag},${start}`).toBeDefined();
      expect(w!.count).toBe(Number(count));
      for (const [name, actual, expected] of [
        ['mean', w!.mean, mean],
        ['std', w!.std, std],
        ['min', w!.min, min],
        ['max', w!.max, max],
      ] as const) {
        expect(
          relClose(actual, Number(expected), 1e-6),
          `${name} of ${device},${tag},${start}: ${actual} vs ${expected}`,
        ).toBe(true);
      }
    }
  });
});
