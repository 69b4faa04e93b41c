import { describe, expect, it } from 'vitest';
import { nextRun, parseCron, previousRun } from '../../src/core/cron.js';

const at = (iso: string) => Date.parse(iso);

describe('cron', () => {
  it('hourly fires on the hour', () => {
    const s = parseCron('0 * * * *');
    expect(new Date(nextRun(s, at('2026-11-23T12:00:00Z'))).toISOString()).toBe('2026-11-23T13:00:00.000Z');
    expect(new Date(nextRun(s, at('2026-11-23T12:59:59Z'))).toISOString()).toBe('2026-11-23T13:00:00.000Z');
    expect(new Date(previousRun(s, at('2026-11-23T12:59:59Z'))).toISOString()).toBe('2026-11-23T12:00:00.000Z');
    expect(new Date(previousRun(s, at('2026-11-23T12:00:00Z'))).toISOString()).toBe('2026-11-23T12:00:00.000Z');
  });

  it('steps, lists, ranges and weekdays', () => {
    expect(new Date(nextRun(parseCron('*/15 * * * *'), at('2026-11-23T12:16:00Z'))).toISOString()).toBe(
      '2026-11-23T12:30:00.000Z',
    );
    expect(new Date(nextRun(parseCron('30 9 * * 1-5'), at('2026-11-21T10:00:00Z'))).toISOString()).toBe(
      '2026-11-23T09:30:00.000Z',
    ); // Sat → Mon
    expect(new Date(nextRun(parseCron('0 0 1,15 * *'), at('2026-11-02T00:00:00Z'))).toISOString()).toBe(
      '2026-11-15T00:00:00.000Z',
    );
  });

  it('names the bad field', () => {
    expect(() => parseCron('61 * * * *')).toThrow(/minute/);
    expect(() => parseCron('0 * *')).toThrow(/expected 5 fields/);
    expect(() => parseCron('0 */0 * * *')).toThrow(/hour: bad step/);
  });
});
