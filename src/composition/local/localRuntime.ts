import { mkdirSync, writeFileSync } from 'node:fs';
import { ingestRequestHandler, startHttpIngest } from '../../ingest/httpIngest.js';
import { isLoopback, ownOrigins } from '../../ingest/requestGuards.js';
import { ensureApiToken } from './apiToken.js';
import { localApiPorts } from './localApiPorts.js';
import { startOperatorServer, type OperatorServer } from './operatorServer.js';
import { runtimeMetrics } from './runtimeMetrics.js';
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
import { openLocalContext, type LocalContext } from './localContext.js';
import { claimRuntime } from './runtimeLock.js';
import { checkLocalDatabases } from './localDatabases.js';
import { startWorkerPool, type WorkerPool } from './workerPool.js';

export interface LocalRuntimeOptions {
  /**
   * Serve the dashboard, the jobs API, /metrics and the readings endpoint on one loopback port
   * (`tessera up`); without it, only the readings endpoint runs, on TESSERA_INGEST_PORT.
   */
  readonly serve?: { readonly port: number };
  /**
   * The runtime of one command's job (`tessera run`): its stream aggregator runs at the lowest CPU
   * priority, so that the job in hand gets the cores first (its start competed with the upload and
   * the workers' for a third of a second of every run). Events it is sent still go through it.
   */
  readonly oneShot?: boolean;
}

export interface LocalRuntime {
  readonly workers: WorkerPool;
  /** The stream aggregator process (a pool of one). */
  readonly aggregator: WorkerPool;
  /** Where the HTTP ingest endpoint listens (POST /events). */
  readonly ingestUrl: string;
  /** Settles with the reason when a pool gave up replacing a child that keeps crashing (the runtime cannot go on). */
  readonly failed: Promise<Error>;
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
  const ingestOptions = {
    log: ctx.aggregate.events,
    host: config.stream.ingestHost,
    port: config.stream.ingestPort,
    token: config.stream.ingestToken,
    limits: aggregatorSettingsOf(config).limits,
    logger: log.child({ component: 'ingest' }),
  };
  // The server binds first: a port in use fails the start before any process is forked. With the
  // server, readings are posted to it; an ingest host beyond loopback (TESSERA_INGEST_HOST, with its
  // token) gets an endpoint of its own besides, for producers on other machines.
  const started: { workers?: WorkerPool } = {};
  const failStart = async (error: unknown): Promise<never> => {
    await ctx.close();
    release();
    throw error;
  };
  const ingest = await (
    options.serve
      ? serveOperator(ctx, config, log, () => started.workers?.pids().length ?? 0, options.serve.port)
      : startHttpIngest(ingestOptions)
  ).catch(failStart);
  const remoteIngest =
    options.serve && !isLoopback(config.stream.ingestHost)
      ? await startHttpIngest(ingestOptions).catch(async (error: unknown) => {
          await ingest.close();
          return failStart(error);
        })
      : undefined;
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
    entry: 'aggregatorMain',
    role: 'aggregator',
    ...(options.oneShot ? { niceness: 19 } : {}),
  });
  writeFileSync(join(config.home, 'ingest.url'), (remoteIngest ?? ingest).url);

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
    ingestUrl: (remoteIngest ?? ingest).url,
    failed: Promise.race([workers.gaveUp, aggregator.gaveUp]),
    serverUrl: options.serve ? ingest.url : undefined,
    stop() {
      stopped ??= (async () => {
        stop.abort();
        await Promise.all([watcher, background]);
        await Promise.all([ingest.close(), remoteIngest?.close()]);
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
  let origins: ReadonlySet<string> = new Set();
  const server = await startOperatorServer({
    ports: localApiPorts(ctx),
    token: ensureApiToken(config.home),
    port,
    ingest: ingestRequestHandler({
      log: ctx.aggregate.events,
      token: config.stream.ingestToken,
      limits: aggregatorSettingsOf(config).limits,
      logger: log.child({ component: 'ingest' }),
      origins: () => origins,
    }),
    metrics: () => runtimeMetrics({ ledger: ctx.ledger, queue: ctx.queue, workers: workerCount(), startedAt }),
    log: log.child({ component: 'server' }),
  });
  origins = ownOrigins('127.0.0.1', server.port);
  writeFileSync(join(config.home, 'server.url'), server.url);
  log.info('server listening', { url: server.url });
  return server;
}
