import { fork, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Logger } from '../../ports/logger.js';

/**
 * A worker runs the same form of the sources as this module: the compiled JavaScript in dist/ (the
 * CLI), or, when this module is TypeScript (tests, through vitest), the TypeScript sources through
 * tsx's loader, a development dependency.
 */
const SOURCE_EXTENSION = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

function loaderArgs(): string[] {
  if (SOURCE_EXTENSION === '.js') return [];
  return ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href];
}

export interface WorkerPool {
  readonly pids: () => number[];
  /** SIGTERM to every worker; they drain and exit. After `graceMs`, SIGKILL. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Forks `size` worker processes and keeps that many alive: a worker that dies (crash, OOM,
 * SIGKILL) is replaced after a short delay. Worker output goes to `logFile`.
 */
export function startWorkerPool(options: {
  size: number;
  env: Record<string, string>;
  logFile: string;
  log: Logger;
  entry?: 'workerMain' | 'aggregatorMain';
  role?: string;
}): WorkerPool {
  const entry = fileURLToPath(new URL(`./${options.entry ?? 'workerMain'}${SOURCE_EXTENSION}`, import.meta.url));
  const execArgv = loaderArgs();
  const role = options.role ?? 'worker';
  const { size, log } = options;
  const children = new Map<number, ChildProcess>();
  const fd = openSync(options.logFile, 'a');
  let stopping = false;

  const spawnWorker = (slot: number): void => {
    const child = fork(entry, [], {
      execArgv,
      env: { ...process.env, ...options.env, TESSERA_WORKER_ID: String(slot) },
      stdio: ['ignore', fd, fd, 'ipc'],
    });
    children.set(slot, child);
    log.info(`${role} started`, { worker: slot, pid: child.pid });
    child.on('exit', (code, signal) => {
      if (children.get(slot) === child) children.delete(slot);
      if (stopping) return;
      log.warn(`${role} exited; replacing it`, {
        worker: slot,
        pid: child.pid,
        code: code ?? undefined,
        signal: signal ?? undefined,
      });
      setTimeout(() => {
        if (!stopping) spawnWorker(slot);
      }, 250);
    });
  };
  for (let slot = 0; slot < size; slot++) spawnWorker(slot);

  return {
    pids: () => [...children.values()].map((c) => c.pid ?? -1),
    async stop(graceMs = 30_000) {
      stopping = true;
      const exits = [...children.values()].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      );
      await Promise.all(exits);
      closeSync(fd);
    },
  };
}
