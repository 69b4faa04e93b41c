import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvocationContext, type Timer } from '@azure/functions';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventHubsEventLogFromConnectionString } from '../../src/adapters/azure/eventHubsEventLog.js';
import { loadAzureSettings } from '../../src/composition/azure/azureConfig.js';
import { openAzureContext, type AzureContext } from '../../src/composition/azure/azureContext.js';
import { CONTAINERS } from '../../src/core/jobNaming.js';
import type { EventRecord } from '../../src/ports/eventLog.js';
import { createRecordingLogger } from '../../src/hosting/logger.js';
import { stateBlob } from '../../src/usecases/stream/aggregatePartition.js';
import { streamRunId } from '../../src/usecases/stream/startStreamRun.js';
import { readBlobText } from '../../src/usecases/readBlobText.js';
import { useContext } from '../../functions/src/context.js';
import { readingsEventHub } from '../../functions/src/functions/readingsEventHub.js';
import { ncrontabSchedule, scoreTimer } from '../../functions/src/functions/scoreTimer.js';
import { startEventHubsBroker, type EventHubsBroker } from '../broker/eventHubsBroker.js';
import { startTestBroker, type TestBroker } from '../broker/testBroker.js';

// The stream functions' handlers, called as the host calls them, over the Azure composition root:
// Blob and Table Storage on Azurite, Service Bus and Event Hubs on the rhea test brokers, reached
// through the unmodified SDKs.
const HUB = 'readings';
const GROUP = 'aggregator';
let sb: TestBroker;
let eh: EventHubsBroker;
let ctx: AzureContext;
let home: string;
const logs: { level: string; text: string }[] = [];
const invocation = (functionName: string, triggerMetadata?: Record<string, unknown>) =>
  new InvocationContext({
    invocationId: randomBytes(8).toString('hex'),
    functionName,
    triggerMetadata,
    logHandler: (level, ...args) => logs.push({ level, text: args.map(String).join(' ') }),
  });

beforeAll(async () => {
  [sb, eh] = await Promise.all([startTestBroker(), startEventHubsBroker()]);
  eh.createEventHub(HUB, { partitions: 2, consumerGroups: ['$Default', GROUP] });
  const id = randomBytes(4).toString('hex');
  home = mkdtempSync(join(tmpdir(), 'tessera-stream-functions-'));
  const settings = loadAzureSettings({
    TESSERA_STORAGE_CONNECTION_STRING: inject('azuriteConnectionString'),
    TESSERA_SERVICEBUS_CONNECTION_STRING: sb.connectionString,
    TESSERA_WORK_QUEUE: `jobs-${id}`,
    TESSERA_CONTROL_QUEUE: `control-${id}`,
    TESSERA_LEDGER_TABLE: `jobledger${id}`,
    TESSERA_HOME: home,
    TESSERA_LOG_LEVEL: 'debug',
  });
  for (const q of [settings.workQueue, settings.controlQueue])
    sb.createQueue(q, { lockDurationMs: 10_000, maxDeliveryCount: 3, duplicateDetectionWindowMs: 86_400_000 });
  const checkpoints = BlobServiceClient.fromConnectionString(inject('azuriteConnectionString')).getContainerClient(
    `checkpoints-${id}`,
  );
  await checkpoints.create();
  const eventLog = await eventHubsEventLogFromConnectionString(eh.connectionString, HUB, GROUP, checkpoints, {
    clientOptions: { retryOptions: { maxRetries: 0, timeoutInMs: 10_000 } },
  });
  ctx = openAzureContext(settings, undefined, createRecordingLogger(), {
    serviceBusClientOptions: { retryOptions: { maxRetries: 0, timeoutInMs: 10_000 } },
    eventLog,
  });
  await ctx.ensureContainers();
  useContext(ctx);
});
afterAll(async () => {
  useContext(undefined);
  await ctx?.close();
  await Promise.all([sb?.stop(), eh?.stop()]);
  rmSync(home, { recursive: true, force: true });
});

/** What the host hands a cardinality-many invocation: bodies parsed where they are JSON, camel-cased metadata arrays. */
function hostBatch(records: readonly EventRecord[]) {
  const messages = records.map((r) => {
    try {
      return JSON.parse(r.body) as unknown;
    } catch {
      return r.body;
    }
  });
  const metadata = {
    partitionContext: { partitionId: String(records[0]!.partition), consumerGroup: GROUP, eventHubName: HUB },
    sequenceNumberArray: records.map((r) => r.sequenceNumber),
    offsetArray: records.map((r) => r.offset),
    enqueuedTimeUtcArray: records.map((r) => r.enqueuedTime.toISOString()),
    partitionKeyArray: records.map((r) => r.partitionKey),
    propertiesArray: records.map((r) => r.properties),
  };
  return { messages, metadata };
}
const deliver = async (records: readonly EventRecord[]) => {
  const { messages, metadata } = hostBatch(records);
  await readingsEventHub(messages, invocation('readingsEventHub', metadata));
};
const listNames = async (prefix: string) => {
  const out: string[] = [];
  for await (const b of ctx.blobs.list(CONTAINERS.windows, prefix)) out.push(b.name);
  return out.sort();
};
const timer: Timer = {
  isPastDue: false,
  schedule: { adjustForDST: false },
  scheduleStatus: { last: '', next: '', lastUpdated: '' },
};

describe('readingsEventHub and scoreTimer against Azurite and the test brokers', () => {
  const device = `dev-${randomBytes(3).toString('hex')}`;
  const base = Math.floor((Date.now() - 30 * 60_000) / 60_000) * 60_000;
  const reading = (s: number, value: number) =>
    JSON.stringify({
      schema: 'tessera.reading/v1',
      id: `${device}-${s}`,
      deviceId: device,
      tag: 't',
      ts: new Date(base + s * 1000).toISOString(),
      value,
    });
  let records: EventRecord[] = [];

  it('scoreTimer starts nothing while no window batch is committed', async () => {
    await scoreTimer(timer, invocation('scoreTimer'));
    expect(await ctx.ledger.listJobs({ kind: 'stream' })).toEqual([]);
    expect(logs.some((l) => l.text.includes('no unscored window batches'))).toBe(true);
  });

  it("aggregates a delivered batch: windows committed, an invalid event dead-lettered, the checkpoint at the batch's last event", async () => {
    const bodies = [
      reading(5, 1),
      reading(35, 3),
      'not json {',
      reading(65, 10),
      reading(95, 20),
      reading(125, 5),
      reading(185, 6),
      reading(245, 7),
      reading(305, 8),
    ];
    records = await ctx.stream!.deps.events.append(
      device,
      bodies.map((body) => ({ body })),
    );
    const p = records[0]!.partition;
    await deliver(records.slice(0, 6));
    expect(await ctx.stream!.deps.events.getCheckpoint(GROUP, p)).toMatchObject({
      sequenceNumber: records[5]!.sequenceNumber,
    });
    expect(await listNames(`_deadletter/p${String(p).padStart(4, '0')}/`)).toHaveLength(1);
    expect((await listNames('date=')).length).toBeGreaterThan(0);
  });

  it('a redelivered batch changes nothing; events the host skipped are read from the log, so none is lost', async () => {
    const p = records[0]!.partition;
    const before = await listNames('');
    await deliver(records.slice(0, 6)); // the host redelivers after a failure or a rebalance
    expect(await listNames('')).toEqual(before);
    await deliver(records.slice(8)); // the host moved past 6 and 7 (retries spent): they come from the log
    const checkpoint = await ctx.stream!.deps.events.getCheckpoint(GROUP, p);
    expect(checkpoint?.sequenceNumber).toBe(records[8]!.sequenceNumber);
    // One state left, the last commit's (its name ends in the epoch of the invocation that made it).
    const [state, ...others] = await listNames(`_state/${GROUP}/`);
    expect(others).toEqual([]);
    expect(state?.startsWith(stateBlob(GROUP, p, records[8]!.sequenceNumber, 0).replace(/-e0\.json$/, '-e'))).toBe(
      true,
    );
    expect(logs.some((l) => l.text.includes('readings aggregated') && l.text.includes('"fromLog":2'))).toBe(true);
    const windows = (
      await Promise.all((await listNames('date=')).map((n) => readBlobText(ctx.blobs, CONTAINERS.windows, n)))
    )
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { start: string; count: number; mean: number });
    expect(windows.map((w) => [w.count, w.mean])).toEqual([
      [2, 2],
      [2, 15],
      [1, 5],
      [1, 6],
      [1, 7],
    ]); // 6 and 7 are the two read from the log
  });

  it('scoreTimer starts one stream run per tick over the committed batches, and the control queue plans it (the stream job kind is wired)', async () => {
    await scoreTimer(timer, invocation('scoreTimer'));
    await scoreTimer({ ...timer, isPastDue: true }, invocation('scoreTimer'));
    const jobs = await ctx.ledger.listJobs({ kind: 'stream' });
    expect(jobs).toHaveLength(1);
    const tick = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    expect(jobs[0]!.jobId).toBe(streamRunId(tick));
    const [plan] = await ctx.control.receive({ maxMessages: 1, maxWaitMs: 2_000 });
    expect(plan?.body).toEqual({ kind: 'plan', jobId: jobs[0]!.jobId });
    await ctx.dispatch(plan!.body);
    await ctx.control.complete(plan!);
    expect((await ctx.ledger.getJob(jobs[0]!.jobId))?.state).not.toBe('planning');
  });

  it('ncrontabSchedule writes TESSERA_SCORE_CRON as six NCRONTAB fields, whatever form it was given in, and names the setting when it is bad', () => {
    expect(ncrontabSchedule('0 * * * *')).toBe('0 0 * * * *');
    expect(ncrontabSchedule(' */15  2 * * 1-5 ')).toBe('0 0,15,30,45 2 * * 1-5');
    expect(ncrontabSchedule('0 30 9 * * MON-FRI')).toBe('0 30 9 * * 1-5'); // six fields, as Functions users write them
    expect(ncrontabSchedule('@daily')).toBe('0 0 0 * * *');
    expect(ncrontabSchedule('0 0 1 JAN,jul SUN')).toBe('0 0 0 1 1,7 0');
    expect(ncrontabSchedule('0 0 * * 7')).toBe('0 0 0 * * 0'); // NCRONTAB has no weekday 7
    expect(ncrontabSchedule('5/20 * * * *')).toBe('0 5,25,45 * * * *');
    expect(() => ncrontabSchedule('0 0 * * * * *')).toThrow(/TESSERA_SCORE_CRON/);
    expect(() => ncrontabSchedule('0 0 L * *')).toThrow(/TESSERA_SCORE_CRON.*L, W and #/);
  });
});
