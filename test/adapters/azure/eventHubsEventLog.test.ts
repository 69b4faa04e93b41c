import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TokenCredential } from '@azure/core-auth';
import { EventHubProducerClient, type EventHubClientOptions } from '@azure/event-hubs';
import { BlobCheckpointStore } from '@azure/eventhubs-checkpointstore-blob';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import {
  eventHubsEventLogFromConnectionString,
  eventHubsEventLogFromNamespace,
} from '../../../src/adapters/azure/eventHubsEventLog.js';
import { eventHubsPartitionForKey } from '../../../src/adapters/azure/eventHubsPartitionKey.js';
import { InputError, NotFoundError, TransientError } from '../../../src/core/errors.js';
import type { EventLog } from '../../../src/ports/eventLog.js';
import { startEventHubsBroker, type EventHubsBroker } from '../../broker/eventHubsBroker.js';
import { eventLogContract, type EventLogHarness } from '../../contracts/eventLog.contract.js';

const LIVE_NAMESPACE = process.env['TESSERA_LIVE_EVENTHUBS'];
/** Fail fast: the tests inject faults on purpose, and the broker is on loopback. */
const FAST: EventHubClientOptions = { retryOptions: { maxRetries: 0, timeoutInMs: 10_000 } };
const hex = (): string => randomBytes(5).toString('hex');

let broker: EventHubsBroker;
let blobs: BlobServiceClient;
beforeAll(async () => {
  broker = await startEventHubsBroker();
  blobs = BlobServiceClient.fromConnectionString(inject('azuriteConnectionString'));
});
afterAll(async () => broker?.stop());

async function newContainer(): Promise<ContainerClient> {
  const container = blobs.getContainerClient(`eventhubs-${hex()}`);
  await container.create();
  return container;
}

/** Instances over one hub and checkpoint container, each its own AMQP connection (another process, as far as the broker can tell). */
function harness(open: () => Promise<EventLog>, first: EventLog, remove: () => Promise<void>): EventLogHarness {
  const opened = [first];
  return {
    log: first,
    reopen: async () => {
      const log = await open();
      opened.push(log);
      return log;
    },
    cleanup: async () => {
      for (const log of opened) await log.close();
      await remove();
    },
  };
}

async function onBroker(partitions = 4, consumerGroup?: string) {
  const hub = `hub-${hex()}`;
  broker.createEventHub(hub, { partitions, consumerGroups: ['$Default', ...(consumerGroup ? [consumerGroup] : [])] });
  const container = await newContainer();
  const open = () =>
    eventHubsEventLogFromConnectionString(broker.connectionString, hub, consumerGroup, container, {
      clientOptions: FAST,
    });
  const log = await open();
  return {
    hub,
    container,
    open,
    log,
    h: harness(open, log, async () => {
      broker.deleteEventHub(hub);
      await container.delete();
    }),
  };
}

// A hub per test, and a test mostly waits on round trips to the broker: they run side by side.
eventLogContract(
  'eventHubsEventLog through @azure/event-hubs on the test broker (checkpoints on Azurite)',
  async () => (await onBroker()).h,
  { concurrent: true },
);

/** A test's own hubs (`setup`) and whatever else it opens (`cleanups`), removed when it ends. */
const it = test.extend<{ cleanups: (() => Promise<void>)[]; setup: typeof onBroker }>({
  cleanups: async ({}, use) => {
    const cleanups: (() => Promise<void>)[] = [];
    try {
      await use(cleanups);
    } finally {
      for (const c of cleanups) await c();
    }
  },
  setup: async ({ cleanups }, use) =>
    use(async (partitions, consumerGroup) => {
      const b = await onBroker(partitions, consumerGroup);
      cleanups.push(b.h.cleanup);
      return b;
    }),
});

// Faults injected on the whole broker would reach any test running beside them: those run afterwards, one at a time.
describe('eventHubsEventLog (Event Hubs specifics, on the test broker)', { concurrent: true }, () => {
  it("maps partition keys as Event Hubs does: the same hash as the SDK's buffered producer, on many keys", async ({
    setup,
  }) => {
    const entry = createRequire(import.meta.url).resolve('@azure/event-hubs');
    const sdk = (await import(
      pathToFileURL(join(dirname(entry), '..', 'esm', 'impl', 'partitionKeyToIdMapper.js')).href
    )) as {
      mapPartitionKeyToId: (key: string, n: number) => number;
    };
    for (let n = 0; n < 3000; n++) {
      const key =
        n % 2 === 0
          ? randomBytes(n % 41)
              .toString('base64')
              .slice(0, n % 29)
          : `d\u00e9vice-\u{1D11E}-${n}`;
      for (const partitions of [1, 2, 3, 4, 7, 32])
        expect(eventHubsPartitionForKey(key, partitions), `${key} / ${partitions}`).toBe(
          sdk.mapPartitionKeyToId(key, partitions),
        );
    }
    const { log } = await setup(4);
    for (const key of ['1', '2', 'device-42'])
      expect((await log.append(key, [{ body: key }]))[0]!.partition).toBe(eventHubsPartitionForKey(key, 4));
  });

  it('reads what other producers sent straight through the SDK: JSON bodies as text, their partition key, nothing of theirs lost in an append', async ({
    setup,
  }) => {
    const { hub, log } = await setup(2);
    const device = new EventHubProducerClient(broker.connectionString, hub, FAST);
    try {
      const key = `dev-${hex()}`;
      const partition = eventHubsPartitionForKey(key, 2);
      await device.sendBatch([{ body: { deviceId: key, value: 1.5 } }, { body: 'plain' }], { partitionKey: key });
      const mine = await log.append(key, [{ body: 'adapter' }]);
      expect(mine.map((r) => [r.partition, r.sequenceNumber, r.body])).toEqual([[partition, 2, 'adapter']]);
      const all = await log.read(partition, 0, 10);
      expect(all.map((r) => [r.sequenceNumber, r.body, r.partitionKey])).toEqual([
        [0, '{"deviceId":"' + key + '","value":1.5}', key],
        [1, '"plain"', key],
        [2, 'adapter', key],
      ]);
    } finally {
      await device.close();
    }
  });

  it('splits an append larger than one batch into several, all in one partition and in order', async ({ setup }) => {
    const { log } = await setup(2);
    const big = Array.from({ length: 5 }, (_, n) => ({ body: `${n}`.padEnd(400_000, '.') }));
    const records = await log.append('big', big);
    expect(records.map((r) => r.body)).toEqual(big.map((e) => e.body));
    expect(new Set(records.map((r) => r.partition)).size).toBe(1);
    expect(records.map((r) => r.sequenceNumber)).toEqual([0, 1, 2, 3, 4]);
    await expect(log.append('big', [{ body: 'x'.repeat(1_100_000) }])).rejects.toBeInstanceOf(InputError);
  });

  it("writes checkpoints in the BlobCheckpointStore layout, so the SDK's store reads them, and reads the store's own", async ({
    setup,
  }) => {
    const { hub, container, log } = await setup(2);
    const store = new BlobCheckpointStore(container);
    await log.setCheckpoint({ consumerGroup: 'Aggregator', partition: 1, sequenceNumber: 7, offset: '700' });
    const ns = (await store.listCheckpoints(broker.host, hub, 'aggregator')).map((c) => [
      c.partitionId,
      c.sequenceNumber,
      c.offset,
    ]);
    expect(ns).toEqual([['1', 7, '700']]);
    await store.updateCheckpoint({
      fullyQualifiedNamespace: broker.host,
      eventHubName: hub,
      consumerGroup: 'aggregator',
      partitionId: '0',
      sequenceNumber: 3,
      offset: '30',
    });
    expect(await log.getCheckpoint('aggregator', 0)).toEqual({
      consumerGroup: 'aggregator',
      partition: 0,
      sequenceNumber: 3,
      offset: '30',
    });
    expect(await log.getCheckpoint('aggregator', 1)).toEqual({
      consumerGroup: 'aggregator',
      partition: 1,
      sequenceNumber: 7,
      offset: '700',
    });
  });

  it('reads with the consumer group it was opened with, and a group the hub does not have is not found', async ({
    setup,
    cleanups,
  }) => {
    const { hub, container, log } = await setup(2, 'aggregator');
    const [r] = await log.append('k', [{ body: 'x' }]);
    expect((await log.read(r!.partition, 0, 5)).map((e) => e.body)).toEqual(['x']);
    const stranger = await eventHubsEventLogFromConnectionString(broker.connectionString, hub, 'nobody', container, {
      clientOptions: FAST,
    });
    cleanups.push(() => stranger.close());
    await expect(stranger.read(r!.partition, 0, 5)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('rejects bad arguments with InputError, and connection strings that do not name an emulator', async ({
    setup,
  }) => {
    const { log, container } = await setup(2);
    await expect(log.read(2, 0, 1)).rejects.toBeInstanceOf(InputError);
    await expect(log.read(0, -1, 1)).rejects.toBeInstanceOf(InputError);
    await expect(log.read(0, 0, 0)).rejects.toBeInstanceOf(InputError);
    await expect(log.getCheckpoint('', 0)).rejects.toBeInstanceOf(InputError);
    await expect(
      log.setCheckpoint({ consumerGroup: 'g', partition: 0, sequenceNumber: 1.5, offset: '0' }),
    ).rejects.toBeInstanceOf(InputError);
    await expect(log.append('k', [{ body: 'x', properties: { bad: Number.NaN } }])).rejects.toBeInstanceOf(InputError);
    expect(await log.append('k', [])).toEqual([]);
    const cs = 'Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=a2V5';
    expect(() => eventHubsEventLogFromConnectionString(cs, 'hub', undefined, container)).toThrow(InputError);
  });

  it('builds the production clients from a namespace and a TokenCredential (no network here: the namespace is unresolvable)', async ({
    cleanups,
  }) => {
    const credential: TokenCredential = {
      getToken: () => Promise.resolve({ token: 'fake', expiresOnTimestamp: Date.now() + 3_600_000 }),
    };
    const container = await newContainer();
    cleanups.push(() => container.delete().then(() => undefined));
    // `.invalid` never resolves (RFC 6761): opening fails fast, before any token is used.
    await expect(
      eventHubsEventLogFromNamespace('tessera-test.invalid', 'hub', undefined, credential, container, {
        clientOptions: { retryOptions: { maxRetries: 0, timeoutInMs: 3_000 } },
      }),
    ).rejects.toThrow();
  });
});

describe('eventHubsEventLog (faults on the whole test broker, one test at a time)', () => {
  it('maps SDK errors: an unknown hub is NotFoundError, a busy service on send is TransientError', async ({
    setup,
    cleanups,
  }) => {
    const container = await newContainer();
    cleanups.push(() => container.delete().then(() => undefined));
    await expect(
      eventHubsEventLogFromConnectionString(broker.connectionString, 'no-such-hub', undefined, container, {
        clientOptions: FAST,
      }),
    ).rejects.toBeInstanceOf(NotFoundError);
    const { log } = await setup(2);
    broker.failNext('send', 'com.microsoft:server-busy');
    await expect(log.append('k', [{ body: 'x' }])).rejects.toBeInstanceOf(TransientError);
    expect((await log.append('k', [{ body: 'y' }])).map((r) => r.body)).toEqual(['y']);
  });
});

if (LIVE_NAMESPACE === undefined || LIVE_NAMESPACE === '') {
  console.info(
    'eventHubsEventLog live contract skipped: set TESSERA_LIVE_EVENTHUBS=<namespace>.servicebus.windows.net, TESSERA_LIVE_EVENTHUB_NAME (default tessera-test) ' +
      'and TESSERA_LIVE_CHECKPOINT_CONTAINER_URL (a blob container URL), with an Azure credential, to run it against real Azure.',
  );
  describe.skip('EventLog contract: eventHubsEventLog on Azure (TESSERA_LIVE_EVENTHUBS is not set)', () => {
    it('runs only with TESSERA_LIVE_EVENTHUBS', () => {});
  });
} else {
  const namespace = LIVE_NAMESPACE;
  // An Event Hub cannot be created over AMQP: the live suite shares one hub (the contract never assumes it empty).
  eventLogContract(`eventHubsEventLog on Azure (${namespace})`, async () => {
    const credential = await liveCredential();
    const { ContainerClient: Container } = await import('@azure/storage-blob');
    const url = process.env['TESSERA_LIVE_CHECKPOINT_CONTAINER_URL'];
    if (!url)
      throw new Error(
        'live mode needs TESSERA_LIVE_CHECKPOINT_CONTAINER_URL (a blob container the credential may write)',
      );
    const container = new Container(url, credential);
    const hub = process.env['TESSERA_LIVE_EVENTHUB_NAME'] ?? 'tessera-test';
    const open = () => eventHubsEventLogFromNamespace(namespace, hub, undefined, credential, container);
    return harness(open, await open(), () => Promise.resolve());
  });
}

/** DefaultAzureCredential, loaded only in live mode (it probes a managed-identity endpoint off loopback). */
async function liveCredential(): Promise<TokenCredential> {
  const specifier = '@azure/identity';
  const identity = (await import(specifier)) as { DefaultAzureCredential: new () => TokenCredential };
  return new identity.DefaultAzureCredential();
}
