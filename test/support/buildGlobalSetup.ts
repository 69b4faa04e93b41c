/**
 * Vitest globalSetup: the CLI tests run bin/tessera.js, which runs the sources compiled to dist/
 * (as an installed `tessera` does), its worker processes run dist/ too, and the scorer tests run
 * the compiled scorer, as its image does. So dist/ is rebuilt
 * (`npm run build`: tsc, incremental) before the tests whenever anything under src/, functions/src/
 * or scorer-image/src/ or a tsconfig changed since the last build: a test never runs stale JavaScript.
 * A failed build fails the run with tsc's output.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
/** Written after each successful build; its mtime is the build's. */
const STAMP = join(ROOT, 'dist', '.built');

/** The latest mtime of `path` and, for a folder, of everything under it (a deleted file changes its folder's). */
function latestChange(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const entry of readdirSync(path)) latest = Math.max(latest, latestChange(join(path, entry)));
  return latest;
}

function builtAt(): number {
  try {
    return statSync(STAMP).mtimeMs;
  } catch {
    return -1;
  }
}

export default function setup(): void {
  const inputs = ['src', 'functions/src', 'scorer-image/src', 'tsconfig.json', 'tsconfig.build.json'].map((p) =>
    join(ROOT, p),
  );
  if (Math.max(...inputs.map(latestChange)) < builtAt()) return;
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'pipe' });
  } catch (error) {
    const { stdout } = error as { stdout?: Buffer };
    throw new Error(`npm run build failed, so the CLI tests would run stale JavaScript:\n${String(stdout ?? error)}`);
  }
  writeFileSync(STAMP, `${new Date().toISOString()}\n`);
}
