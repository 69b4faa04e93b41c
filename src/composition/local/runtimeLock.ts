import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PreconditionFailedError } from '../../core/errors.js';

export interface RuntimeInfo {
  readonly pid: number;
  readonly startedAt: string;
  readonly workers: number;
}

function lockFile(home: string): string {
  return join(home, 'runtime.json');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The runtime running over `home`, if any; a lock left by a dead process is ignored. */
export function findRunningRuntime(home: string): RuntimeInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(lockFile(home), 'utf8')) as RuntimeInfo;
    return alive(info.pid) ? info : undefined;
  } catch {
    return undefined;
  }
}

/** Claims `home` for this process; throws PreconditionFailedError when a live runtime holds it. */
export function claimRuntime(home: string, workers: number): () => void {
  mkdirSync(home, { recursive: true });
  const file = lockFile(home);
  const info: RuntimeInfo = { pid: process.pid, startedAt: new Date().toISOString(), workers };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, JSON.stringify(info), { flag: 'wx' });
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const running = findRunningRuntime(home);
      if (running)
        throw new PreconditionFailedError(`runtime over ${home} (pid ${running.pid}, started ${running.startedAt})`);
      rmSync(file, { force: true });
    }
  }
  throw new PreconditionFailedError(`runtime lock ${file}`);
}
