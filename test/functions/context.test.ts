import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { processContext, useContext } from '../../functions/src/context.js';
import { startEventHubsBroker, type EventHubsBroker } from '../broker/eventHubsBroker.js';

// The Functions app's own wiring (functions/src/context.ts) from app settings, as in production but
// with emulator connection strings: Azurite, and the Event Hubs test broker. Service Bus is never
// reached here (its client connects on first use), so a well-formed emulator string is enough.
const HUB = 'readings';
const GROUP = 'aggregator';
let eh: EventHubsBroker;
let home: string;
let checkpointContainer: string;

beforeAll(async () => {
  eh = await startEventHubsBroker();
  eh.createEventHub(HUB, { partitions: 2, consumerGroups: ['$Default', GROUP] });
  home = mkdtempSync(join(tmpdir(), 'tessera-functions-context-'));
  checkpointContainer = `checkpoints-${randomBytes(4).toString('hex')}`;
  // Infra creates the container in Azure; here the test does.
  await BlobServiceClient.fromConnectionString(inject('azuriteConnectionString'))
    .getContainerClient(checkpointContainer)
    .create();
});
afterEach(() => {
  useContext(undefined);
  vi.unstubAllEnvs();
});
afterAll(async () => {
  await eh?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

function stubEmulatorEnv(extra: Record<string, string>): void {
  const env: Record<string, string> = {
    TESSERA_STORAGE_CONNECTION_STRING: inject('azuriteConnectionString'),
    TESSERA_SERVICEBUS_CONNECTION_STRING:
      'Endpoint=sb://127.0.0.1:1/;SharedAccessKeyName=k;SharedAccessKey=a2V5;UseDevelopmentEmulator=true',
    TESSERA_HOME: home,
    TESSERA_LOG_LEVEL: 'error',
    ...extra,
  };
  for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
}

describe('functions/src/context.ts', () => {
  it('opens the Event Hubs event log when the stream is configured and passes it to the context: the stream deps exist', async () => {
    stubEmulatorEnv({
      TESSERA_EVENTHUBS_CONNECTION_STRING: eh.connectionString,
      TESSERA_EVENTHUB_NAME: HUB,
      TESSERA_EVENTHUB_CONSUMER_GROUP: GROUP,
      TESSERA_EVENTHUBS_CHECKPOINT_CONTAINER: checkpointContainer,
    });
    const ctx = await processContext();
    try {
      expect(ctx.settings.eventHubs).toMatchObject({ eventHub: HUB, consumerGroup: GROUP, checkpointContainer });
      expect(ctx.events).toMatchObject({ name: HUB, partitions: 2 });
      expect(ctx.stream?.deps.events).toBe(ctx.events);
      expect(ctx.stream?.aggregate.events).toBe(ctx.events);
      // The log works end to end: an append is read back, and a checkpoint goes to the checkpoint container.
      const [record] = await ctx.events!.append('device-1', [{ body: '{"v":1}' }]);
      expect(record).toBeDefined();
      const read = await ctx.events!.read(record!.partition, record!.sequenceNumber, 10);
      expect(read.map((r) => r.body)).toEqual(['{"v":1}']);
      await ctx.events!.setCheckpoint({
        consumerGroup: GROUP,
        partition: record!.partition,
        sequenceNumber: record!.sequenceNumber,
        offset: record!.offset,
      });
      expect(await ctx.events!.getCheckpoint(GROUP, record!.partition)).toMatchObject({
        sequenceNumber: record!.sequenceNumber,
      });
      const blobs = BlobServiceClient.fromConnectionString(inject('azuriteConnectionString'))
        .getContainerClient(checkpointContainer)
        .listBlobsFlat();
      const names: string[] = [];
      for await (const b of blobs) names.push(b.name);
      expect(names.length).toBeGreaterThan(0);
      // The same context for the next invocation.
      expect(await processContext()).toBe(ctx);
    } finally {
      await ctx.close();
    }
  });

  it('leaves the stream off without Event Hubs settings', async () => {
    stubEmulatorEnv({});
    const ctx = await processContext();
    try {
      expect(ctx.settings.eventHubs).toBeUndefined();
      expect(ctx.events).toBeUndefined();
      expect(ctx.stream).toBeUndefined();
    } finally {
      await ctx.close();
    }
  });

  it('refuses a partial Event Hubs set naming the missing key, and does not cache the failure', async () => {
    stubEmulatorEnv({ TESSERA_EVENTHUB_NAME: HUB });
    const failed = await processContext().catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(InputError);
    expect((failed as InputError).input).toBe('TESSERA_EVENTHUBS__fullyQualifiedNamespace');
    vi.stubEnv('TESSERA_EVENTHUB_NAME', '');
    const ctx = await processContext();
    expect(ctx.stream).toBeUndefined();
    await ctx.close();
  });
});
