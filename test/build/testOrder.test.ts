import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LONG_FILES } from '../support/slowFirstSequencer.js';

const ROOT = join(import.meta.dirname, '../..');

describe('the files the test sequencer starts first', () => {
  it('are test files that exist, each named once', () => {
    expect(LONG_FILES.filter((f) => !f.endsWith('.test.ts') || !existsSync(join(ROOT, f)))).toEqual([]);
    expect(new Set(LONG_FILES).size).toBe(LONG_FILES.length);
  });
});
