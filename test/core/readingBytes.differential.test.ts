/**
 * The planner's byte-level row reader against parseReadingRow on many generated rows, valid and
 * invalid: whenever the fast path decides a row, its time, value and series must be exactly the
 * text parser's; whatever it leaves undecided goes to the text parser, so together they always agree.
 */
import { describe, expect, it } from 'vitest';
import { ReadingBytes } from '../../src/core/readingBytes.js';
import { parseReadingRow } from '../../src/core/readings.js';
import { seeded } from './stream/streamFixtures.js';

type Rnd = () => number;
const pick = <T>(rnd: Rnd, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const pad = (n: number, w: number) => String(n).padStart(w, '0');

function timestamp(rnd: Rnd): string {
  const r = rnd();
  const year = r < 0.03 ? pick(rnd, [50, 99, 100, 1600, 1900, 2000, 2100, 9999]) : 1990 + Math.floor(rnd() * 60);
  const month = r < 0.06 ? pick(rnd, [0, 13, 2]) : 1 + Math.floor(rnd() * 12);
  const day = r < 0.1 ? pick(rnd, [0, 29, 30, 31, 32]) : 1 + Math.floor(rnd() * 28);
  const time = [rnd() < 0.03 ? 24 : Math.floor(rnd() * 24), rnd() < 0.03 ? 60 : Math.floor(rnd() * 60)];
  const seconds = rnd() < 0.03 ? 60 : Math.floor(rnd() * 60);
  let text = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}${pick(rnd, [' ', ' ', 'T', 't', '_'])}${pad(time[0]!, 2)}:${pad(time[1]!, 2)}`;
  if (rnd() > 0.05) text += `:${pad(seconds, 2)}`;
  const frac = rnd();
  if (frac < 0.4) text += `.${String(Math.floor(rnd() * 1000)).padStart(3, '0')}`;
  else if (frac < 0.5) text += `.${String(Math.floor(rnd() * 1e9)).slice(0, 1 + Math.floor(rnd() * 10))}`;
  else if (frac < 0.52) text += '.';
  const zone = rnd();
  if (zone < 0.2) text += 'Z';
  else if (zone < 0.23) text += 'z';
  else if (zone < 0.27) text += pick(rnd, ['+02:00', '-0530', ' Z', '+1']);
  if (rnd() < 0.03)
    text = pick(rnd, ['yesterday', '', ' 2018-08-28 23:00:05', '2018-8-28 23:00:05', '2018-08-28 23:0a:05']);
  return text;
}

function value(rnd: Rnd): string {
  const r = rnd();
  if (r < 0.5) return (rnd() * 200 - 50).toFixed(Math.floor(rnd() * 6));
  if (r < 0.6) return String(rnd() * 1000);
  return pick(rnd, [
    '0',
    '-0',
    '+5',
    '5.',
    '.5',
    '-.5',
    '.',
    '-',
    '',
    '1e5',
    '2.5E-7',
    'NaN',
    'inf',
    '-Infinity',
    '1e999',
    '123456789012345',
    '1234567890123456',
    '0.000000000000001',
    '9007199254740993',
    '00012.5',
    '1.2.3',
    ' 7',
    '7 ',
    'abc',
    '0x10',
    '1_000',
    '١٢',
  ]);
}

function name(rnd: Rnd): string {
  const r = rnd();
  if (r < 0.7) return String(1 + Math.floor(rnd() * 5));
  return pick(rnd, ['', ' 1', '1 ', 'dev 1', 'a/b', '"q"', '"a,b"', '"x""y"', 'é', 'tab\t', 'x~y', '-', '"1"']);
}

function row(rnd: Rnd): string {
  const fields = [timestamp(rnd), name(rnd), name(rnd), value(rnd)];
  const r = rnd();
  if (r < 0.02) fields.pop();
  else if (r < 0.04) fields.push('extra');
  else if (r < 0.05) return pick(rnd, ['', ' ', ',,,', '"unterminated,1,2,3']);
  return fields.join(',');
}

describe('ReadingBytes against parseReadingRow', () => {
  it('agrees on 60,000 generated rows, and decides the plain ones itself', () => {
    const rnd = seeded(12);
    const reader = new ReadingBytes();
    const numbers = new Map<string, number>();
    let decided = 0;
    for (let n = 0; n < 60_000; n++) {
      const line = row(rnd);
      const bytes = Buffer.from(`#${line}\n`);
      const reference = parseReadingRow(line);
      const series = reader.read(bytes, 1, bytes.length - 1);
      if (!reference.ok) {
        expect(series, line).toBe(-1);
        continue;
      }
      const { device, tag, ts, value } = reference.reading;
      const key = `${device}\u0000${tag}`;
      if (series < 0) {
        // The text parser's rows share the series numbers the fast path gives.
        const index = reader.seriesIndex(device, tag);
        expect(numbers.get(key) ?? index, line).toBe(index);
        numbers.set(key, index);
        continue;
      }
      decided += 1;
      expect(Object.is(reader.ts, ts) && Object.is(reader.value, value), line).toBe(true);
      expect(reader.series[series], line).toEqual({ device, tag });
      expect(numbers.get(key) ?? series, line).toBe(series);
      numbers.set(key, series);
    }
    expect(decided).toBeGreaterThan(60_000 / 8);
  });

  it('reads the sensor file rows and numbers series by first appearance, whichever path saw them', () => {
    const r = new ReadingBytes();
    const line = Buffer.from('2018-08-28 23:00:05.000,1,4,84.53');
    expect(r.read(line, 0, line.length)).toBe(0);
    expect([r.ts, r.value]).toEqual([Date.UTC(2018, 7, 28, 23, 0, 5), 84.53]);
    expect(r.seriesIndex('2', '1')).toBe(1);
    const other = Buffer.from('2018-08-28T23:00:05Z,2,1,-7');
    expect(r.read(other, 0, other.length)).toBe(1);
    expect(r.value).toBe(-7);
    expect(r.seriesIndex('1', '4')).toBe(0);
  });
});
