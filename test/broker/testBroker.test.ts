// The broker's paths the adapter does not take, through the SDK directly: management settlement
// (a message whose receiver link is gone), schedule/cancel via $management, and receiveAndDelete.
import { ServiceBusClient } from '@azure/service-bus';
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
