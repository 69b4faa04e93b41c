import { describe, expect, it } from 'vitest';
import { parseCrashPoints } from '../../src/composition/local/crashPoints.js';
import { loadConfig } from '../../src/config/config.js';
import { InputError } from '../../src/core/errors.js';

describe('TESSERA_CRASH_AT', () => {
  it('parses points with globs over container/name, states and operations', () => {
    const [put, update, during] = parseCrashPoints('after:put:work/*/out/*, before:updateJob:succeeded,during:stitch');
    expect(put?.pattern.test('work/j1/out/s1.csv')).toBe(true);
    expect(put?.pattern.test('work/j1/parts/s1/00000.csv')).toBe(false);
    expect(update).toMatchObject({ when: 'before', operation: 'updateJob' });
    expect(update?.pattern.test('succeeded')).toBe(true);
    expect(update?.pattern.test('running')).toBe(false);
    expect(during).toMatchObject({ when: 'during', operation: 'stitch' });
  });

  it.each(['sideways:put', 'after:probe', 'during:put', 'before:addShards'])(
    'refuses "%s" when the configuration is loaded, naming the setting',
    (value) => {
      expect(() => loadConfig({ TESSERA_CRASH_AT: value })).toThrow(InputError);
      expect(() => loadConfig({ TESSERA_CRASH_AT: value })).toThrow(/TESSERA_CRASH_AT: ".*" is not a crash point/);
    },
  );
});
