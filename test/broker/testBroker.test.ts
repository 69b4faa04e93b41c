// The broker's paths the adapter does not take, through the SDK directly: management settlement
// (a message whose receiver link is gone), schedule/cancel via $management, and receiveAndDelete.
import { ServiceBusClient } from '@azure/service-bus';
import rhea, { type EventContext } from 'rhea';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from './testBroker.js';

let broker: TestBroker;
let client: ServiceBusClient;
beforeAll(async () => {
  broker = await startTestBroker();
  client = new ServiceBusClient(broker.connectionString, { retryOptions: { maxRetries: 0 } });
});
afterAll(async () => {
  await client.close();
  await broker.stop();
});

it('settles through $management update-disposition once the receiving link is closed', async () => {
  broker.createQueue('mgmt', { lockDurationMs: 5_000 });
  await client.createSender('mgmt').sendMessages({ messageId: 'm', body: 'x' });
  const first = client.createReceiver('mgmt', { maxAutoLockRenewalDurationInMs: 0 });
  const [m] = await first.receiveMessages(1, { maxWaitTimeInMs: 2_000 });
  await first.close();
  const second = client.createReceiver('mgmt', { maxAutoLockRenewalDurationInMs: 0 });
  await second.deadLetterMessage(m!, { deadLetterReason: 'R', deadLetterErrorDescription: 'D' });
  expect(broker.queue('mgmt')?.active.messages.size).toBe(0);
  const [dead] = [...broker.queue('mgmt')!.dead.messages.values()];
  expect(dead?.message.application_properties).toMatchObject({
    DeadLetterReason: 'R',
    DeadLetterErrorDescription: 'D',
  });
  await second.close();
});

it('schedules and cancels through $management, and deletes on receiveAndDelete', async () => {
  broker.createQueue('sched');
  const sender = client.createSender('sched');
  const [later] = await sender.scheduleMessages({ messageId: 'later', body: 1 }, new Date(Date.now() + 60_000));
  const [soon] = await sender.scheduleMessages({ messageId: 'soon', body: 2 }, new Date(Date.now() + 300));
  await sender.cancelScheduledMessages([later!]);
  const receiver = client.createReceiver('sched', { receiveMode: 'receiveAndDelete' });
  const got = await receiver.receiveMessages(2, { maxWaitTimeInMs: 1_500 });
  expect(got.map((m) => [m.messageId, m.sequenceNumber?.toNumber()])).toEqual([['soon', soon!.toNumber()]]);
  expect(broker.queue('sched')?.active.messages.size).toBe(0);
  await receiver.close();
  await sender.close();
});

it('refuses queue settings Service Bus refuses: a lock under 5 s, a duplicate-detection window under 20 s', () => {
  expect(() => broker.createQueue('short-lock', { lockDurationMs: 400 })).toThrow(
    /queue short-lock: LockDuration must be between 5 seconds and 5 minutes, got 400 ms/,
  );
  expect(() => broker.createQueue('long-lock', { lockDurationMs: 301_000 })).toThrow(/LockDuration/);
  expect(() => broker.createQueue('short-window', { duplicateDetectionWindowMs: 1_000 })).toThrow(
    /DuplicateDetectionHistoryTimeWindow must be between 20 seconds and 7 days/,
  );
  expect(broker.queue('short-lock')).toBeUndefined();
  expect(broker.createQueue('defaults').settings).toEqual({ lockDurationMs: 60_000, maxDeliveryCount: 10 });
});

it('drops duplicates only on a queue created with duplicate detection', async () => {
  broker.createQueue('plain');
  broker.createQueue('dedup', { duplicateDetectionWindowMs: 60_000 });
  for (const name of ['plain', 'dedup']) {
    const sender = client.createSender(name);
    await sender.sendMessages({ messageId: 'same', body: 1 });
    await sender.sendMessages({ messageId: 'same', body: 2 });
    await sender.close();
  }
  expect(broker.queue('plain')?.active.messages.size).toBe(2);
  expect(broker.queue('dedup')?.active.messages.size).toBe(1);
});

it('rejects a message over 256 KiB on the wire, whatever the client checked', async () => {
  broker.createQueue('sized');
  const container = rhea.create_container({ id: 'raw-client' });
  const connection = container.connect({ host: broker.host, port: broker.port, reconnect: false });
  try {
    const send = (bytes: number) =>
      new Promise<{ settled: 'accepted' | 'rejected'; condition?: string }>((resolve) => {
        const sender = connection.open_sender('sized');
        sender.once('sendable', () => sender.send({ message_id: `m${bytes}`, body: Buffer.alloc(bytes, 1) }));
        sender.once('accepted', () => resolve({ settled: 'accepted' }));
        sender.once('rejected', (ctx: EventContext) =>
          resolve({ settled: 'rejected', condition: String(ctx.delivery?.remote_state?.error?.condition) }),
        );
      });
    expect(await send(200 * 1024)).toEqual({ settled: 'accepted' });
    expect(await send(300 * 1024)).toEqual({ settled: 'rejected', condition: 'amqp:link:message-size-exceeded' });
    expect(broker.queue('sized')?.active.messages.size).toBe(1);
  } finally {
    connection.close();
  }
  // The SDK refuses it before sending, from the size the broker advertises on attach.
  const error = await client
    .createSender('sized')
    .sendMessages({ messageId: 'big', body: Buffer.alloc(300 * 1024, 1) })
    .catch((e: unknown) => e);
  expect(error).toMatchObject({ code: 'MessageSizeExceeded' });
});
