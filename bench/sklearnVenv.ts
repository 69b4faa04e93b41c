import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The Python of `.bench-venv` with scikit-learn, made on first use (`python3 -m venv` and
 * `pip install scikit-learn`). Undefined when Python or scikit-learn cannot be had here.
 */
export function sklearnPython(log: (line: string) => void): string | undefined {
  const venv = path.resolve(import.meta.dirname, '../.bench-venv');
  const python = path.join(venv, 'bin/python');
  const has = () => existsSync(python) && spawnSync(python, ['-c', 'import sklearn'], { timeout: 60_000 }).status === 0;
  if (has()) return python;
  log('setting up .bench-venv with scikit-learn (once; takes a minute or two)…');
  if (
    !existsSync(python) &&
    spawnSync('python3', ['-m', 'venv', venv], { stdio: 'ignore', timeout: 120_000 }).status !== 0
  )
    return undefined;
  spawnSync(path.join(venv, 'bin/pip'), ['install', '--quiet', 'scikit-learn'], { stdio: 'ignore', timeout: 600_000 });
  return has() ? python : undefined;
}
