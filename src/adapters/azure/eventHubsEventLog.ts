/**
 * EventLog on an Azure Event Hub (@azure/event-hubs), checkpoints in Blob Storage
 * (@azure/eventhubs-checkpointstore-blob's layout, eventHubsCheckpoints.ts).
 *
 * - `partitions` is the hub's partition count, read once when the log opens (the factories are
 *   async); partition ids must be "0".."n-1", as Event Hubs numbers them.
 * - `append(key)` sends one batch with that partition key: the service hashes the key
 *   (eventHubsPartitionKey.ts is the same hash, so the adapter knows the partition). Without a key
 *   the adapter picks the partition round-robin and sends to it by id (the service's own keyless
 *   placement is unspecified, and the adapter must know where the events went). Event Hubs does not
 *   return sequence numbers on send, so `append` reads the partition back from its last sequence
 *   number before the send and picks out its own events by message id (`<appendId>:<index>`);
 *   events other producers sent meanwhile are skipped. An append larger than one batch (1 MB on
 *   Standard) goes as several batches, in order, to the same partition; others may interleave.
 * - `read` subscribes to one partition from the sequence number with the consumer group the log was
 *   opened with, returns the first batch and closes the link (eventHubsReader.ts). A read with no
 *   `waitMs` first asks the partition's last sequence number and returns [] past the end.
 * - `lastSequenceNumber` is getPartitionProperties' lastEnqueuedSequenceNumber (-1 when isEmpty).
 * - Ownership (`claimPartition`, a lease on `setCheckpoint`) lives with the checkpoints, on the
 *   store's ownership blobs (eventHubsCheckpoints.ts); reads set no owner level, so a fenced consumer
 *   can still read but never commit.
 * - Retention is the service's: events older than the hub's retention are gone, and a read from a
 *   removed sequence number starts at the oldest retained event.
 * - SDK errors are mapped by code (eventHubsErrors.ts).
 */
import { randomUUID } from 'node:crypto';
import type { TokenCredential } from '@azure/core-auth';
import { EventHubConsumerClient, EventHubProducerClient, type EventHubClientOptions } from '@azure/event-hubs';
import type { ContainerClient } from '@azure/storage-blob';
import { InputError, TransientError } from '../../core/errors.js';
import type { Checkpoint, EventLog, EventRecord, OutgoingEvent, PartitionLease } from '../../ports/eventLog.js';
import { eventHubsCheckpoints, type EventHubsCheckpoints } from './eventHubsCheckpoints.js';
import { callEventHubs as call } from './eventHubsErrors.js';
import { eventHubsPartitionForKey } from './eventHubsPartitionKey.js';
import { readOnce } from './eventHubsReader.js';
import { toEventData, toRecord } from './eventHubsRecords.js';

export interface EventHubsEventLogOptions {
  readonly clientOptions?: EventHubClientOptions;
  /** How long `append` looks for its own events after the send, and a read with no wait for events known to exist. */
  readonly readBackMs?: number;
}

const DEFAULT_CONSUMER_GROUP = '$Default';
const READ_BACK_PAGE = 1000;

/** Production: the namespace host (`<name>.servicebus.windows.net`) and a TokenCredential (managed identity). */
export function eventHubsEventLogFromNamespace(
  fullyQualifiedNamespace: string,
  eventHubName: string,
  consumerGroup: string | undefined,
  credential: TokenCredential,
  checkpointContainer: ContainerClient,
  options: EventHubsEventLogOptions = {},
): Promise<EventLog> {
  const group = consumerGroup ?? DEFAULT_CONSUMER_GROUP;
  const producer = new EventHubProducerClient(fullyQualifiedNamespace, eventHubName, credential, options.clientOptions);
  const consumer = new EventHubConsumerClient(
    group,
    fullyQualifiedNamespace,
    eventHubName,
    credential,
    options.clientOptions,
  );
  return openEventHubsEventLog(producer, consumer, checkpointContainer, options);
}

/** Emulators and the test broker only: a connection string with `UseDevelopmentEmulator=true` (shared keys are off in production). */
export function eventHubsEventLogFromConnectionString(
  connectionString: string,
  eventHubName: string,
  consumerGroup: string | undefined,
  checkpointContainer: ContainerClient,
  options: EventHubsEventLogOptions = {},
): Promise<EventLog> {
  if (!/(^|;)\s*UseDevelopmentEmulator=true\s*(;|$)/i.test(connectionString)) {
    throw new InputError(
      'Event Hubs connection string',
      'is for local emulators only (UseDevelopmentEmulator=true); use eventHubsEventLogFromNamespace with a TokenCredential for Azure',
    );
  }
  const group = consumerGroup ?? DEFAULT_CONSUMER_GROUP;
  const producer = new EventHubProducerClient(connectionString, eventHubName, options.clientOptions);
  const consumer = new EventHubConsumerClient(group, connectionString, eventHubName, options.clientOptions);
  return openEventHubsEventLog(producer, consumer, checkpointContainer, options);
}

async function openEventHubsEventLog(
  producer: EventHubProducerClient,
  consumer: EventHubConsumerClient,
  container: ContainerClient,
  options: EventHubsEventLogOptions,
): Promise<EventLog> {
  const hub = producer.eventHubName;
  let ids: string[];
  try {
    ids = await call(`event hub ${hub}`, () => producer.getPartitionIds());
  } catch (error) {
    await Promise.allSettled([producer.close(), consumer.close()]);
    throw error;
  }
  if (ids.length === 0 || ids.some((id, n) => id !== String(n))) {
    await Promise.allSettled([producer.close(), consumer.close()]);
    throw new InputError(`event hub ${hub}`, `partition ids must be 0..n-1, got ${ids.join(',')}`);
  }
  const checkpoints = eventHubsCheckpoints(container, producer.fullyQualifiedNamespace, hub);
  return new EventHubsEventLog(producer, consumer, checkpoints, ids.length, options.readBackMs ?? 10_000);
}

class EventHubsEventLog implements EventLog {
  readonly name: string;
  /** Keyless appends cycle over the partitions from a random one, so producers do not all start at 0. */
  private roundRobin: number;

  constructor(
    private readonly producer: EventHubProducerClient,
    private readonly consumer: EventHubConsumerClient,
    private readonly checkpoints: EventHubsCheckpoints,
    readonly partitions: number,
    private readonly readBackMs: number,
  ) {
    this.name = producer.eventHubName;
    this.roundRobin = Math.floor(Math.random() * partitions);
  }

  async append(partitionKey: string | undefined, events: readonly OutgoingEvent[]): Promise<EventRecord[]> {
    if (partitionKey === '') throw new InputError('partition key', 'must not be empty (undefined sends round-robin)');
    const appendId = randomUUID();
    const data = events.map((e, i) => toEventData(e, `${appendId}:${i}`));
    if (data.length === 0) return [];
    const partition =
      partitionKey === undefined
        ? this.roundRobin++ % this.partitions
        : eventHubsPartitionForKey(partitionKey, this.partitions);
    const before = await this.lastSequenceNumber(partition);
    const what = `event hub ${this.name} partition ${partition}`;
    const target = partitionKey === undefined ? { partitionId: String(partition) } : { partitionKey };
    let batch = await call(what, () => this.producer.createBatch(target));
    for (const [i, event] of data.entries()) {
      if (batch.tryAdd(event)) continue;
      if (batch.count === 0)
        throw new InputError(
          `event ${i}`,
          `is larger than the hub's maximum event size (${batch.maxSizeInBytes} bytes)`,
        );
      const full = batch;
      await call(what, () => this.producer.sendBatch(full));
      batch = await call(what, () => this.producer.createBatch(target));
      if (!batch.tryAdd(event))
        throw new InputError(
          `event ${i}`,
          `is larger than the hub's maximum event size (${batch.maxSizeInBytes} bytes)`,
        );
    }
    const last = batch;
    await call(what, () => this.producer.sendBatch(last));
    return this.readBack(partition, before + 1, appendId, data.length);
  }

  /** Finds the `count` events of append `appendId`, from sequence number `from` on. */
  private async readBack(partition: number, from: number, appendId: string, count: number): Promise<EventRecord[]> {
    const found: EventRecord[] = [];
    const deadline = Date.now() + this.readBackMs;
    let next = from;
    while (found.length < count) {
      const waitMs = deadline - Date.now();
      if (waitMs <= 0) {
        throw new TransientError(
          `event hub ${this.name}: ${count - found.length} of ${count} sent events not found in partition ${partition} from sequence number ${from} within ${this.readBackMs} ms`,
        );
      }
      const page = await readOnce(this.consumer, `event hub ${this.name} partition ${partition}`, {
        partition,
        from: next,
        max: READ_BACK_PAGE,
        waitMs,
      });
      for (const e of page) {
        if (typeof e.messageId === 'string' && e.messageId.startsWith(`${appendId}:`))
          found.push(toRecord(partition, e));
        next = e.sequenceNumber + 1;
      }
    }
    return found;
  }

  async read(
    partition: number,
    fromSequenceNumber: number,
    max: number,
    options: { readonly waitMs?: number; readonly signal?: AbortSignal } = {},
  ): Promise<EventRecord[]> {
    this.checkPartition(partition);
    if (!Number.isSafeInteger(fromSequenceNumber) || fromSequenceNumber < 0)
      throw new InputError('fromSequenceNumber', `must be an integer >= 0, got ${fromSequenceNumber}`);
    if (!Number.isSafeInteger(max) || max < 1) throw new InputError('max', `must be an integer >= 1, got ${max}`);
    const waitMs = Math.max(0, options.waitMs ?? 0);
    const deadline = Date.now() + waitMs;
    const what = `event hub ${this.name} partition ${partition}`;
    // The service refuses a position past the partition's end: wait (polling) until the partition reaches it.
    let last: number;
    for (;;) {
      if (options.signal?.aborted) return [];
      last = await this.lastSequenceNumber(partition);
      if (fromSequenceNumber <= last || (fromSequenceNumber === last + 1 && waitMs > 0)) break;
      if (Date.now() >= deadline) return [];
      await pause(Math.min(100, deadline - Date.now()), options.signal);
    }
    // Events known to exist get the read-back time to arrive even when the caller asked for no wait.
    const remaining = Math.max(deadline - Date.now(), fromSequenceNumber <= last ? this.readBackMs : 0);
    const events = await readOnce(this.consumer, what, {
      partition,
      from: fromSequenceNumber,
      max,
      waitMs: remaining,
      signal: options.signal,
    });
    return events.filter((e) => e.sequenceNumber >= fromSequenceNumber).map((e) => toRecord(partition, e));
  }

  async lastSequenceNumber(partition: number): Promise<number> {
    this.checkPartition(partition);
    const p = await call(`event hub ${this.name} partition ${partition}`, () =>
      this.producer.getPartitionProperties(String(partition)),
    );
    return p.isEmpty ? -1 : p.lastEnqueuedSequenceNumber;
  }

  async getCheckpoint(consumerGroup: string, partition: number): Promise<Checkpoint | undefined> {
    this.checkGroup(consumerGroup);
    this.checkPartition(partition);
    return this.checkpoints.get(consumerGroup, partition);
  }

  async setCheckpoint(checkpoint: Checkpoint, lease?: PartitionLease): Promise<void> {
    this.checkGroup(checkpoint.consumerGroup);
    this.checkPartition(checkpoint.partition);
    if (!Number.isSafeInteger(checkpoint.sequenceNumber) || checkpoint.sequenceNumber < 0) {
      throw new InputError('checkpoint sequenceNumber', `must be an integer >= 0, got ${checkpoint.sequenceNumber}`);
    }
    if (
      lease !== undefined &&
      (lease.consumerGroup.toLowerCase() !== checkpoint.consumerGroup.toLowerCase() ||
        lease.partition !== checkpoint.partition)
    )
      throw new InputError(
        'lease',
        `is for ${lease.consumerGroup}/${lease.partition}, not ${checkpoint.consumerGroup}/${checkpoint.partition}`,
      );
    await this.checkpoints.advance(checkpoint, lease);
  }

  async claimPartition(consumerGroup: string, partition: number, ownerId: string): Promise<PartitionLease> {
    this.checkGroup(consumerGroup);
    this.checkPartition(partition);
    if (typeof ownerId !== 'string' || ownerId === '') throw new InputError('ownerId', 'must be a non-empty string');
    return this.checkpoints.claim(consumerGroup, partition, ownerId);
  }

  async close(): Promise<void> {
    await Promise.all([this.producer.close(), this.consumer.close()]);
  }

  private checkPartition(partition: number): void {
    if (!Number.isInteger(partition) || partition < 0 || partition >= this.partitions) {
      throw new InputError('partition', `must be an integer in 0..${this.partitions - 1}, got ${partition}`);
    }
  }

  private checkGroup(consumerGroup: string): void {
    if (typeof consumerGroup !== 'string' || consumerGroup === '')
      throw new InputError('consumerGroup', 'must be a non-empty string');
  }
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, Math.max(0, ms));
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
