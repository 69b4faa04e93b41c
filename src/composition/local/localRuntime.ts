import { mkdirSync, writeFileSync } from 'node:fs';
import { ingestRequestHandler, startHttpIngest } from '../../ingest/httpIngest.js';
import { ensureApiToken } from './apiToken.js';
import { localApiPorts } from './localApiPorts.js';
import { startOperatorServer, type OperatorServer } from './operatorServer.js';
import { runtimeMetrics } from './runtimeMetrics.js';
import { join } from 'node:path';
import { configToEnv, type Config } from '../../config/config.js';
import { CONTAINERS } from '../../core/jobNaming.js';
import { parseCron, previousRun } from '../../core/cron.js';
import { unscoredBatches } from '../../usecases/stream/planStreamRun.js';
import { startStreamRun } from '../../usecases/stream/startStreamRun.js';
import { ensureError } from '../../core/errors.js';
import type { Logger } from '../../ports/logger.js';
import { sweepDeadLetters } from '../../usecases/deadLetters.js';
import { reconcileJobs } from '../../usecases/reconcileJobs.js';
import { submitJob } from '../../usecases/submitJob.js';
import { delay } from '../../hosting/backoff.js';
import { runInboxWatcher } from './inboxWatcher.js';
import { openLocalContext, type LocalContext } from './localContext.js';
import { claimRuntime } from './runtimeLock.js';
import { startWorkerPool, type WorkerPool } from './workerPool.js';

export interface LocalRuntimeOptions {
  /**
   * Serve the dashboard, the jobs API, /metrics and the readings endpoint on one loopback port
   * (`tessera up`); without it, only the readings endpoint runs, on TESSERA_INGEST_PORT.
   */
  readonly serve?: { readonly port: number };
}

export interface LocalRuntime {
  readonly workers: WorkerPool;
  /** The stream aggregator process (a pool of one). */
  readonly aggregator: WorkerPool;
  /** Where the HTTP ingest endpoint listens (POST /events). */
  readonly ingestUrl: string;
  /** The server's origin when it serves the dashboard and the API (`options.serve`). */
  readonly serverUrl: string | undefined;
  /** Stops watching, lets the workers drain, and releases the runtime lock. */
  stop(): Promise<void>;
}

/**
 * The embedded runtime: an inbox watcher, a pool of worker processes, and a reconciler that
 * accounts for dead-lettered messages and nudges jobs a crash left between steps.
 * All state lives under `config.home`.
 */
export async function startLocalRuntime(
  config: Config,
  log: Logger,
  options: LocalRuntimeOptions = {},
): Promise<LocalRuntime> {
  const release = claimRuntime(config.home, config.workers);
  const ctx = openLocalContext(config, log);
  await ctx.ensureContainers();
  mkdirSync(join(config.home, 'logs'), { recursive: true });
  const stop = new AbortController();
  const schedule = parseCron(config.scoreCron);
  // The server binds first: a port in use fails the start before any process is forked.
  const started: { workers?: WorkerPool } = {};
  const ingest = options.serve
    ? await serveOperator(ctx, config, log, () => started.workers?.pids().length ?? 0, options.serve.port).catch(
        async (error: unknown) => {
          await ctx.close();
          release();
          throw error;
        },
      )
    : await startHttpIngest({
        log: ctx.aggregate.events,
        port: config.stream.ingestPort,
        logger: log.child({ component: 'ingest' }),
      });
  const workers = startWorkerPool({
    size: config.workers,
    env: configToEnv(config),
    logFile: join(config.home, 'logs', 'workers.log'),
    log,
  });
  started.workers = workers;
  const aggregator = startWorkerPool({
    size: 1,
    env: configToEnv(config),
    logFile: join(config.home, 'logs', 'aggregator.log'),
    log,
    entry: 'aggregatorMain.ts',
    role: 'aggregator',
  });
  writeFileSync(join(config.home, 'ingest.url'), ingest.url);

  const watcher = runInboxWatcher(
    {
      feed: ctx.blobs,
      container: CONTAINERS.inbox,
      cursorFile: join(config.home, 'inbox.cursor'),
      pollMs: config.pollMs,
      log: log.child({ component: 'inbox' }),
      onBlob: async (change) => {
        const job = await submitJob(ctx.deps, { container: CONTAINERS.inbox, name: change.name });
        log.info('inbox blob accepted', { blob: change.name, jobId: job.jobId, state: job.state });
      },
    },
    stop.signal,
  );

  const reconciler = (async () => {
    // Messages reach the dead-letter queue out of sequence order (a lock expiring late, a re-drive),
    // so besides following new ones, every 30th tick sweeps the whole dead-letter queue again.
    let dlqCursor = 0;
    let lastScoreTick = 0;
    for (let tick = 0; !stop.signal.aborted; tick++) {
      try {
        // The score schedule: once per cron tick, a run over the windows no run has scored yet.
        const scoreTick = previousRun(schedule, Date.now());
        if (scoreTick > lastScoreTick) {
          if ((await unscoredBatches(ctx.stream)).length > 0) await startStreamRun(ctx.stream, scoreTick);
          lastScoreTick = scoreTick;
        }
        dlqCursor = await sweepDeadLetters(ctx.deps, tick % 30 === 0 ? 0 : dlqCursor);
        await reconcileJobs(ctx.deps, {
          staleJobMs: config.lockDurationMs * 2,
          staleShardMs: config.lockDurationMs * 2,
        });
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
    serverUrl: options.serve ? ingest.url : undefined,
    stop() {
      stopped ??= (async () => {
        stop.abort();
        await Promise.all([watcher, reconciler]);
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

/** `tessera up`'s server over the runtime's context: one port for dashboard, API, metrics and readings. */
async function serveOperator(
  ctx: LocalContext,
  config: Config,
  log: Logger,
  workerCount: () => number,
  port: number,
): Promise<OperatorServer> {
  const startedAt = Date.now();
  const server = await startOperatorServer({
    ports: localApiPorts(ctx),
    token: ensureApiToken(config.home),
    port,
    ingest: ingestRequestHandler({ log: ctx.aggregate.events, logger: log.child({ component: 'ingest' }) }),
    metrics: () => runtimeMetrics({ ledger: ctx.ledger, queue: ctx.queue, workers: workerCount(), startedAt }),
    log: log.child({ component: 'server' }),
  });
  writeFileSync(join(config.home, 'server.url'), server.url);
  log.info('server listening', { url: server.url });
  return server;
}
