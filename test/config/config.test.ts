import { describe, expect, it } from 'vitest';
import { configToEnv, loadConfig } from '../../src/config/config.js';
import { InputError } from '../../src/core/errors.js';

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
});
