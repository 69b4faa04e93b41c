/**
 * What ships runs without development dependencies: every package that the compiled entry points
 * (the CLI, its worker processes and style thread, the scorer image) reach through their imports is
 * a production dependency, and tsx, the development loader, is not one. dist/ is built by
 * test/support/buildGlobalSetup.ts before the run.
 */
import { readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const ENTRIES = [
  'dist/src/cli/entry.js',
  'dist/src/composition/local/workerMain.js',
  'dist/src/composition/local/aggregatorMain.js',
  'dist/src/video/style/styleSessionWorker.js',
  'dist/scorer-image/src/main.js',
];
/**
 * Static imports and re-exports (statements at the start of a line, as tsc prints them: a string
 * that merely contains "from '" is no import), side-effect imports, and `import('…')` with a
 * literal specifier.
 */
const SPECIFIERS =
  /^(?:import|export)\b[^'"\n;]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/gm;

/** The packages `entry` reaches, by the file that imports each. */
function packagesReached(entry: string): Map<string, string> {
  const packages = new Map<string, string>();
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(SPECIFIERS)) {
      const spec = m[1] ?? m[2] ?? m[3] ?? '';
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
      else if (!isBuiltin(spec)) {
        const name = spec
          .split('/')
          .slice(0, spec.startsWith('@') ? 2 : 1)
          .join('/');
        if (!packages.has(name)) packages.set(name, file.slice(ROOT.length + 1));
      }
    }
  };
  visit(resolve(ROOT, entry));
  return packages;
}

describe('the compiled entry points need only production dependencies', () => {
  it('tsx is a development dependency', () => {
    expect(Object.keys(pkg.dependencies)).not.toContain('tsx');
    expect(Object.keys(pkg.devDependencies)).toContain('tsx');
  });

  it.each(ENTRIES)('%s imports only production dependencies', (entry) => {
    const reached = packagesReached(entry);
    expect(reached.size).toBeGreaterThan(0);
    const missing = [...reached].filter(([name]) => !(name in pkg.dependencies)).map(([n, by]) => `${n} (by ${by})`);
    expect(missing).toEqual([]);
  });
});
