// The Event Hubs broker's paths the adapter does not take, through the SDK directly: positions by
// offset, enqueued time, earliest and latest; a sequence number past the end refused as the service
// does; sends to a partition id; the management READs; a failed put-token.
import {
  EventHubConsumerClient,
  EventHubProducerClient,
  earliestEventPosition,
  latestEventPosition,
  type EventPosition,
  type ReceivedEventData,
} from '@azure/event-hubs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEventHubsBroker, type EventHubsBroker } from './eventHubsBroker.js';

const FAST = { retryOptions: { maxRetries: 0, timeoutInMs: 5_000 } };
let broker: EventHubsBroker;
let producer: EventHubProducerClient;
let consumer: EventHubConsumerClient;
beforeAll(async () => {
  broker = await startEventHubsBroker();
  broker.createEventHub('positions', { partitions: 2 });
  producer = new EventHubProducerClient(broker.connectionString, 'positions', FAST);
  consumer = new EventHubConsumerClient('$Default', broker.connectionString, 'positions', FAST);
});
afterAll(async () => {
  await producer?.close();
  await consumer?.close();
  await broker?.stop();
});

/** Subscribes to partition 1 from `position`, collects for `ms`, and returns what came (or the error). */
async function receive(
  position: EventPosition,
  ms = 400,
  during?: () => Promise<void>,
): Promise<ReceivedEventData[] | Error> {
  const got: ReceivedEventData[] = [];
  let failed: Error | undefined;
  const sub = consumer.subscribe(
    '1',
    {
      processEvents: (events) => Promise.resolve(void got.push(...events)),
      processError: (error) => Promise.resolve(void (failed ??= error)),
    },
    { startPosition: position, maxWaitTimeInSeconds: 0.1, skipParsingBodyAsJson: true },
  );
  await new Promise((r) => setTimeout(r, 150));
  await during?.();
  await new Promise((r) => setTimeout(r, ms));
  await sub.close();
  return failed ?? got;
}
const seqs = (r: ReceivedEventData[] | Error) => (r instanceof Error ? r.message : r.map((e) => e.sequenceNumber));

it('answers the $management READs and takes sends addressed to a partition id', async () => {
  expect(await producer.getEventHubProperties()).toMatchObject({ name: 'positions', partitionIds: ['0', '1'] });
  expect(await producer.getPartitionProperties('1')).toMatchObject({
    isEmpty: true,
    lastEnqueuedSequenceNumber: -1,
    beginningSequenceNumber: -1,
  });
  await producer.sendBatch([{ body: 'a' }, { body: 'b' }, { body: 'c' }], { partitionId: '1' });
  const props = await producer.getPartitionProperties('1');
  expect(props).toMatchObject({ isEmpty: false, beginningSequenceNumber: 0, lastEnqueuedSequenceNumber: 2 });
  expect(Number(props.lastEnqueuedOffset)).toBeGreaterThan(0);
  await expect(
    new EventHubProducerClient(broker.connectionString, 'missing', FAST).getEventHubProperties(),
  ).rejects.toThrow(/could not be found/);
});

it('starts receivers at the earliest, a sequence number, an offset, an enqueued time, or the latest event', async () => {
  const all = await receive(earliestEventPosition);
  expect(seqs(all)).toEqual([0, 1, 2]);
  const [, second] = all as ReceivedEventData[];
  expect(seqs(await receive({ sequenceNumber: 1, isInclusive: true }))).toEqual([1, 2]);
  expect(seqs(await receive({ sequenceNumber: 1 }))).toEqual([2]);
  expect(seqs(await receive({ offset: second!.offset, isInclusive: true }))).toEqual([1, 2]);
  expect(seqs(await receive({ offset: second!.offset }))).toEqual([2]);
  expect(seqs(await receive({ enqueuedOn: new Date(0) }))).toEqual([0, 1, 2]);
  expect(
    seqs(await receive(latestEventPosition, 400, () => producer.sendBatch([{ body: 'd' }], { partitionId: '1' }))),
  ).toEqual([3]);
});

it("refuses a sequence number past the partition's end, as the service does", async () => {
  const refused = await receive({ sequenceNumber: 10, isInclusive: true });
  expect(refused).toBeInstanceOf(Error);
  expect((refused as Error).message).toMatch(
    /The supplied sequence number '10' is invalid. The last sequence number in the system is '3'/,
  );
});

it('refuses a send and a put-token on request, and a SAS signed with another key', async () => {
  broker.failNext('send', 'com.microsoft:server-busy');
  await expect(producer.sendBatch([{ body: 'x' }], { partitionId: '0' })).rejects.toMatchObject({
    code: 'ServerBusyError',
  });
  const wrongKey = broker.connectionString.replace(/SharedAccessKey=[^;]+/, 'SharedAccessKey=d3Jvbmc=');
  const stranger = new EventHubProducerClient(wrongKey, 'positions', FAST);
  await expect(stranger.getPartitionIds()).rejects.toMatchObject({ code: 'UnauthorizedError' });
  await stranger.close();
});
