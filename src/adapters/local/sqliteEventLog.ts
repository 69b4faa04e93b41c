import { delay } from '../../lib/delay.js';
import { InputError, OwnershipLostError, positiveInteger } from '../../core/errors.js';
import type { EventLog, EventRecord, OutgoingEvent, PartitionLease } from '../../ports/eventLog.js';
import { partitionForKey } from './partitionHash.js';
import { settle } from './settle.js';
import { immediate, openSqliteDb, type SqliteDb } from './sqliteDb.js';
import {
  EVENT_LOG_SCHEMA,
  toCheckpoint,
  toEventRecord,
  type CheckpointRow,
  type EventLogRow,
  type EventRow,
  type LeaseRow,
  type PartitionRow,
} from './sqliteEventRows.js';

export interface SqliteEventLogOptions {
  /** The SQLite file; several logs and several processes may share it. */
  readonly file: string;
  readonly name: string;
  /** Fixed when the log is created; opening it again with another count is an InputError. */
  readonly partitions: number;
}

/** A waiting read polls after 25 ms, then backs off, doubling, to at most 250 ms while the partition stays empty. */
const POLL_MS = 25;
const MAX_POLL_MS = 250;

/**
 * The embedded default event log: Event Hubs semantics over one SQLite file (WAL, busy timeout).
 * - Partition of a key: FNV-1a (32-bit) of its UTF-8 bytes modulo the partition count (see partitionHash.ts).
 *   A keyless append goes, whole, to the next partition of a round-robin cursor kept in the file, so
 *   processes sharing the file take turns too.
 * - An append is one IMMEDIATE transaction: it reads the partition's last sequence number and next
 *   offset, inserts the batch and moves both on, so concurrent processes never leave a gap or a duplicate.
 * - Offsets are byte positions: each event takes its body's UTF-8 length plus one framing byte, so they
 *   strictly increase with the sequence number; they are returned as decimal strings.
 * - `read` is one query on the (log, partition, seq) index; with `waitMs` it polls, every 25 ms at
 *   first and backing off to 250 ms while nothing comes (an idle aggregator of several partitions
 *   would otherwise take a few percent of a core from the workers beside it).
 * - A claim and a fenced checkpoint are each one IMMEDIATE transaction over `event_leases`: the
 *   epoch is compared and the checkpoint written under the same write lock.
 */
export function openSqliteEventLog(options: SqliteEventLogOptions): EventLog {
  const { file, name } = options;
  if (typeof name !== 'string' || name.length === 0) throw new InputError('event log name', 'must not be empty');
  const partitions = positiveInteger('partitions', options.partitions);
  const db = openSqliteDb(file, EVENT_LOG_SCHEMA);
  let logId: number;
  try {
    logId = registerLog(db, file, name, partitions);
  } catch (error) {
    db.close();
    throw error;
  }

  const cursor = db.prepare('SELECT next_partition FROM event_logs WHERE id = ?').pluck();
  const moveCursor = db.prepare('UPDATE event_logs SET next_partition = ? WHERE id = ?');
  const partitionState = db.prepare(
    'SELECT last_seq, next_offset FROM event_partitions WHERE log_id = ? AND partition = ?',
  );
  const movePartition = db.prepare(
    'UPDATE event_partitions SET last_seq = ?, next_offset = ? WHERE log_id = ? AND partition = ?',
  );
  const insert = db.prepare(
    `INSERT INTO event_records (log_id, partition, seq, byte_offset, enqueued_at, partition_key, body, properties)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const range = db.prepare(
    `SELECT partition, seq, byte_offset, enqueued_at, partition_key, body, properties FROM event_records
     WHERE log_id = ? AND partition = ? AND seq >= ? ORDER BY seq LIMIT ?`,
  );
  const lastSeq = db.prepare('SELECT last_seq FROM event_partitions WHERE log_id = ? AND partition = ?').pluck();
  const selectCheckpoint = db.prepare(
    'SELECT consumer_group, partition, seq, byte_offset FROM event_checkpoints WHERE log_id = ? AND consumer_group = ? AND partition = ?',
  );
  const upsertCheckpoint = db.prepare(
    `INSERT INTO event_checkpoints (log_id, consumer_group, partition, seq, byte_offset, updated_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (log_id, consumer_group, partition) DO UPDATE
       SET seq = excluded.seq, byte_offset = excluded.byte_offset, updated_at = excluded.updated_at
       WHERE excluded.seq > event_checkpoints.seq`,
  );

  const selectLease = db.prepare(
    'SELECT epoch, owner_id, claimed_at FROM event_leases WHERE log_id = ? AND consumer_group = ? AND partition = ?',
  );
  const upsertLease = db.prepare(
    `INSERT INTO event_leases (log_id, consumer_group, partition, epoch, owner_id, claimed_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (log_id, consumer_group, partition) DO UPDATE
       SET epoch = excluded.epoch, owner_id = excluded.owner_id, claimed_at = excluded.claimed_at`,
  );

  /** Throws OwnershipLostError unless `lease` is the newest claim (call inside the write's transaction). */
  const requireOwner = (lease: PartitionLease, group: string, partition: number): void => {
    const current = selectLease.get(logId, group, partition) as LeaseRow | undefined;
    if (current?.epoch === lease.epoch) return;
    const by = current ? ` (now ${current.owner_id}, epoch ${current.epoch})` : '';
    throw new OwnershipLostError(
      `partition ${partition} of event log ${name}, consumer group ${group}, owner ${lease.ownerId} epoch ${lease.epoch}${by}`,
    );
  };

  const checkPartition = (partition: number): number => {
    if (!Number.isSafeInteger(partition) || partition < 0 || partition >= partitions) {
      throw new InputError(
        `partition of event log ${name}`,
        `must be an integer in 0..${partitions - 1}, got ${partition}`,
      );
    }
    return partition;
  };

  /** The partition of this append; advances the shared round-robin cursor when there is no key. */
  const choosePartition = (partitionKey: string | undefined): number => {
    if (partitionKey !== undefined) return partitionForKey(partitionKey, partitions);
    const next = (cursor.get(logId) as number) % partitions;
    moveCursor.run((next + 1) % partitions, logId);
    return next;
  };

  const appendNow = (partitionKey: string | undefined, events: readonly OutgoingEvent[]): EventRecord[] => {
    if (partitionKey !== undefined && typeof partitionKey !== 'string') {
      throw new InputError(`partition key for event log ${name}`, 'must be a string or undefined');
    }
    const encoded = events.map((event, n) => encode(event, n));
    if (encoded.length === 0) return [];
    return immediate(db, () => {
      const partition = choosePartition(partitionKey);
      const state = partitionState.get(logId, partition) as PartitionRow;
      const enqueuedAt = Date.now();
      let seq = state.last_seq;
      let offset = state.next_offset;
      const rows = encoded.map(({ body, properties, bytes }): EventRow => {
        seq += 1;
        const row: EventRow = {
          partition,
          seq,
          byte_offset: offset,
          enqueued_at: enqueuedAt,
          partition_key: partitionKey ?? null,
          body,
          properties,
        };
        insert.run(logId, partition, seq, offset, enqueuedAt, row.partition_key, body, properties);
        offset += bytes + 1;
        return row;
      });
      movePartition.run(seq, offset, logId, partition);
      return rows.map(toEventRecord);
    });
  };

  const readNow = (partition: number, from: number, max: number): EventRecord[] =>
    (range.all(logId, partition, from, max) as EventRow[]).map(toEventRecord);

  return {
    name,
    partitions,

    append(partitionKey, events) {
      return settle(() => appendNow(partitionKey, events));
    },

    async read(partition, fromSequenceNumber, max, readOptions = {}) {
      checkPartition(partition);
      if (!Number.isSafeInteger(fromSequenceNumber) || fromSequenceNumber < 0) {
        throw new InputError('fromSequenceNumber', `must be a non-negative integer, got ${fromSequenceNumber}`);
      }
      positiveInteger('max', max);
      const { waitMs = 0, signal } = readOptions;
      const deadline = Date.now() + waitMs;
      for (let poll = POLL_MS; ; poll = Math.min(MAX_POLL_MS, poll * 2)) {
        if (signal?.aborted === true) return [];
        const records = readNow(partition, fromSequenceNumber, max);
        const left = deadline - Date.now();
        if (records.length > 0 || left <= 0) return records;
        await delay(Math.min(poll, left), signal);
        if (!db.open) return []; // closed while waiting
      }
    },

    lastSequenceNumber(partition) {
      return settle(() => lastSeq.get(logId, checkPartition(partition)) as number);
    },

    getCheckpoint(consumerGroup, partition) {
      return settle(() => {
        const row = selectCheckpoint.get(logId, consumerGroupName(consumerGroup), checkPartition(partition)) as
          CheckpointRow | undefined;
        return row === undefined ? undefined : toCheckpoint(row);
      });
    },

    setCheckpoint(checkpoint, lease) {
      return settle(() => {
        const group = consumerGroupName(checkpoint.consumerGroup);
        const partition = checkPartition(checkpoint.partition);
        const { sequenceNumber, offset } = checkpoint;
        if (!Number.isSafeInteger(sequenceNumber) || sequenceNumber < 0) {
          throw new InputError('checkpoint sequenceNumber', `must be a non-negative integer, got ${sequenceNumber}`);
        }
        if (typeof offset !== 'string') throw new InputError('checkpoint offset', 'must be a string');
        if (lease !== undefined && (lease.consumerGroup !== group || lease.partition !== partition))
          throw new InputError('lease', `is for ${lease.consumerGroup}/${lease.partition}, not ${group}/${partition}`);
        // The WHERE on the upsert makes it forward-only even when processes race; a lease is checked
        // under the same write lock.
        immediate(db, () => {
          if (lease !== undefined) requireOwner(lease, group, partition);
          upsertCheckpoint.run(logId, group, partition, sequenceNumber, offset, Date.now());
        });
      });
    },

    claimPartition(consumerGroup, partition, ownerId) {
      return settle(() => {
        const group = consumerGroupName(consumerGroup);
        checkPartition(partition);
        if (typeof ownerId !== 'string' || ownerId === '')
          throw new InputError('owner id', 'must be a non-empty string');
        return immediate(db, (): PartitionLease => {
          const epoch = ((selectLease.get(logId, group, partition) as LeaseRow | undefined)?.epoch ?? 0) + 1;
          upsertLease.run(logId, group, partition, epoch, ownerId, Date.now());
          return { consumerGroup: group, partition, ownerId, epoch };
        });
      });
    },

    close() {
      if (db.open) db.close();
      return Promise.resolve();
    },
  };
}

/** Creates the log's rows on first open; on a later open, checks the partition count. Returns the log's id. */
function registerLog(db: SqliteDb, file: string, name: string, partitions: number): number {
  return immediate(db, () => {
    db.prepare('INSERT OR IGNORE INTO event_logs (name, partitions, created_at) VALUES (?, ?, ?)').run(
      name,
      partitions,
      Date.now(),
    );
    const log = db
      .prepare('SELECT id, name, partitions, next_partition FROM event_logs WHERE name = ?')
      .get(name) as EventLogRow;
    if (log.partitions !== partitions) {
      throw new InputError(
        `event log "${name}" in ${file}`,
        `was created with ${log.partitions} partitions but opened with ${partitions}; the partition count of a log is fixed`,
      );
    }
    const addPartition = db.prepare('INSERT OR IGNORE INTO event_partitions (log_id, partition) VALUES (?, ?)');
    for (let p = 0; p < partitions; p++) addPartition.run(log.id, p);
    return log.id;
  });
}

interface EncodedEvent {
  readonly body: string;
  readonly properties: string | null;
  /** UTF-8 length of the body: the event's share of the partition's byte offsets. */
  readonly bytes: number;
}

function encode(event: OutgoingEvent, index: number): EncodedEvent {
  if (typeof event?.body !== 'string') throw new InputError(`event ${index} of the batch`, 'body must be a string');
  const entries = Object.entries(event.properties ?? {});
  for (const [key, value] of entries) {
    const ok =
      typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
    if (!ok)
      throw new InputError(`property "${key}" of event ${index}`, 'must be a string, a finite number or a boolean');
  }
  return {
    body: event.body,
    properties: entries.length === 0 ? null : JSON.stringify(Object.fromEntries(entries)),
    bytes: Buffer.byteLength(event.body, 'utf8'),
  };
}

function consumerGroupName(group: string): string {
  if (typeof group !== 'string' || group.length === 0)
    throw new InputError('consumer group', 'must be a non-empty string');
  return group;
}
