/**
 * `npm test` on a machine without the system tools the tests drive: one line, before anything
 * runs, naming what is missing and how to install it (scripts/check-tools.mjs, the pretest).
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SCRIPT = resolve(import.meta.dirname, '../../scripts/check-tools.mjs');

describe("npm test's pretest", () => {
  it('names every missing tool in one line and exits 1 (no apt-get on the PATH to install them)', () => {
    const r = spawnSync(process.execPath, [SCRIPT], {
      env: { PATH: '/nonexistent', CHROMIUM_PATH: '/nonexistent/chromium' },
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^npm test needs ffmpeg and chromium .*: apt-get install -y ffmpeg chromium$/),
    ]);
  });

  it('passes quietly where they are present', () => {
    const r = spawnSync(process.execPath, [SCRIPT], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
