import { join } from 'node:path';
import type { Config } from '../../config/config.js';
import { CONTAINERS } from '../../core/jobNaming.js';
import { createFsBlobStore, type FsBlobStore } from '../../adapters/local/fsBlobStore.js';
import { openSqliteJobLedger } from '../../adapters/local/sqliteJobLedger.js';
import { openSqliteWorkQueue } from '../../adapters/local/sqliteWorkQueue.js';
import { openSqliteEventLog } from '../../adapters/local/sqliteEventLog.js';
import { createScoringEngine, type ScoringEngine } from '../../engine/scoringEngine.js';
import { createModelRegistry, type ModelRegistry } from '../../registry/modelRegistry.js';
import type { JobLedger } from '../../ports/jobLedger.js';
import type { Logger } from '../../ports/logger.js';
import type { WorkQueue } from '../../ports/workQueue.js';
import { tracedQueue } from '../../telemetry/tracedQueue.js';
import type { AnomalyDeps } from '../../usecases/anomaly/deps.js';
import { anomalyJobKind } from '../../usecases/anomaly/handleMessage.js';
import { createJobDispatcher } from '../../usecases/jobDispatcher.js';
import type { StreamDeps } from '../../usecases/stream/deps.js';
import type { AggregateDeps } from '../../usecases/stream/aggregatePartition.js';
import { streamJobKind } from '../../usecases/stream/streamJobKind.js';
import type { VideoDeps } from '../../usecases/video/deps.js';
import { videoJobKind } from '../../usecases/video/videoJobKind.js';
import { createVideoTools } from '../../video/videoTools.js';
import { registryStyles } from '../../adapters/models/registryStyles.js';
import { registryCatalog, registryScorer } from '../../adapters/models/registryModels.js';
import { aggregatorSettingsOf, anomalySettingsOf, videoSettingsOf } from '../../config/useCaseSettings.js';

export interface LocalContext {
  readonly config: Config;
  readonly blobs: FsBlobStore;
  readonly queue: WorkQueue;
  readonly ledger: JobLedger;
  readonly registry: ModelRegistry;
  readonly engine: ScoringEngine;
  readonly deps: AnomalyDeps;
  readonly stream: StreamDeps;
  /** The stream aggregator's dependencies. */
  readonly aggregate: AggregateDeps;
  /** Runs the use case a queue message asks for, whatever its job's kind. */
  readonly dispatch: (body: unknown, signal?: AbortSignal, nextMayStart?: () => void) => Promise<void>;
  ensureContainers(): Promise<void>;
  close(): Promise<void>;
}

/** The embedded default adapters over `config.home`: a directory blob store, SQLite queue and ledger. */
export function openLocalContext(config: Config, log: Logger): LocalContext {
  const blobs = createFsBlobStore({ root: join(config.home, 'blobs') });
  const queue = tracedQueue(
    openSqliteWorkQueue({
      file: join(config.home, 'queue.sqlite'),
      queue: 'jobs',
      lockDurationMs: config.lockDurationMs,
      maxDeliveryCount: config.maxDeliveryCount,
    }),
  );
  const ledger = openSqliteJobLedger({ file: join(config.home, 'ledger.sqlite') });
  const registry = createModelRegistry(blobs);
  const engine = createScoringEngine({
    optimize: config.optimizeModels,
    batchSize: config.batchRows,
    maxCachedSessions: 256,
  });
  const deps: AnomalyDeps = {
    blobs,
    queue,
    ledger,
    models: registryCatalog(registry),
    scorer: registryScorer(registry, engine),
    settings: anomalySettingsOf(config),
    log,
  };
  const video: VideoDeps = {
    blobs,
    queue,
    ledger,
    log,
    styles: registryStyles(registry, {
      executionProvider: config.video.executionProvider,
      intraOpThreads: config.video.threads || undefined,
      batch: config.video.batch,
    }),
    tools: createVideoTools(
      blobs,
      {
        crf: config.video.crf,
        preset: config.video.preset,
        threads: config.video.ffmpegThreads,
      },
      config.video.containers,
    ),
    settings: videoSettingsOf(config, join(config.home, 'cache')),
  };
  const events = openSqliteEventLog({
    file: join(config.home, 'events.sqlite'),
    name: 'readings',
    partitions: config.stream.partitions,
  });
  const stream: StreamDeps = {
    blobs,
    queue,
    ledger,
    log,
    events,
    consumerGroup: config.stream.consumerGroup,
    models: deps.models,
    scorer: deps.scorer,
    settings: { modelPattern: config.modelPattern },
  };
  const dispatch = createJobDispatcher(deps, {
    anomaly: anomalyJobKind(deps),
    video: videoJobKind(video),
    stream: streamJobKind(stream),
  });
  return {
    config,
    blobs,
    queue,
    ledger,
    registry,
    engine,
    deps,
    stream,
    dispatch,
    aggregate: {
      events,
      blobs,
      log,
      consumerGroup: config.stream.consumerGroup,
      batchSize: 1000,
      waitMs: Math.max(50, config.pollMs * 20), // long waits: the log's polling backs off while a partition is idle
      ...aggregatorSettingsOf(config),
    },
    async ensureContainers() {
      for (const c of Object.values(CONTAINERS)) await blobs.ensureContainer(c);
    },
    async close() {
      await engine.dispose();
      await queue.close();
      await ledger.close();
      await events.close();
      await blobs.close();
    },
  };
}
