/**
 * The Functions app's context over real adapters: Blob and Table Storage on the run's Azurite, and
 * two Service Bus queues on a test broker reached through the unmodified @azure/service-bus SDK.
 * Names are unique per world, so files sharing Azurite never see each other's jobs.
 */
import { CONTAINERS } from '../../../src/core/jobNaming.js';
import { inboxBlobCreated } from '../../../functions/src/functions/inboxBlobCreated.js';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvocationContext } from '@azure/functions';
import { inject } from 'vitest';
import { loadAzureSettings } from '../../../src/composition/azure/azureConfig.js';
import { openAzureContext, type AzureContext } from '../../../src/composition/azure/azureContext.js';
import type { ReceivedMessage } from '../../../src/ports/workQueue.js';
import { createRecordingLogger, type LogLine } from '../../../src/hosting/logger.js';
import { useContext } from '../../../functions/src/context.js';
import { startTestBroker, type TestBroker } from '../../broker/testBroker.js';

export interface AzureWorld {
  readonly ctx: AzureContext;
  readonly broker: TestBroker;
  /** What the process-level logger and every invocation logged. */
  readonly lines: LogLine[];
  readonly invocationLogs: { level: string; text: string }[];
  /** An InvocationContext as the host makes one, logging into `invocationLogs`. */
  invocation(functionName: string, triggerMetadata?: Record<string, unknown>): InvocationContext;
  close(): Promise<void>;
}

export const MAX_DELIVERIES = 3;

export async function openAzureWorld(env: Record<string, string> = {}): Promise<AzureWorld> {
  const broker = await startTestBroker();
  const id = randomBytes(4).toString('hex');
  const home = mkdtempSync(join(tmpdir(), 'tessera-functions-'));
  const settings = loadAzureSettings({
    TESSERA_STORAGE_CONNECTION_STRING: inject('azuriteConnectionString'),
    TESSERA_SERVICEBUS_CONNECTION_STRING: broker.connectionString,
    TESSERA_WORK_QUEUE: `jobs-${id}`,
    TESSERA_CONTROL_QUEUE: `control-${id}`,
    TESSERA_LEDGER_TABLE: `jobledger${id}`,
    TESSERA_LOCK_MS: '10000',
    TESSERA_MAX_DELIVERIES: String(MAX_DELIVERIES),
    TESSERA_HOME: home,
    TESSERA_LOG_LEVEL: 'debug',
    ...env,
  });
  for (const name of [settings.workQueue, settings.controlQueue]) {
    broker.createQueue(name, {
      lockDurationMs: settings.config.lockDurationMs,
      maxDeliveryCount: MAX_DELIVERIES,
      duplicateDetectionWindowMs: 60_000,
    });
  }
  const log = createRecordingLogger();
  // Fail fast: a fault the broker injects must reach the handler, not be retried away by the SDK.
  const ctx = openAzureContext(settings, undefined, log, {
    serviceBusClientOptions: { retryOptions: { maxRetries: 0, timeoutInMs: 10_000 } },
  });
  await ctx.ensureContainers();
  useContext(ctx);
  const invocationLogs: { level: string; text: string }[] = [];
  return {
    ctx,
    broker,
    lines: log.lines,
    invocationLogs,
    invocation: (functionName, triggerMetadata) =>
      new InvocationContext({
        invocationId: randomBytes(8).toString('hex'),
        functionName,
        triggerMetadata,
        logHandler: (level, ...args) => invocationLogs.push({ level, text: args.map(String).join(' ') }),
      }),
    async close() {
      useContext(undefined);
      await ctx.close();
      await broker.stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Every message now receivable on `queue` (peek-locked; the test settles or drops them). */
export async function receiveAll(queue: AzureContext['queue'], waitMs = 1000): Promise<ReceivedMessage[]> {
  const out: ReceivedMessage[] = [];
  for (;;) {
    const batch = await queue.receive({ maxMessages: 50, maxWaitMs: out.length === 0 ? waitMs : 200 });
    if (batch.length === 0) return out;
    out.push(...batch);
  }
}

/**
 * What the Functions host does with one control-queue message (autoCompleteMessages true):
 * receive it peek-locked, invoke the handler with the body and trigger metadata, complete it when
 * the handler returns, abandon it when it throws. Returns the outcome.
 */
export async function deliverControlMessage(
  world: AzureWorld,
  handler: (message: unknown, invocation: InvocationContext) => Promise<void>,
): Promise<{ message: ReceivedMessage; outcome: 'completed' | 'abandoned'; error?: Error }> {
  const [message] = await world.ctx.control.receive({ maxMessages: 1, maxWaitMs: 2000 });
  if (!message) throw new Error('no control message to deliver');
  const invocation = world.invocation('controlQueue', {
    messageId: message.messageId,
    deliveryCount: message.deliveryCount,
    sequenceNumber: message.sequenceNumber,
    applicationProperties: message.applicationProperties,
  });
  try {
    await handler(message.body, invocation);
  } catch (error) {
    await world.ctx.control.abandon(message);
    return { message, outcome: 'abandoned', error: error as Error };
  }
  await world.ctx.control.complete(message);
  return { message, outcome: 'completed' };
}

/** Puts `body` in the inbox under a fresh name and submits it through the blob trigger, as Event Grid would; returns its job id. */
export async function submitThroughTrigger(
  world: AzureWorld,
  body: string | Buffer,
  extension = 'csv',
): Promise<string> {
  const name = `r-${randomBytes(4).toString('hex')}.${extension}`;
  await world.ctx.blobs.put(CONTAINERS.inbox, name, body);
  await inboxBlobCreated(undefined, world.invocation('inboxBlobCreated', { name }));
  const job = (await world.ctx.ledger.listJobs()).find((j) => j.input.name === name);
  if (!job) throw new Error(`no job for inbox/${name}`);
  return job.jobId;
}
