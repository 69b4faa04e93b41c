import { describe, expect, it } from 'vitest';
import { nextRun, parseCron, previousRun } from '../../src/core/cron.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe('cron', () => {
  it('hourly fires on the hour', () => {
    const s = parseCron('0 * * * *');
    expect(iso(nextRun(s, at('2026-11-23T12:00:00Z')))).toBe('2026-11-23T13:00:00.000Z');
    expect(iso(nextRun(s, at('2026-11-23T12:59:59Z')))).toBe('2026-11-23T13:00:00.000Z');
    expect(iso(previousRun(s, at('2026-11-23T12:59:59Z')))).toBe('2026-11-23T12:00:00.000Z');
    expect(iso(previousRun(s, at('2026-11-23T12:00:00Z')))).toBe('2026-11-23T12:00:00.000Z');
    expect(iso(previousRun(s, at('2026-11-23T12:00:00.999Z')))).toBe('2026-11-23T12:00:00.000Z');
    expect(iso(previousRun(s, at('2026-11-23T11:59:59.999Z')))).toBe('2026-11-23T11:00:00.000Z');
  });

  it('steps, lists, ranges and weekdays', () => {
    expect(iso(nextRun(parseCron('*/15 * * * *'), at('2026-11-23T12:16:00Z')))).toBe('2026-11-23T12:30:00.000Z');
    expect(iso(nextRun(parseCron('30 9 * * 1-5'), at('2026-11-21T10:00:00Z')))).toBe('2026-11-23T09:30:00.000Z'); // Sat → Mon
    expect(iso(nextRun(parseCron('0 0 1,15 * *'), at('2026-11-02T00:00:00Z')))).toBe('2026-11-15T00:00:00.000Z');
    expect(iso(nextRun(parseCron('5/20 * * * *'), at('2026-11-02T00:06:00Z')))).toBe('2026-11-02T00:25:00.000Z');
  });

  it('reads the six-field NCRONTAB form of Azure Functions (seconds first)', () => {
    const s = parseCron('0 30 9 * * 1-5');
    expect(iso(nextRun(s, at('2026-11-21T10:00:00Z')))).toBe('2026-11-23T09:30:00.000Z');
    expect(s.ncrontab).toBe('0 30 9 * * 1-5');
    const every30s = parseCron('*/30 * * * * *');
    expect(iso(nextRun(every30s, at('2026-11-23T12:00:10Z')))).toBe('2026-11-23T12:00:30.000Z');
    expect(iso(previousRun(every30s, at('2026-11-23T12:00:59Z')))).toBe('2026-11-23T12:00:30.000Z');
  });

  it('reads month and weekday names, in any case', () => {
    expect(iso(nextRun(parseCron('0 9 * * MON-FRI'), at('2026-11-21T10:00:00Z')))).toBe('2026-11-23T09:00:00.000Z');
    expect(iso(nextRun(parseCron('0 0 1 jan *'), at('2026-11-21T10:00:00Z')))).toBe('2027-01-01T00:00:00.000Z');
    expect(parseCron('0 0 * JUN-AUG sat,Sun').ncrontab).toBe('0 0 0 * 6-8 0,6');
  });

  it('reads the @-macros', () => {
    const from = at('2026-11-23T12:34:56Z'); // a Monday
    expect(iso(nextRun(parseCron('@hourly'), from))).toBe('2026-11-23T13:00:00.000Z');
    expect(iso(nextRun(parseCron('@daily'), from))).toBe('2026-11-24T00:00:00.000Z');
    expect(iso(nextRun(parseCron('@midnight'), from))).toBe('2026-11-24T00:00:00.000Z');
    expect(iso(nextRun(parseCron('@weekly'), from))).toBe('2026-11-29T00:00:00.000Z'); // Sunday
    expect(iso(nextRun(parseCron('@monthly'), from))).toBe('2026-12-01T00:00:00.000Z');
    expect(iso(nextRun(parseCron('@yearly'), from))).toBe('2027-01-01T00:00:00.000Z');
    expect(iso(previousRun(parseCron('@annually'), from))).toBe('2026-01-01T00:00:00.000Z');
    expect(parseCron('@hourly').ncrontab).toBe('0 0 * * * *');
  });

  it('day of month and day of week both restricted: both must match, as NCRONTAB does', () => {
    // Friday the 13th, not every Friday and every 13th.
    expect(iso(nextRun(parseCron('0 0 13 * FRI'), at('2026-01-01T00:00:00Z')))).toBe('2026-02-13T00:00:00.000Z');
    expect(iso(nextRun(parseCron('0 0 13 * 5'), at('2026-02-14T00:00:00Z')))).toBe('2026-03-13T00:00:00.000Z');
  });

  it('names what is wrong', () => {
    expect(() => parseCron('61 * * * *')).toThrow(/cron "61 \* \* \* \*".*minute/);
    expect(() => parseCron('0 * *')).toThrow(/five, six/);
    expect(() => parseCron('0 */0 * * *')).toThrow(/stepping/);
    expect(() => parseCron('0 0 0 * * * 2030')).toThrow(/5 or 6 parts/);
    expect(() => parseCron('0 0 L * *')).toThrow(/L, W and # are not supported/);
    expect(() => parseCron('0 0 15W * *')).toThrow(/L, W and # are not supported/);
    expect(() => parseCron('0 0 * * 5#2')).toThrow(/L, W and # are not supported/);
    expect(() => parseCron('@fortnightly')).toThrow(/cron "@fortnightly"/);
  });
});
