import { mkdirSync, writeFileSync } from 'node:fs';
import { startHttpIngest } from '../../ingest/httpIngest.js';
import { join } from 'node:path';
import { configToEnv, scoreCronOf, type Config } from '../../config/config.js';
import { aggregatorSettingsOf } from '../../config/useCaseSettings.js';
import { CONTAINERS } from '../../core/jobNaming.js';
import { ensureError } from '../../core/errors.js';
import type { Logger } from '../../ports/logger.js';
import { reconciler, scoreSchedule } from '../../usecases/scheduledWork.js';
import { submitJob } from '../../usecases/submitJob.js';
import { delay } from '../../lib/delay.js';
import { runInboxWatcher } from './inboxWatcher.js';
import { openLocalContext } from './localContext.js';
import { claimRuntime } from './runtimeLock.js';
import { checkLocalDatabases } from './localDatabases.js';
import { startWorkerPool, type WorkerPool } from './workerPool.js';

export interface LocalRuntime {
  readonly workers: WorkerPool;
  /** The stream aggregator process (a pool of one). */
  readonly aggregator: WorkerPool;
  /** Where the HTTP ingest endpoint listens (POST /events). */
  readonly ingestUrl: string;
  /** Settles with the reason when a pool gave up replacing a child that keeps crashing (the runtime cannot go on). */
  readonly failed: Promise<Error>;
  /** Stops watching, lets the workers drain, and releases the runtime lock. */
  stop(): Promise<void>;
}

/**
 * The embedded runtime: an inbox watcher, a pool of worker processes, and a reconciler that
 * accounts for dead-lettered messages and nudges jobs a crash left between steps.
 * All state lives under `config.home`.
 */
export async function startLocalRuntime(config: Config, log: Logger): Promise<LocalRuntime> {
  const scoreCron = scoreCronOf(config); // a bad schedule stops the runtime before it starts anything
  const release = claimRuntime(config.home, config.workers);
  try {
    checkLocalDatabases(config.home, log);
  } catch (error) {
    release();
    throw error;
  }
  const ctx = openLocalContext(config, log);
  await ctx.ensureContainers();
  mkdirSync(join(config.home, 'logs'), { recursive: true });
  const stop = new AbortController();
  const schedule = scoreSchedule(ctx.stream, scoreCron);
  const reconcile = reconciler({ staleJobMs: config.lockDurationMs * 2, staleShardMs: config.lockDurationMs * 2 });
  const workers = startWorkerPool({
    size: config.workers,
    env: configToEnv(config),
    logFile: join(config.home, 'logs', 'workers.log'),
    log,
  });
  const aggregator = startWorkerPool({
    size: 1,
    env: configToEnv(config),
    logFile: join(config.home, 'logs', 'aggregator.log'),
    log,
    entry: 'aggregatorMain',
    role: 'aggregator',
  });
  const ingest = await startHttpIngest({
    log: ctx.aggregate.events,
    host: config.stream.ingestHost,
    port: config.stream.ingestPort,
    token: config.stream.ingestToken,
    limits: aggregatorSettingsOf(config).limits,
    logger: log.child({ component: 'ingest' }),
  });
  writeFileSync(join(config.home, 'ingest.url'), ingest.url);

  const watcher = runInboxWatcher(
    {
      feed: ctx.blobs,
      container: CONTAINERS.inbox,
      cursorFile: join(config.home, 'inbox.cursor'),
      pollMs: config.pollMs,
      log: log.child({ component: 'inbox' }),
      adopt: () => ctx.blobs.adoptStrayFiles(CONTAINERS.inbox),
      onBlob: async (change) => {
        const job = await submitJob(ctx.deps, { container: CONTAINERS.inbox, name: change.name });
        log.info('inbox blob accepted', { blob: change.name, jobId: job.jobId, state: job.state });
      },
    },
    stop.signal,
  );

  const background = (async () => {
    while (!stop.signal.aborted) {
      try {
        await schedule.tick(Date.now());
        await reconcile.tick(ctx.deps, [ctx.queue]);
      } catch (error) {
        log.warn('reconciler: transient failure', { error: ensureError(error).message });
      }
      await delay(Math.max(500, config.pollMs * 10), stop.signal);
    }
  })();

  log.info('runtime started', { home: config.home, workers: config.workers, pid: process.pid });
  let stopped: Promise<void> | undefined;
  return {
    workers,
    aggregator,
    ingestUrl: ingest.url,
    failed: Promise.race([workers.gaveUp, aggregator.gaveUp]),
    stop() {
      stopped ??= (async () => {
        stop.abort();
        await Promise.all([watcher, background]);
        await ingest.close();
        await Promise.all([workers.stop(), aggregator.stop()]);
        await ctx.close();
        release();
        log.info('runtime stopped');
      })();
      return stopped;
    },
  };
}
