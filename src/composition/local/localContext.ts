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
import { anomalyJob } from '../../usecases/anomaly/anomalyJob.js';
import { createJobDispatcher, type Dispatch } from '../../usecases/jobDispatcher.js';
import type { StreamDeps } from '../../usecases/stream/deps.js';
import type { AggregateDeps } from '../../usecases/stream/aggregatePartition.js';
import { streamJob } from '../../usecases/stream/streamJob.js';
import type { VideoDeps } from '../../usecases/video/deps.js';
import { videoJob } from '../../usecases/video/videoJob.js';
import { otelTelemetry } from '../../telemetry/otelTelemetry.js';
import { createVideoTools } from '../../video/videoTools.js';
import { registryStyles } from '../../adapters/models/registryStyles.js';
import type { BlobStore } from '../../ports/blobStore.js';
import type { VideoTools } from '../../ports/video.js';
import { armCrashPoints } from './crashPoints.js';
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
  readonly video: VideoDeps;
  readonly stream: StreamDeps;
  /** The stream aggregator's dependencies. */
  readonly aggregate: AggregateDeps;
  /** Runs the use case a queue message asks for, whatever its job's kind. */
  readonly dispatch: Dispatch;
  ensureContainers(): Promise<void>;
  close(): Promise<void>;
}

export interface LocalContextOptions {
  /** Arms the crash points of TESSERA_CRASH_AT (crashPoints.ts): only the runtime's workers and aggregator do. */
  readonly crashPoints?: boolean;
}

/** The embedded default adapters over `config.home`: a directory blob store, SQLite queue and ledger. */
export function openLocalContext(config: Config, log: Logger, options: LocalContextOptions = {}): LocalContext {
  const stores = {
    blobs: createFsBlobStore({ root: join(config.home, 'blobs') }),
    ledger: openSqliteJobLedger({ file: join(config.home, 'ledger.sqlite') }),
    events: openSqliteEventLog({
      file: join(config.home, 'events.sqlite'),
      name: 'readings',
      partitions: config.stream.partitions,
    }),
  };
  const crash = options.crashPoints && config.crashAt ? armCrashPoints(config.crashAt, config.home, log) : undefined;
  const { blobs, ledger, events } = crash ? crash.stores(stores) : stores;
  const plainTools = videoTools(config, blobs);
  const tools = crash ? crash.tools(plainTools) : plainTools;
  const queue = tracedQueue(
    openSqliteWorkQueue({
      file: join(config.home, 'queue.sqlite'),
      queue: 'jobs',
      lockDurationMs: config.lockDurationMs,
      maxDeliveryCount: config.maxDeliveryCount,
    }),
  );
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
    telemetry: otelTelemetry,
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
    telemetry: otelTelemetry,
    styles: registryStyles(registry, {
      executionProvider: config.video.executionProvider,
      intraOpThreads: config.video.threads || undefined,
      batch: config.video.batch,
    }),
    tools,
    settings: videoSettingsOf(config, join(config.home, 'cache')),
  };
  const stream: StreamDeps = {
    blobs,
    queue,
    ledger,
    log,
    telemetry: otelTelemetry,
    events,
    consumerGroup: config.stream.consumerGroup,
    models: deps.models,
    scorer: deps.scorer,
    settings: { modelPattern: config.modelPattern },
  };
  const dispatch = createJobDispatcher(deps, [anomalyJob(deps), videoJob(video), streamJob(stream)]);
  return {
    config,
    blobs,
    queue,
    ledger,
    registry,
    engine,
    deps,
    video,
    stream,
    dispatch,
    aggregate: {
      events,
      blobs,
      log,
      telemetry: otelTelemetry,
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

function videoTools(config: Config, blobs: BlobStore): VideoTools {
  return createVideoTools(
    blobs,
    { crf: config.video.crf, preset: config.video.preset, threads: config.video.ffmpegThreads },
    config.video.containers,
  );
}
