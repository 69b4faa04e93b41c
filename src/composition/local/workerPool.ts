import { fork, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { setPriority } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Logger } from '../../ports/logger.js';
import type { ChildFailure } from './parentWatch.js';

/**
 * A worker runs the same form of the sources as this module: the compiled JavaScript in dist/ (the
 * CLI), or, when this module is TypeScript, the TypeScript sources through tsx's loader, a
 * development dependency. The test suite, which builds dist/ from these sources before it runs,
 * sets TESSERA_COMPILED_CHILDREN: its workers then run that build, which starts in a third of the
 * CPU time of the sources through tsx.
 */
function workerEntry(name: string): { entry: string; execArgv: string[] } {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return { entry: fileURLToPath(new URL(`./${name}.js`, here)), execArgv: [] };
  if (process.env.TESSERA_COMPILED_CHILDREN === '1')
    return { entry: fileURLToPath(new URL(`../../../dist/src/composition/local/${name}.js`, here)), execArgv: [] };
  const tsx = pathToFileURL(createRequire(here).resolve('tsx')).href;
  return { entry: fileURLToPath(new URL(`./${name}.ts`, here)), execArgv: ['--import', tsx] };
}

export interface WorkerPool {
  readonly pids: () => number[];
  /** Settles with the reason once the pool has given up replacing a child that keeps crashing; never rejects. */
  readonly gaveUp: Promise<Error>;
  /** SIGTERM to every worker; they drain and exit. After `graceMs`, SIGKILL. */
  stop(graceMs?: number): Promise<void>;
}

/** How a pool replaces crashed children: after baseMs, doubling per crash in a row up to maxMs; at most maxCrashes in a row. */
export interface RestartPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
  readonly maxCrashes: number;
  /** A child that ran this long before it died starts a new count. */
  readonly healthyMs: number;
}

export const DEFAULT_RESTART: RestartPolicy = { baseMs: 250, maxMs: 30_000, maxCrashes: 6, healthyMs: 60_000 };

/**
 * Forks `size` worker processes and keeps that many alive: a worker that dies (crash, OOM,
 * SIGKILL) is replaced after a delay that doubles with each crash in a row (a file that makes
 * every worker die at once must not become a crash loop), and after `maxCrashes` in a row the pool
 * stops replacing it and settles `gaveUp` with the reason: the error the child reported over IPC
 * (see reportFailure), or its exit code. Worker output goes to `logFile`.
 */
export function startWorkerPool(options: {
  size: number;
  env: Record<string, string>;
  logFile: string;
  log: Logger;
  entry?: 'workerMain' | 'aggregatorMain';
  role?: string;
  restart?: Partial<RestartPolicy>;
  /** The children's CPU scheduling niceness (os.setPriority: 0 normal, 19 lowest); unset leaves this process's. */
  niceness?: number;
}): WorkerPool {
  const { entry, execArgv } = workerEntry(options.entry ?? 'workerMain');
  const role = options.role ?? 'worker';
  const policy = { ...DEFAULT_RESTART, ...options.restart };
  const { size, log } = options;
  const children = new Map<number, ChildProcess>();
  const crashes = new Map<number, number>();
  const fd = openSync(options.logFile, 'a');
  let stopping = false;
  let giveUp!: (reason: Error) => void;
  const gaveUp = new Promise<Error>((resolve) => (giveUp = resolve));

  const spawnWorker = (slot: number): void => {
    const startedAt = Date.now();
    let reported: string | undefined;
    // Its first argument is this process's pid: the child's watch on its parent (parentWatch.ts).
    const child = fork(entry, [String(process.pid)], {
      execArgv,
      env: { ...process.env, ...options.env, TESSERA_WORKER_ID: String(slot) },
      stdio: ['ignore', fd, fd, 'ipc'],
    });
    children.set(slot, child);
    if (options.niceness !== undefined && child.pid !== undefined) lowerPriority(child.pid, options.niceness, log);
    log.info(`${role} started`, { worker: slot, pid: child.pid });
    child.on('message', (m: Partial<ChildFailure>) => {
      if (m?.kind === 'fatal' && typeof m.message === 'string') reported = m.message;
    });
    child.on('exit', (code, signal) => {
      if (children.get(slot) === child) children.delete(slot);
      if (stopping) return;
      const inARow = (Date.now() - startedAt >= policy.healthyMs ? 0 : (crashes.get(slot) ?? 0)) + 1;
      crashes.set(slot, inARow);
      const reason = reported ?? (signal ? `killed by ${signal}` : `exit code ${code}`);
      const fields = { worker: slot, pid: child.pid, code: code ?? undefined, signal: signal ?? undefined, reason };
      if (inARow >= policy.maxCrashes) {
        const why = `${role} ${slot} crashed ${inARow} times in a row, each within ${policy.healthyMs / 1000} s of starting; not replacing it again. Last: ${reason}`;
        log.error(why, fields);
        giveUp(new Error(why));
        return;
      }
      const waitMs = Math.min(policy.maxMs, policy.baseMs * 2 ** (inARow - 1));
      log.warn(`${role} exited; replacing it in ${waitMs} ms`, { ...fields, crashesInARow: inARow, waitMs });
      setTimeout(() => {
        if (!stopping) spawnWorker(slot);
      }, waitMs);
    });
  };
  for (let slot = 0; slot < size; slot++) spawnWorker(slot);

  return {
    pids: () => [...children.values()].map((c) => c.pid ?? -1),
    gaveUp,
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

/** Sets a child's niceness; a system that refuses it leaves the child at its priority (said in the log, never fatal). */
function lowerPriority(pid: number, niceness: number, log: Logger): void {
  try {
    setPriority(pid, niceness);
  } catch (error) {
    log.warn('could not set a child process priority', { pid, niceness, error: (error as Error).message });
  }
}
