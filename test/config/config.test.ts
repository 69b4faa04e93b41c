import { describe, expect, it } from 'vitest';
import { configToEnv, loadConfig } from '../../src/config/config.js';
import { InputError } from '../../src/core/errors.js';
import { retryDelayMs } from '../../src/hosting/backoff.js';

describe('loadConfig', () => {
  it('bounds batch event times to 1970-01-01 .. 2100-01-01 by default; the bounds are settings', () => {
    const config = loadConfig({});
    expect(config.minTimestampMs).toBe(0);
    expect(config.maxTimestampMs).toBe(Date.UTC(2100, 0, 1));
    const wide = loadConfig({
      TESSERA_MIN_TIMESTAMP: '0001-01-01T00:00:00Z',
      TESSERA_MAX_TIMESTAMP: '9999-12-31T23:59:59Z',
    });
    expect(new Date(wide.minTimestampMs).toISOString()).toBe('0001-01-01T00:00:00.000Z');
    expect(new Date(wide.maxTimestampMs).toISOString()).toBe('9999-12-31T23:59:59.000Z');
    expect(loadConfig(configToEnv(wide))).toMatchObject({
      minTimestampMs: wide.minTimestampMs,
      maxTimestampMs: wide.maxTimestampMs,
    });
  });

  it('names the variable of a bad or inverted bound', () => {
    expect(() => loadConfig({ TESSERA_MAX_TIMESTAMP: 'next year' })).toThrow(InputError);
    expect(() => loadConfig({ TESSERA_MAX_TIMESTAMP: 'next year' })).toThrow(
      /^TESSERA_MAX_TIMESTAMP: must be an ISO 8601 time/,
    );
    expect(() => loadConfig({ TESSERA_MIN_TIMESTAMP: '2200-01-01T00:00:00Z' })).toThrow(
      /^TESSERA_MIN_TIMESTAMP: must be before TESSERA_MAX_TIMESTAMP/,
    );
  });

  it('retries a transient error over minutes by default: 15 s, 30 s, 1 min, 2 min before the 5th delivery', () => {
    const config = loadConfig({});
    expect(config.retry).toEqual({ baseMs: 15_000, maxMs: 300_000 });
    const waits = (random: () => number) =>
      Array.from({ length: config.maxDeliveryCount - 1 }, (_, n) => retryDelayMs(n + 1, config.retry, random));
    expect(waits(() => 1)).toEqual([15_000, 30_000, 60_000, 120_000]);
    expect(waits(() => 0).reduce((a, b) => a + b)).toBe(112_500); // the shortest: still almost 2 minutes
    expect(retryDelayMs(20, config.retry, () => 1)).toBe(300_000); // capped
    const custom = loadConfig({ TESSERA_RETRY_BASE_MS: '1000', TESSERA_RETRY_MAX_MS: '4000' });
    expect(loadConfig(configToEnv(custom)).retry).toEqual({ baseMs: 1000, maxMs: 4000 });
    expect(() => loadConfig({ TESSERA_RETRY_BASE_MS: '10000', TESSERA_RETRY_MAX_MS: '5000' })).toThrow(
      /^TESSERA_RETRY_MAX_MS: must be at least TESSERA_RETRY_BASE_MS/,
    );
  });
});
