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

  it('parses years 0000-0099 exactly (Date.UTC would make 0001 into 1901)', () => {
    expect(parseTimestamp('0001-01-01T00:00:00Z')).toBe(-62_135_596_800_000);
    expect(formatTimestamp(parseTimestamp('0001-01-01 00:00:00')!)).toBe('0001-01-01T00:00:00Z');
    expect(formatTimestamp(parseTimestamp('0099-12-31 23:59:59.5')!)).toBe('0099-12-31T23:59:59.500Z');
    expect(formatTimestamp(parseTimestamp('0000-02-29T12:00:00+02:00')!)).toBe('0000-02-29T10:00:00Z'); // year 0 is a leap year
    expect(parseTimestamp('0001-02-29 00:00:00')).toBeUndefined();
    expect(parseTimestamp('0100-01-01T00:00:00Z')).toBe(Date.UTC(100, 0, 1)); // from year 100 on, Date.UTC is exact
  });

  it('rejects event times outside the accepted range, naming the bound and its settings', () => {
    const range = { minMs: Date.UTC(1970, 0, 1), maxMs: Date.UTC(2100, 0, 1) };
    expect(parseReadingRow('2018-08-28 23:00:05.000,1,4,84.53', range).ok).toBe(true);
    expect(parseReadingRow('0001-01-01 00:00:00,1,4,1', range)).toEqual({
      ok: false,
      reason: 'timestamp out of range',
      detail: '"0001-01-01 00:00:00" is before 1970-01-01T00:00:00Z (TESSERA_MIN_TIMESTAMP, TESSERA_MAX_TIMESTAMP)',
    });
    expect(parseReadingRow('9999-12-31 23:59:59,1,4,1', range)).toMatchObject({
      reason: 'timestamp out of range',
      detail:
        '"9999-12-31 23:59:59" is at or after 2100-01-01T00:00:00Z (TESSERA_MIN_TIMESTAMP, TESSERA_MAX_TIMESTAMP)',
    });
    expect(parseReadingRow('2100-01-01 00:00:00,1,4,1', range).ok).toBe(false);
    expect(parseReadingRow('9999-12-31 23:59:59,1,4,1').ok).toBe(true); // no range: any time
  });

  it('reads quoted fields', () => {
    const r = parseReadingRow('2018-08-28 23:00:05,"dev,1","t""x",1.5');
    expect(r.ok && r.reading.device).toBe('dev,1');
    expect(r.ok && r.reading.tag).toBe('t"x');
  });
});
