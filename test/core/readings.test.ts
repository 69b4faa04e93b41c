import { describe, expect, it } from 'vitest';
import { checkReadingsHeader, parseReadingRow } from '../../src/core/readings.js';
import { formatTimestamp, parseTimestamp } from '../../src/core/timestamps.js';

describe('readings', () => {
  it('accepts the sensor header, case and BOM tolerant, and names what it found otherwise', () => {
    expect(checkReadingsHeader('TS,Device,Tag,Value')).toBeUndefined();
    expect(checkReadingsHeader('\uFEFFts, device ,tag,value')).toBeUndefined();
    expect(checkReadingsHeader('time,id,value')).toMatch(
      /expected header "TS,Device,Tag,Value", found "time,id,value"/,
    );
  });

  it('parses a row with a zone-less timestamp as UTC', () => {
    const r = parseReadingRow('2018-08-28 23:00:05.000,1,4,84.53');
    expect(r).toEqual({
      ok: true,
      reading: { device: '1', tag: '4', ts: Date.UTC(2018, 7, 28, 23, 0, 5), value: 84.53 },
    });
  });

  it.each([
    ['2018-08-28 23:00:05,1,4', 'wrong column count'],
    ['2018-08-28 23:00:05,1,4,5,6', 'wrong column count'],
    ['yesterday,1,4,5', 'unparseable timestamp'],
    ['2018-02-30 00:00:00,1,4,5', 'unparseable timestamp'],
    ['2018-08-28 23:00:05,1,4,abc', 'non-numeric value'],
    ['2018-08-28 23:00:05,1,4,', 'non-numeric value'],
    ['2018-08-28 23:00:05,1,4,NaN', 'non-finite value'],
    ['2018-08-28 23:00:05,1,4,-Infinity', 'non-finite value'],
    ['2018-08-28 23:00:05,1,4,1e999', 'non-finite value'],
    ['2018-08-28 23:00:05,,4,1', 'empty device or tag'],
  ])('rejects %j: %s', (line, reason) => {
    const r = parseReadingRow(line);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toBe(reason);
  });

  it('honours zones and fractions, and formats back', () => {
    expect(parseTimestamp('2018-08-28T23:00:05Z')).toBe(Date.UTC(2018, 7, 28, 23, 0, 5));
    expect(parseTimestamp('2018-08-29T01:00:05+02:00')).toBe(Date.UTC(2018, 7, 28, 23, 0, 5));
    expect(parseTimestamp('2018-08-28 23:00:05.25')).toBe(Date.UTC(2018, 7, 28, 23, 0, 5, 250));
    expect(formatTimestamp(Date.UTC(2018, 7, 28, 23, 0, 0))).toBe('2018-08-28T23:00:00Z');
    expect(formatTimestamp(Date.UTC(2018, 7, 28, 23, 0, 0, 5))).toBe('2018-08-28T23:00:00.005Z');
  });

  it('reads quoted fields', () => {
    const r = parseReadingRow('2018-08-28 23:00:05,"dev,1","t""x",1.5');
    expect(r.ok && r.reading.device).toBe('dev,1');
    expect(r.ok && r.reading.tag).toBe('t"x');
  });
});
