import { randomBytes } from 'node:crypto';
import type { TokenCredential } from '@azure/core-auth';
import { ServiceBusAdministrationClient, ServiceBusError, type ServiceBusClientOptions } from '@azure/service-bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapServiceBusError } from '../../../src/adapters/azure/serviceBusErrors.js';
import {
  serviceBusWorkQueueFromConnectionString,
  serviceBusWorkQueueFromNamespace,
  type ServiceBusWorkQueueSettings,
} from '../../../src/adapters/azure/serviceBusWorkQueue.js';
import { InputError, LockLostError, NotFoundError, PermanentError, TransientError } from '../../../src/core/errors.js';
import type { WorkQueue } from '../../../src/ports/workQueue.js';
import { startTestBroker, type TestBroker } from '../../broker/testBroker.js';
import {
  workQueueContract,
  type WorkQueueContractOptions,
  type WorkQueueHarness,
} from '../../contracts/workQueue.contract.js';

const LIVE_NAMESPACE = process.env['TESSERA_LIVE_SERVICEBUS'];
/** Fail fast instead of retrying for half a minute: the tests inject errors on purpose. */
const FAST: ServiceBusClientOptions = { retryOptions: { maxRetries: 0, timeoutInMs: 10_000 } };
const uniqueQueue = (): string => `q-${randomBytes(5).toString('hex')}`;

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => broker.stop());

/** Opens clients of one queue, each its own ServiceBusClient (a second process, as far as the broker can tell). */
function harness(open: () => WorkQueue, remove: () => Promise<void>): WorkQueueHarness {
  const opened = [open()];
  return {
    queue: opened[0]!,
    openAnother: () => {
      const queue = open();
      opened.push(queue);
      return Promise.resolve(queue);
    },
    cleanup: async () => {
      for (const queue of opened) await queue.close();
      await remove();
    },
  };
}

function onBroker(options: WorkQueueContractOptions, settings: Partial<ServiceBusWorkQueueSettings> = {}) {
  const name = uniqueQueue();
  broker.createQueue(name, options);
  const open = () =>
    serviceBusWorkQueueFromConnectionString(broker.connectionString, name, {
      ...options,
      clientOptions: FAST,
      ...settings,
    });
  return { name, open, h: harness(open, () => Promise.resolve(broker.deleteQueue(name))) };
}

const options: WorkQueueContractOptions = {
  lockDurationMs: 5_000,
  maxDeliveryCount: 3,
  duplicateDetectionWindowMs: 60_000,
};
const withQueue = async <T>(
  fn: (queue: WorkQueue, name: string) => Promise<T>,
  settings: Partial<ServiceBusWorkQueueSettings> = {},
) => {
  const { h, name } = onBroker(options, settings);
  try {
    return await fn(h.queue, name);
  } finally {
    await h.cleanup();
  }
};

/** Runs `call` until it goes through; only TransientError may come before (at most 5 times). */
const throughTransient = async <T>(call: () => Promise<T>): Promise<{ value: T; transient: number }> => {
  for (let transient = 0; ; transient++) {
    try {
      return { value: await call(), transient };
    } catch (error) {
      if (!(error instanceof TransientError) || transient >= 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
};

// An operation the SDK sent on the dead connection times out before it is retried on a new one: a
// short operation timeout keeps that well inside the 5 s lock.
const SHORT_TIMEOUT = { clientOptions: { retryOptions: { maxRetries: 0, timeoutInMs: 1_500 } } };

// Each test has its own queue: these run beside the contract's tests (the longest wait first). Faults
// injected on the whole broker would reach any test running beside them: those run last, one at a time.
describe('serviceBusWorkQueue (Service Bus specifics, on the test broker)', { concurrent: true }, () => {
  it('renewing keeps a long-running message locked past several lock durations', async () => {
    await withQueue(async (queue, name) => {
      await queue.send([{ messageId: 'long', body: 'shard' }]);
      const [m] = await queue.receive({ maxWaitMs: 2_000 });
      const other = serviceBusWorkQueueFromConnectionString(broker.connectionString, name, {
        ...options,
        clientOptions: FAST,
      });
      try {
        for (let n = 0; n < 4; n++) {
          await new Promise((resolve) => setTimeout(resolve, options.lockDurationMs / 2));
          const until = await queue.renewLock(m!);
          expect(until.getTime()).toBeGreaterThan(Date.now() + options.lockDurationMs / 2);
          expect(await other.receive({ maxWaitMs: 0 })).toEqual([]);
        }
        await queue.complete(m!);
        expect(await queue.countActive()).toBe(0);
      } finally {
        await other.close();
      }
    });
  });

  it('maps ServiceBusError codes onto the port errors', () => {
    const cases: [string, new (...args: never[]) => Error][] = [
      ['MessageLockLost', LockLostError],
      ['SessionLockLost', LockLostError],
      ['ServiceBusy', TransientError],
      ['ServiceTimeout', TransientError],
      ['GeneralError', TransientError],
      ['ServiceCommunicationProblem', TransientError],
      ['MessagingEntityNotFound', NotFoundError],
      ['UnauthorizedAccess', PermanentError],
      ['MessageSizeExceeded', PermanentError],
    ];
    for (const [code, type] of cases) {
      const error = new ServiceBusError(`sdk says ${code}`, code as ServiceBusError['code']);
      const mapped = mapServiceBusError('queue q', error, 'm1');
      expect(mapped, code).toBeInstanceOf(type);
      expect(mapped.cause).toBe(error);
    }
    expect(mapServiceBusError('queue q', new ServiceBusError('x', 'UnauthorizedAccess'))).toMatchObject({
      code: 'UnauthorizedAccess',
    });
    const plain = new TypeError('bad');
    expect(mapServiceBusError('queue q', plain)).toBe(plain);
  });

  it('a queue that does not exist is NotFoundError, for senders and receivers', async () => {
    const queue = serviceBusWorkQueueFromConnectionString(broker.connectionString, 'no-such-queue', {
      ...options,
      clientOptions: FAST,
    });
    try {
      await expect(queue.send([{ messageId: 'm', body: 1 }])).rejects.toBeInstanceOf(NotFoundError);
      await expect(queue.receive({ maxWaitMs: 100 })).rejects.toBeInstanceOf(NotFoundError);
    } finally {
      await queue.close();
    }
  });

  it('a wrong key is PermanentError UnauthorizedAccess (a consumer stops instead of spinning)', async () => {
    const name = uniqueQueue();
    broker.createQueue(name, options);
    const wrongKey = broker.connectionString.replace(
      /SharedAccessKey=[^;]+/,
      `SharedAccessKey=${randomBytes(32).toString('base64')}`,
    );
    const queue = serviceBusWorkQueueFromConnectionString(wrongKey, name, { ...options, clientOptions: FAST });
    try {
      const error = await queue.send([{ messageId: 'm', body: 1 }]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PermanentError);
      expect(error).toMatchObject({ code: 'UnauthorizedAccess' });
      expect(broker.queue(name)?.active.messages.size).toBe(0);
    } finally {
      await queue.close();
    }
  });

  it('links the service detaches (an entity update, a failover): receiving attaches again, a held lock still settles', async () => {
    await withQueue(async (queue, name) => {
      await queue.send(['one', 'two'].map((messageId) => ({ messageId, body: messageId })));
      const [one] = await queue.receive({ maxWaitMs: 2_000 });
      expect(one?.messageId).toBe('one');
      expect(broker.detachLinks(name)).toBeGreaterThan(0);
      await throughTransient(() => queue.renewLock(one!));
      await throughTransient(() => queue.complete(one!));
      const { value: next } = await throughTransient(() => queue.receive({ maxWaitMs: 2_000 }));
      expect(next.map((m) => m.messageId)).toEqual(['two']);
      await queue.complete(next[0]!);
      expect(broker.queue(name)?.active.messages.size).toBe(0);
    });
  });

  it('re-drives with a derived message id, reports the original id, and is idempotent under duplicate detection', async () => {
    await withQueue(async (queue, name) => {
      const sdkIds = () => [...broker.queue(name)!.active.messages.values()].map((m) => String(m.message.message_id));
      await queue.send([{ messageId: 'shard-7', body: { n: 7 }, applicationProperties: { jobId: 'j' } }]);
      for (const round of [1, 2]) {
        const [m] = await queue.receive({ maxWaitMs: 2_000 });
        expect(m?.messageId).toBe('shard-7');
        await queue.deadLetter(m!, { reason: 'BadModel', description: `round ${round}` });
        const [dead] = await queue.peekDeadLetters();
        expect(dead).toMatchObject({
          messageId: 'shard-7',
          applicationProperties: { jobId: 'j' },
          deadLetterReason: 'BadModel',
        });
        expect(Object.keys(dead!.applicationProperties)).toEqual(['jobId']);
        expect(await queue.redrive()).toBe(1);
        expect(sdkIds()).toEqual([`shard-7~r${round}`]);
      }
      // The producer's own id is still within the duplicate-detection window: a resend is dropped.
      await queue.send([{ messageId: 'shard-7', body: { n: 7 } }]);
      expect(await queue.countActive()).toBe(1);
      const [back] = await queue.receive({ maxWaitMs: 2_000 });
      expect(back).toMatchObject({
        messageId: 'shard-7',
        body: { n: 7 },
        applicationProperties: { jobId: 'j' },
        deliveryCount: 1,
      });
      await queue.complete(back!);
    });
  });

  it('re-drive leaves the dead letters it was not asked for in place and ignores unknown sequence numbers', async () => {
    await withQueue(async (queue) => {
      await queue.send(['a', 'b', 'c'].map((messageId) => ({ messageId, body: messageId })));
      for (const m of await queue.receive({ maxMessages: 3, maxWaitMs: 2_000 }))
        await queue.deadLetter(m, { reason: 'r', description: 'd' });
      const dead = await queue.peekDeadLetters();
      expect(await queue.redrive([dead[2]!.sequenceNumber, 999_999])).toBe(1);
      expect((await queue.peekDeadLetters()).map((m) => m.messageId)).toEqual(['a', 'b']);
      expect((await queue.receive({ maxWaitMs: 2_000 }))[0]?.messageId).toBe('c');
    });
  });

  it('sends an array larger than one batch, and counts past one peek page', async () => {
    await withQueue(async (queue) => {
      const body = 'x'.repeat(1_000);
      await queue.send(Array.from({ length: 600 }, (_, n) => ({ messageId: `big-${n}`, body })));
      expect(await queue.countActive()).toBe(600);
    });
  });

  it('rejects bad messages and options with InputError before calling the SDK', async () => {
    await withQueue(async (queue) => {
      await expect(queue.send([{ messageId: '', body: 1 }])).rejects.toBeInstanceOf(InputError);
      await expect(queue.send([{ messageId: 'x'.repeat(129), body: 1 }])).rejects.toBeInstanceOf(InputError);
      await expect(queue.send([{ messageId: 'u', body: undefined }])).rejects.toBeInstanceOf(InputError);
      await expect(
        queue.send([{ messageId: 'r', body: 1, applicationProperties: { 'tessera-original-message-id': 'x' } }]),
      ).rejects.toBeInstanceOf(InputError);
      await expect(queue.receive({ maxMessages: 0 })).rejects.toBeInstanceOf(InputError);
      expect(await queue.countActive()).toBe(0);
    });
    expect(() =>
      serviceBusWorkQueueFromConnectionString(broker.connectionString, 'q', { lockDurationMs: 0, maxDeliveryCount: 1 }),
    ).toThrow(InputError);
  });

  it('builds the production client from a namespace and a TokenCredential, without asking for a token up front', async () => {
    const requested: string[] = [];
    const credential: TokenCredential = {
      getToken: (scopes) => {
        requested.push(...[scopes].flat());
        return Promise.resolve({ token: 'fake', expiresOnTimestamp: Date.now() + 3_600_000 });
      },
    };
    const queue = serviceBusWorkQueueFromNamespace('tessera-test.servicebus.windows.net', credential, 'work', options);
    expect(queue).toMatchObject({ name: 'work', lockDurationMs: 5_000, maxDeliveryCount: 3 });
    await queue.close();
    expect(requested).toEqual([]);
  });
});

// Service Bus accepts lock durations from 5 s, and so does the test broker. Each test has its own
// queue, and most of one is spent waiting for a lock to expire: they run side by side.
workQueueContract(
  'serviceBusWorkQueue through @azure/service-bus on the test broker',
  (options) => Promise.resolve(onBroker(options).h),
  { lockDurationMs: 5_000 },
  { concurrent: true },
);

describe('serviceBusWorkQueue (faults on the whole test broker, one test at a time)', () => {
  it('ServiceBusy from the service is TransientError (send and renew-lock)', async () => {
    await withQueue(async (queue, name) => {
      broker.failNext('send', 'com.microsoft:server-busy');
      await expect(queue.send([{ messageId: 'busy', body: 1 }])).rejects.toBeInstanceOf(TransientError);
      await queue.send([{ messageId: 'busy', body: 1 }]); // the retry goes through
      const [m] = await queue.receive({ maxWaitMs: 2_000 });
      broker.failNext('com.microsoft:renew-lock', 'com.microsoft:server-busy');
      await expect(queue.renewLock(m!)).rejects.toBeInstanceOf(TransientError);
      expect((await queue.renewLock(m!)).getTime()).toBeGreaterThan(Date.now());
      await queue.complete(m!);
      expect(broker.queue(name)?.active.messages.size).toBe(0);
    });
  });

  it('a dropped connection: calls fail at most transiently, then go through, and a lock held across it still settles', async () => {
    await withQueue(async (queue, name) => {
      await queue.send([{ messageId: 'before', body: 1 }]);
      const [held] = await queue.receive({ maxWaitMs: 2_000 });
      broker.dropConnections();
      await throughTransient(() => queue.complete(held!)); // the lock lives on the service, not the connection
      expect(broker.queue(name)?.active.messages.size).toBe(0);
      await throughTransient(() => queue.send([{ messageId: 'after', body: 2 }]));
      const { value: got } = await throughTransient(() => queue.receive({ maxWaitMs: 2_000 }));
      expect(got.map((m) => [m.messageId, m.deliveryCount])).toEqual([['after', 1]]);
      await queue.complete(got[0]!);
      expect(await queue.countActive()).toBe(0);
    }, SHORT_TIMEOUT);
  });
});

if (LIVE_NAMESPACE === undefined || LIVE_NAMESPACE === '') {
  console.info(
    'serviceBusWorkQueue live contract skipped: set TESSERA_LIVE_SERVICEBUS=<namespace>.servicebus.windows.net (with an Azure credential) to run it against real Azure.',
  );
  describe.skip('WorkQueue contract: serviceBusWorkQueue on Azure (TESSERA_LIVE_SERVICEBUS is not set)', () => {
    it('runs only with TESSERA_LIVE_SERVICEBUS', () => {});
  });
} else {
  const namespace = LIVE_NAMESPACE;
  // Service Bus accepts lock durations from 5 s.
  workQueueContract(
    `serviceBusWorkQueue on Azure (${namespace})`,
    async (options) => {
      const credential = await liveCredential();
      const admin = new ServiceBusAdministrationClient(namespace, credential);
      const name = uniqueQueue();
      await admin.createQueue(name, {
        lockDuration: `PT${Math.ceil(options.lockDurationMs / 1000)}S`,
        maxDeliveryCount: options.maxDeliveryCount,
        requiresDuplicateDetection: true,
        duplicateDetectionHistoryTimeWindow: `PT${Math.ceil(options.duplicateDetectionWindowMs / 1000)}S`,
      });
      const open = () => serviceBusWorkQueueFromNamespace(namespace, credential, name, options);
      return harness(open, async () => void (await admin.deleteQueue(name)));
    },
    { lockDurationMs: 5_000 },
  );
}

/** DefaultAzureCredential, loaded only in live mode (it probes a managed-identity endpoint off loopback). */
async function liveCredential(): Promise<TokenCredential> {
  const specifier = '@azure/identity';
  try {
    const identity = (await import(specifier)) as { DefaultAzureCredential: new () => TokenCredential };
    return new identity.DefaultAzureCredential();
  } catch (error) {
    throw new Error('live mode needs @azure/identity installed (npm i -D @azure/identity)', { cause: error });
  }
}
