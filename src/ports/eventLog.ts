/** An event as appended by a producer. */
export interface OutgoingEvent {
  /** The raw payload (JSON text for readings); stored and returned byte for byte. */
  readonly body: string;
  readonly properties?: Readonly<Record<string, string | number | boolean>>;
}

/** An event as read back from a partition. */
export interface EventRecord {
  readonly partition: number;
  /** Monotonic per partition, starting at 0, without gaps. */
  readonly sequenceNumber: number;
  /** Opaque position in the partition (Event Hubs' offset); increases with the sequence number. */
  readonly offset: string;
  readonly enqueuedTime: Date;
  /** The partition key the producer gave (the device id for readings). */
  readonly partitionKey: string | undefined;
  readonly body: string;
  readonly properties: Readonly<Record<string, string | number | boolean>>;
}

/** A consumer group's position in one partition: everything up to and including `sequenceNumber` is processed. */
export interface Checkpoint {
  readonly consumerGroup: string;
  readonly partition: number;
  readonly sequenceNumber: number;
  readonly offset: string;
}

/**
 * One consumer's exclusive claim on a partition for a consumer group: the epoch of Event Hubs'
 * owner-level receivers, kept with the checkpoints so that it also fences commits.
 */
export interface PartitionLease {
  readonly consumerGroup: string;
  readonly partition: number;
  /** Who claimed it (host and process): for the logs of whoever it fences. */
  readonly ownerId: string;
  /** Greater than the epoch of every earlier claim of this consumer group and partition. */
  readonly epoch: number;
}

/**
 * Event log port, with Azure Event Hubs semantics.
 *
 * Contract:
 * - A log has a fixed number of partitions, numbered 0..partitions-1.
 * - `append(partitionKey, events)` puts all the events in one partition, chosen by a stable hash of
 *   the key (the same key always lands in the same partition), in order, and returns their
 *   records. Without a key (`undefined`) events go round-robin.
 * - `read(partition, fromSequenceNumber, max)` returns up to `max` events with
 *   sequenceNumber >= fromSequenceNumber, in order; an empty array when there are none (yet).
 *   `waitMs` lets it wait that long for the first event to arrive.
 * - Events are never removed or changed by reading: any consumer group can read any range again.
 * - `lastSequenceNumber(partition)` is the newest sequence number, or -1 for an empty partition.
 * - Checkpoints are per consumer group and partition. `getCheckpoint` returns undefined when
 *   none was written. `setCheckpoint` only moves forward: a checkpoint at or behind the stored
 *   one is ignored (two consumers racing cannot move it back).
 * - Ownership: `claimPartition(group, partition, ownerId)` takes the partition over for that consumer
 *   group, from any instance or process, and returns a lease whose epoch is greater than every earlier
 *   claim's. `setCheckpoint(checkpoint, lease)` with a lease commits only while that lease is the
 *   newest: once a newer claim has returned, it throws OwnershipLostError and changes nothing, and the
 *   check is atomic with the write (no interleaving lets a fenced owner move the checkpoint). So a
 *   consumer that claims, then reads the checkpoint, sees every commit any older owner will ever
 *   make. `setCheckpoint` without a lease is not fenced. Reading is never fenced.
 * - State is durable for durable adapters: a new instance over the same location sees every event
 *   and checkpoint; several processes may append and read concurrently.
 */
export interface EventLog {
  readonly name: string;
  readonly partitions: number;
  append(partitionKey: string | undefined, events: readonly OutgoingEvent[]): Promise<EventRecord[]>;
  read(
    partition: number,
    fromSequenceNumber: number,
    max: number,
    options?: { readonly waitMs?: number; readonly signal?: AbortSignal },
  ): Promise<EventRecord[]>;
  lastSequenceNumber(partition: number): Promise<number>;
  getCheckpoint(consumerGroup: string, partition: number): Promise<Checkpoint | undefined>;
  setCheckpoint(checkpoint: Checkpoint, lease?: PartitionLease): Promise<void>;
  claimPartition(consumerGroup: string, partition: number, ownerId: string): Promise<PartitionLease>;
  close(): Promise<void>;
}

/** Every EventLog call passed to `inner`: a decorator spreads it and replaces only what it changes. */
export function forwardingEventLog(inner: EventLog): EventLog {
  return {
    name: inner.name,
    partitions: inner.partitions,
    append: (key, events) => inner.append(key, events),
    read: (partition, from, max, options) => inner.read(partition, from, max, options),
    lastSequenceNumber: (partition) => inner.lastSequenceNumber(partition),
    getCheckpoint: (group, partition) => inner.getCheckpoint(group, partition),
    setCheckpoint: (checkpoint, lease) => inner.setCheckpoint(checkpoint, lease),
    claimPartition: (group, partition, ownerId) => inner.claimPartition(group, partition, ownerId),
    close: () => inner.close(),
  };
}
