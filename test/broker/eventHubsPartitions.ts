/**
 * One Event Hub as the test broker models it: a fixed number of append-only partitions, each event
 * with its sequence number (from 0, no gaps), byte offset and enqueued time; consumer groups by
 * name; and the receiver filters the Event Hubs SDK sends (apache.org:selector-filter:string on
 * x-opt-sequence-number, x-opt-offset or x-opt-enqueued-time). Pure state over a clock;
 * eventHubsBroker.ts moves events on and off the wire. What is not modelled is in README.md.
 */
import rhea, { type Message } from 'rhea';

export interface StoredEvent {
  readonly seq: number;
  /** Byte position in the partition: the sum of the encoded sizes of the events before it. */
  readonly offset: number;
  readonly enqueuedAt: number;
  /** As the producer sent it; the broker's annotations are added on delivery. */
  readonly message: Message;
}

export interface HubSettings {
  readonly partitions: number;
  readonly consumerGroups: readonly string[];
}

export const DEFAULT_HUB_SETTINGS: HubSettings = { partitions: 4, consumerGroups: ['$Default'] };

const PARTITION_KEY = 'x-opt-partition-key';

export class EventHubPartition {
  readonly events: StoredEvent[] = [];
  private nextOffset = 0;
  constructor(readonly id: number) {}

  get last(): StoredEvent | undefined {
    return this.events[this.events.length - 1];
  }

  append(message: Message, now: number): StoredEvent {
    const stored: StoredEvent = { seq: this.events.length, offset: this.nextOffset, enqueuedAt: now, message };
    this.nextOffset += rhea.message.encode(message).length;
    this.events.push(stored);
    return stored;
  }

  /** The `$management` READ of `com.microsoft:partition`, as the SDK's getPartitionProperties reads it. */
  properties(hub: string): Record<string, unknown> {
    const last = this.last;
    return {
      name: hub,
      type: 'com.microsoft:partition',
      partition: String(this.id),
      begin_sequence_number: rhea.types.wrap_long(this.events[0]?.seq ?? -1),
      last_enqueued_sequence_number: rhea.types.wrap_long(last?.seq ?? -1),
      last_enqueued_offset: String(last?.offset ?? -1),
      last_enqueued_time_utc: new Date(last?.enqueuedAt ?? 0),
      is_partition_empty: last === undefined,
    };
  }

  /**
   * The index of the first event a receiver with `filter` gets, or an error the link is refused with.
   * `@latest` is the end of the partition at attach time.
   */
  startIndex(filter: string): number | { condition: string; description: string } {
    const m = /^amqp\.annotation\.(x-opt-sequence-number|x-opt-offset|x-opt-enqueued-time)\s*(>=|>)\s*'([^']*)'$/.exec(
      filter.trim(),
    );
    if (!m)
      return {
        condition: 'amqp:not-implemented',
        description: `the test broker does not model the filter "${filter}"`,
      };
    const [, field, op, raw = ''] = m;
    const inclusive = op === '>=';
    const lastSeq = this.last?.seq ?? -1;
    if (field === 'x-opt-offset') {
      if (raw === '@latest') return this.events.length;
      if (!/^-?\d+$/.test(raw)) return outOfRange(`The supplied offset '${raw}' is invalid.`);
      const offset = Number(raw);
      if (offset > (this.last?.offset ?? -1))
        return outOfRange(
          `The supplied offset '${raw}' is invalid. The last offset in the system is '${this.last?.offset ?? -1}'`,
        );
      return this.firstIndex((e) => (inclusive ? e.offset >= offset : e.offset > offset));
    }
    if (field === 'x-opt-sequence-number') {
      if (!/^-?\d+$/.test(raw)) return outOfRange(`The supplied sequence number '${raw}' is invalid.`);
      const seq = Number(raw);
      // As the service: naming a sequence number past the last one is refused (`>=` may name the next one).
      if (seq > lastSeq + (inclusive ? 1 : 0))
        return outOfRange(
          `The supplied sequence number '${raw}' is invalid. The last sequence number in the system is '${lastSeq}'`,
        );
      return this.firstIndex((e) => (inclusive ? e.seq >= seq : e.seq > seq));
    }
    const time = Number(raw);
    if (!Number.isFinite(time)) return outOfRange(`The supplied enqueued time '${raw}' is invalid.`);
    return this.firstIndex((e) => e.enqueuedAt > time);
  }

  private firstIndex(match: (e: StoredEvent) => boolean): number {
    const i = this.events.findIndex(match);
    return i < 0 ? this.events.length : i;
  }
}

const outOfRange = (description: string) => ({ condition: 'com.microsoft:argument-out-of-range', description });

export class BrokerEventHub {
  readonly partitions: EventHubPartition[];
  readonly createdAt = new Date();
  private roundRobin = 0;

  constructor(
    readonly name: string,
    readonly settings: HubSettings,
    /** Event Hubs' partition key hash (the one the SDK's buffered producer uses), injected by the broker. */
    private readonly partitionForKey: (key: string, partitions: number) => number,
  ) {
    this.partitions = Array.from({ length: settings.partitions }, (_, id) => new EventHubPartition(id));
  }

  /** The `$management` READ of `com.microsoft:eventhub`, as the SDK's getEventHubProperties reads it. */
  properties(): Record<string, unknown> {
    return {
      name: this.name,
      type: 'com.microsoft:eventhub',
      created_at: this.createdAt,
      partition_count: this.partitions.length,
      partition_ids: this.partitions.map((p) => String(p.id)),
    };
  }

  /**
   * Appends one send (a single message or the messages of a batch) to one partition, atomically:
   * the addressed partition, else the partition key's hash, else the next partition round-robin.
   */
  append(messages: readonly Message[], partitionId: number | undefined, now: number): StoredEvent[] {
    const key = messages[0]?.message_annotations?.[PARTITION_KEY] as unknown;
    let p = partitionId;
    if (p === undefined && typeof key === 'string') p = this.partitionForKey(key, this.partitions.length);
    if (p === undefined) p = this.roundRobin++ % this.partitions.length;
    const partition = this.partitions[p]!;
    return messages.map((m) => partition.append(m, now));
  }
}

/** The message as a receiver sees it: the producer's message plus the broker's annotations. */
export function eventOnTheWire(e: StoredEvent): Message {
  return {
    ...e.message,
    message_annotations: {
      ...(e.message.message_annotations ?? {}),
      'x-opt-sequence-number': rhea.types.wrap_long(e.seq),
      'x-opt-offset': String(e.offset),
      'x-opt-enqueued-time': rhea.types.wrap_timestamp(e.enqueuedAt),
    },
  };
}
