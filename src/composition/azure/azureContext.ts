/**
 * The Azure composition root: the same use cases as the embedded runtime (src/composition/local/localContext.ts),
 * over Blob Storage, Table Storage and Service Bus. The Functions app and the scorer both open it.
 *
 * - `queue` is the `jobs` queue (shard work, the scorer's); `control` carries plan and finish
 *   messages (the Functions app's), so GPU workers only ever receive shards.
 * - One ServiceBusClient (one AMQP connection) serves both queues.
 * - `withLog(log)` gives the same ports, model caches and sessions with use cases that log to
 *   `log`: a Function scopes every line to its invocation that way.
 * - The sensor stream (`stream`) is there when the caller opened an event log (Event Hubs in
 *   Azure: openAzureEventLog from the settings, async because it reads the hub's partition count)
 *   and passed it in `options.eventLog`: the aggregator's deps for the Event Hubs trigger, the stream
 *   run's deps for the timer, and the `stream` job kind in the dispatcher (plan, score, finish).
 */
import { join } from 'node:path';
import type { TokenCredential } from '@azure/core-auth';
import { ServiceBusClient, type ServiceBusClientOptions } from '@azure/service-bus';
import { BlobServiceClient } from '@azure/storage-blob';
import { azureBlobStoreFromConnectionString, azureBlobStoreFromEndpoint } from '../../adapters/azure/azureBlobStore.js';
import {
  eventHubsEventLogFromConnectionString,
  eventHubsEventLogFromNamespace,
  type EventHubsEventLogOptions,
} from '../../adapters/azure/eventHubsEventLog.js';
import { createServiceBusWorkQueue } from '../../adapters/azure/serviceBusWorkQueue.js';
import { tableJobLedgerFromConnectionString, tableJobLedgerFromEndpoint } from '../../adapters/azure/tableJobLedger.js';
import { InputError } from '../../core/errors.js';
import { CONTAINERS } from '../../core/jobNaming.js';
import { createScoringEngine, type ScoringEngine } from '../../engine/scoringEngine.js';
import type { BlobStore } from '../../ports/blobStore.js';
import type { EventLog } from '../../ports/eventLog.js';
import type { JobLedger } from '../../ports/jobLedger.js';
import type { Logger } from '../../ports/logger.js';
import type { WorkQueue } from '../../ports/workQueue.js';
import { tracedQueue } from '../../telemetry/tracedQueue.js';
import { createModelRegistry, type ModelRegistry } from '../../registry/modelRegistry.js';
import { registryCatalog, registryScorer } from '../../adapters/models/registryModels.js';
import { registryStyles } from '../../adapters/models/registryStyles.js';
import type { AnomalyDeps } from '../../usecases/anomaly/deps.js';
import { anomalyJob } from '../../usecases/anomaly/anomalyJob.js';
import type { JobDeps } from '../../usecases/jobDeps.js';
import { createJobDispatcher, type Dispatch } from '../../usecases/jobDispatcher.js';
import type { JobKind } from '../../usecases/jobKind.js';
import type { AggregateDeps } from '../../usecases/stream/aggregatePartition.js';
import type { StreamDeps } from '../../usecases/stream/deps.js';
import { streamJob } from '../../usecases/stream/streamJob.js';
import type { VideoDeps } from '../../usecases/video/deps.js';
import { videoJob } from '../../usecases/video/videoJob.js';
import { otelTelemetry } from '../../telemetry/otelTelemetry.js';
import { createVideoTools } from '../../video/videoTools.js';
import type { AzureSettings, Identity } from './azureConfig.js';
import { aggregatorSettingsOf, anomalySettingsOf, videoSettingsOf } from '../../config/useCaseSettings.js';

interface Ports {
  readonly settings: AzureSettings;
  readonly blobs: BlobStore;
  readonly queue: WorkQueue;
  readonly control: WorkQueue;
  readonly ledger: JobLedger;
  readonly registry: ModelRegistry;
  readonly engine: ScoringEngine;
  readonly events: EventLog | undefined;
}

/** The sensor stream's deps: the aggregator's (Event Hubs trigger) and the scheduled run's (timer, dispatcher). */
export interface StreamContext {
  readonly deps: StreamDeps & Required<Pick<JobDeps, 'control'>>;
  readonly aggregate: AggregateDeps;
}

export interface AzureContext extends Ports {
  /** The anomaly job's deps; `control` is where its plan and finish messages go. */
  readonly deps: AnomalyDeps & Required<Pick<JobDeps, 'control'>>;
  readonly video: VideoDeps;
  /** Undefined when no event log was opened (`options.eventLog`). */
  readonly stream: StreamContext | undefined;
  readonly log: Logger;
  /** Runs the use case a queue message asks for, whatever its job's kind. */
  readonly dispatch: Dispatch;
  /** The same ports and caches, with use cases that log to `log`. */
  withLog(log: Logger): AzureContext;
  /** Creates the containers: emulators only (in Azure, infra creates them and the identities may not). */
  ensureContainers(): Promise<void>;
  close(): Promise<void>;
}

export interface AzureContextOptions {
  /** E.g. retry options (tests fail fast instead of retrying an injected fault). */
  readonly serviceBusClientOptions?: ServiceBusClientOptions;
  /** The sensor stream's event log (opened by the caller; closed with the context). */
  readonly eventLog?: EventLog;
}

/**
 * Opens the Azure adapters. `credential` is required for identity-based connections and unused for
 * emulator connection strings (tests pass undefined, or a fake TokenCredential).
 */
export function openAzureContext(
  settings: AzureSettings,
  credential: TokenCredential | undefined,
  log: Logger,
  options: AzureContextOptions = {},
): AzureContext {
  const { config } = settings;
  const needCredential = (key: string): TokenCredential => {
    if (!credential) throw new InputError(key, 'identity-based connection needs a TokenCredential (see credentialFor)');
    return credential;
  };
  const storage = settings.storage;
  const blobs =
    storage.mode === 'identity'
      ? azureBlobStoreFromEndpoint(storage.blobServiceUri, needCredential('TESSERA_STORAGE__blobServiceUri'))
      : azureBlobStoreFromConnectionString(storage.connectionString);
  const ledger =
    storage.mode === 'identity'
      ? tableJobLedgerFromEndpoint(
          storage.tableServiceUri,
          settings.ledgerTable,
          needCredential('TESSERA_STORAGE__tableServiceUri'),
        )
      : tableJobLedgerFromConnectionString(storage.connectionString, settings.ledgerTable);
  const sb = settings.serviceBus;
  const client =
    sb.mode === 'identity'
      ? new ServiceBusClient(
          sb.fullyQualifiedNamespace,
          needCredential('TESSERA_SERVICEBUS__fullyQualifiedNamespace'),
          options.serviceBusClientOptions,
        )
      : new ServiceBusClient(sb.connectionString, options.serviceBusClientOptions);
  // Both queues are created from the same Bicep parameters, so one lock and delivery setting fits both.
  const queueSettings = {
    client,
    lockDurationMs: config.lockDurationMs,
    maxDeliveryCount: config.maxDeliveryCount,
    closeClient: false,
  };
  const queue = tracedQueue(createServiceBusWorkQueue({ ...queueSettings, queue: settings.workQueue }));
  const control = tracedQueue(createServiceBusWorkQueue({ ...queueSettings, queue: settings.controlQueue }));
  const registry = createModelRegistry(blobs);
  const engine = createScoringEngine({
    optimize: config.optimizeModels,
    batchSize: config.batchRows,
    maxCachedSessions: 256,
  });
  const events = options.eventLog;
  const ports: Ports = { settings, blobs, queue, control, ledger, registry, engine, events };
  const v = config.video;
  // Built once: they cache loaded models and sessions, which every `withLog` view shares.
  const shared: Shared = {
    models: registryCatalog(registry),
    scorer: registryScorer(registry, engine),
    styles: registryStyles(registry, {
      executionProvider: v.executionProvider,
      intraOpThreads: v.threads || undefined,
      batch: v.batch,
    }),
    tools: createVideoTools(blobs, { crf: v.crf, preset: v.preset, threads: v.ffmpegThreads }, v.containers),
  };
  const close = async (): Promise<void> => {
    await engine.dispose();
    await queue.close();
    await control.close();
    await client.close();
    await ledger.close();
    await events?.close();
  };
  return assemble(ports, shared, log, close);
}

interface Shared {
  readonly models: AnomalyDeps['models'];
  readonly scorer: AnomalyDeps['scorer'];
  readonly styles: VideoDeps['styles'];
  readonly tools: VideoDeps['tools'];
}

function assemble(ports: Ports, shared: Shared, log: Logger, close: () => Promise<void>): AzureContext {
  const { settings, blobs, queue, control, ledger } = ports;
  const { config } = settings;
  const deps = {
    blobs,
    queue,
    control,
    ledger,
    log,
    telemetry: otelTelemetry,
    models: shared.models,
    scorer: shared.scorer,
    settings: anomalySettingsOf(config),
  } satisfies AnomalyDeps & JobDeps;
  const video: VideoDeps = {
    blobs,
    queue,
    control,
    ledger,
    log,
    telemetry: otelTelemetry,
    styles: shared.styles,
    tools: shared.tools,
    settings: videoSettingsOf(config, join(settings.scratchDir, 'cache')),
  };
  const stream = ports.events && streamContext(ports.events, deps, config);
  const kinds: JobKind[] = [anomalyJob(deps), videoJob(video), ...(stream ? [streamJob(stream.deps)] : [])];
  const dispatch = createJobDispatcher(deps, kinds);
  return {
    ...ports,
    deps,
    video,
    stream,
    log,
    dispatch,
    withLog: (other) => assemble(ports, shared, other, close),
    async ensureContainers() {
      for (const c of Object.values(CONTAINERS)) await blobs.ensureContainer(c);
    },
    close,
  };
}

/** The stream's deps over the same ports, as the embedded runtime builds them (src/composition/local/localContext.ts). */
function streamContext(events: EventLog, deps: AzureContext['deps'], config: AzureSettings['config']): StreamContext {
  const s = config.stream;
  const { blobs, queue, control, ledger, log, models, scorer, telemetry } = deps;
  return {
    deps: {
      blobs,
      queue,
      control,
      ledger,
      log,
      telemetry,
      events,
      consumerGroup: s.consumerGroup,
      models,
      scorer,
      settings: { modelPattern: config.modelPattern },
    },
    aggregate: {
      events,
      blobs,
      log,
      telemetry,
      consumerGroup: s.consumerGroup,
      // The Event Hubs trigger hands over its batch: one step per delivery, never a wait.
      batchSize: 10_000,
      waitMs: 0,
      ...aggregatorSettingsOf(config),
    },
  };
}

/**
 * Opens the sensor stream's event log from the settings, or undefined when the stream is not
 * configured (no TESSERA_EVENTHUBS__fullyQualifiedNamespace nor emulator string): the Event Hub with
 * its consumer group, checkpoints in the data storage account's checkpoint container (which infra
 * creates; emulators' callers create it). Pass the result as `openAzureContext`'s `options.eventLog`.
 */
export async function openAzureEventLog(
  settings: AzureSettings,
  credential: TokenCredential | undefined,
  options: EventHubsEventLogOptions = {},
): Promise<EventLog | undefined> {
  const eh = settings.eventHubs;
  if (!eh) return undefined;
  const needCredential = (key: string): TokenCredential => {
    if (!credential) throw new InputError(key, 'identity-based connection needs a TokenCredential (see credentialFor)');
    return credential;
  };
  const storage = settings.storage;
  const blobService =
    storage.mode === 'identity'
      ? new BlobServiceClient(storage.blobServiceUri, needCredential('TESSERA_STORAGE__blobServiceUri'))
      : BlobServiceClient.fromConnectionString(storage.connectionString);
  const checkpoints = blobService.getContainerClient(eh.checkpointContainer);
  const c = eh.connection;
  return c.mode === 'identity'
    ? eventHubsEventLogFromNamespace(
        c.fullyQualifiedNamespace,
        eh.eventHub,
        eh.consumerGroup,
        needCredential('TESSERA_EVENTHUBS__fullyQualifiedNamespace'),
        checkpoints,
        options,
      )
    : eventHubsEventLogFromConnectionString(c.connectionString, eh.eventHub, eh.consumerGroup, checkpoints, options);
}

/**
 * The production credential, built lazily (dynamic import: @azure/identity loads only where an
 * identity is used). `managedidentity` → ManagedIdentityCredential, `workloadidentity` →
 * WorkloadIdentityCredential, unset → DefaultAzureCredential; each with its `__clientId`.
 * Undefined when every connection is an emulator connection string. Tests never call it.
 */
export async function credentialFor(settings: AzureSettings): Promise<TokenCredential | undefined> {
  const identities: [string, Identity][] = [];
  if (settings.storage.mode === 'identity') identities.push(['TESSERA_STORAGE', settings.storage.identity]);
  if (settings.serviceBus.mode === 'identity') identities.push(['TESSERA_SERVICEBUS', settings.serviceBus.identity]);
  if (settings.eventHubs?.connection.mode === 'identity')
    identities.push(['TESSERA_EVENTHUBS', settings.eventHubs.connection.identity]);
  const [first, ...rest] = identities;
  if (!first) return undefined;
  const [prefix, id] = first;
  const other = rest.find(([, o]) => o.kind !== id.kind || o.clientId !== id.clientId);
  if (other)
    throw new InputError(
      `${other[0]}__credential/__clientId`,
      `must name the same identity as ${prefix}__credential/__clientId (one identity per process)`,
    );
  const identity = await import('@azure/identity');
  const clientIdOption = id.clientId === undefined ? {} : { clientId: id.clientId };
  if (id.kind === 'managedidentity') return new identity.ManagedIdentityCredential(clientIdOption);
  if (id.kind === 'workloadidentity') return new identity.WorkloadIdentityCredential(clientIdOption);
  return new identity.DefaultAzureCredential(
    id.clientId === undefined ? {} : { managedIdentityClientId: id.clientId, workloadIdentityClientId: id.clientId },
  );
}
