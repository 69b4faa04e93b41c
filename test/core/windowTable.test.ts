import { describe, expect, it } from 'vitest';
import { scoreLine, scoreLineWriter, scoreText, type ScoreLineWriter } from '../../src/core/scoreRows.js';
import { formatTimestamp } from '../../src/core/timestamps.js';
import { SeriesWindows } from '../../src/core/windowing.js';
import { WindowTable } from '../../src/core/windowTable.js';
import { seeded } from './stream/streamFixtures.js';

const lineage = { model: 'ocsvm-1-1@3', modelSha256: 'ab'.repeat(32), inputBlob: 'inbox/a,b.csv', inputEtag: '"e"' };

function tables(rows: [number, number][]) {
  const windows = new SeriesWindows('dev "1"', 'é', 60);
  const table = new WindowTable(60);
  for (const [ts, v] of rows) {
    windows.add(ts, v);
    table.add(ts, v);
  }
  return { expected: windows.windows(), table, order: table.order() };
}

describe('WindowTable', () => {
  it('computes the very features of SeriesWindows, in time order or not', () => {
    const rnd = seeded(7);
    const base = Date.UTC(2018, 7, 28, 23);
    const sorted: [number, number][] = Array.from({ length: 5000 }, (_, i) => [
      base + i * 7_000 + Math.floor(rnd() * 7_000),
      Math.round((rnd() * 200 - 50) * 100) / 100,
    ]);
    const shuffled = [...sorted].sort(() => rnd() - 0.5);
    for (const rows of [sorted, shuffled, [...sorted].reverse()]) {
      const { expected, table, order } = tables(rows);
      expect(order.length).toBe(expected.length);
      expected.forEach((w, i) => {
        const slot = order[i]!;
        const got = [table.starts[slot], table.counts[slot], table.means[slot], table.std(slot), table.mins[slot]];
        const want = [w.start, w.count, w.mean, w.std, w.min];
        expect(got.every((g, k) => Object.is(g, want[k])) && table.maxs[slot] === w.max).toBe(true);
        expect(table.feature(slot, 'std')).toBe(w.std);
      });
    }
  });

  it('writes the lines scoreLine writes, scores then anomalies', () => {
    const base = Date.UTC(2018, 7, 28, 23);
    const { expected, table, order } = tables([
      [base + 1000, 1.5],
      [base + 61_000, -2],
      [base + 2000, 3.25],
      [base + 125_500, 0.1 + 0.2],
    ]);
    const scores = new Float32Array([0.5, -0.25, 1e-7]);
    const labels = new Int32Array([1, -1, 1]);
    const text = scoreText(table, order, scores, labels, scoreLineWriter('dev "1"', 'é', 60_000, lineage));
    const lines = expected.map((w, i) => scoreLine(w, scores[i]!, labels[i]!, lineage));
    const decoded = Buffer.from(text.bytes).toString('utf8');
    expect(decoded).toBe(lines.join('') + lines[1]);
    expect(Buffer.from(text.bytes.subarray(0, text.scoreBytes)).toString('utf8')).toBe(lines.join(''));
    expect(text.anomalyCount).toBe(1);
  });

  it('keeps every byte when later lines are much longer than the first and hold characters of 2 to 4 UTF-8 bytes', () => {
    const base = Date.UTC(2018, 7, 28, 23);
    const { table, order } = tables(Array.from({ length: 400 }, (_, i): [number, number] => [base + i * 60_000, i]));
    const scores = new Float32Array(order.length).fill(0.5);
    const labels = new Int32Array(order.length).map((_, i) => (i % 3 === 0 ? -1 : 1));
    // The sinks are sized from the first line: every later one is longer, so they grow mid-line,
    // where a character that does not fit must not be split or lost.
    const made: string[] = [];
    const line: ScoreLineWriter = (start, count) => {
      const text = made.length === 0 ? 'x\n' : `${start},${'é😀中'.repeat(count % 200)}\n`;
      made.push(text);
      return text;
    };
    const text = scoreText(table, order, scores, labels, line);
    const lines = made.slice(1); // the first call only sized the sinks
    const anomalies = lines.filter((_, i) => labels[i] === -1);
    expect(Buffer.from(text.bytes).toString('utf8')).toBe(lines.join('') + anomalies.join(''));
    expect(text.scoreBytes).toBe(Buffer.byteLength(lines.join('')));
    expect(text.anomalyCount).toBe(anomalies.length);
  });
});

describe('formatTimestamp', () => {
  it('formats as toISOString does, without zero milliseconds, over the whole date range', () => {
    const reference = (ms: number) => {
      const iso = new Date(ms).toISOString();
      return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
    };
    const rnd = seeded(3);
    const edges = [
      0, -1, 1, 86_399_999, -62_167_219_200_000, -62_167_219_200_001, 253_402_300_799_999, 253_402_300_800_000,
    ];
    const random = Array.from({ length: 20_000 }, () => Math.floor((rnd() - 0.5) * 2 * 8.64e15));
    const recent = Array.from(
      { length: 20_000 },
      () => Date.UTC(2018, 0) + Math.floor(rnd() * 4e10) * (rnd() < 0.5 ? 1 : 1000),
    );
    for (const ms of [...edges, ...random, ...recent]) expect(formatTimestamp(ms)).toBe(reference(ms));
  });
});
