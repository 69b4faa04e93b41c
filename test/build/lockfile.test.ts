/**
 * `npm ci` installs the committed lock only if it is complete for every platform: each optional
 * dependency of a locked package (rollup's and esbuild's platform builds) must be locked too, or npm
 * ci on another platform refuses the lock as out of sync ("Missing: @rollup/rollup-android-arm-eabi…").
 * A lock written from a node_modules that lacked them has only this platform's.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

interface Locked {
  readonly version?: string;
  readonly optionalDependencies?: Record<string, string>;
}
const lock = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../package-lock.json'), 'utf8')) as {
  packages: Record<string, Locked>;
};

/** Where Node would find `name` from the package at `from`: its own node_modules, then each parent's. */
function lockedFrom(from: string, name: string): Locked | undefined {
  for (let dir = from; ; dir = dir.slice(0, Math.max(0, dir.lastIndexOf('/node_modules/')))) {
    const found = lock.packages[`${dir ? `${dir}/` : ''}node_modules/${name}`];
    if (found || !dir) return found;
  }
}

describe('package-lock.json', () => {
  it("locks every optional dependency of every locked package, for every platform's npm ci", () => {
    const missing: string[] = [];
    let optional = 0;
    for (const [path, entry] of Object.entries(lock.packages)) {
      for (const name of Object.keys(entry.optionalDependencies ?? {})) {
        optional += 1;
        if (!lockedFrom(path, name)) missing.push(`${name} (of ${path || 'the root'})`);
      }
    }
    expect(optional).toBeGreaterThan(40); // rollup's and esbuild's platform builds at least
    expect(missing).toEqual([]);
  });
});
