import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The Python of `.bench-venv` with `modules` importable, made on first use (`python3 -m venv`, then
 * `pip install` of `packages` from whatever index pip is set up with). Undefined when Python or the
 * packages cannot be had here.
 */
export function benchPython(
  modules: readonly string[],
  packages: readonly string[],
  log: (line: string) => void,
): string | undefined {
  const venv = path.resolve(import.meta.dirname, '../.bench-venv');
  const python = path.join(venv, 'bin/python');
  const has = () =>
    existsSync(python) &&
    spawnSync(python, ['-c', modules.map((m) => `import ${m}`).join('; ')], { timeout: 60_000 }).status === 0;
  if (has()) return python;
  log(`setting up .bench-venv with ${packages.join(', ')} (once; takes a minute or two)…`);
  if (
    !existsSync(python) &&
    spawnSync('python3', ['-m', 'venv', venv], { stdio: 'ignore', timeout: 120_000 }).status !== 0
  )
    return undefined;
  spawnSync(path.join(venv, 'bin/pip'), ['install', '--quiet', ...packages], { stdio: 'ignore', timeout: 900_000 });
  return has() ? python : undefined;
}

/** The bench venv's Python with scikit-learn (bench/anomalyEngine.ts). */
export function sklearnPython(log: (line: string) => void): string | undefined {
  return benchPython(['sklearn'], ['scikit-learn'], log);
}
