import type { Checkpoint, EventRecord } from '../../ports/eventLog.js';

/**
 * Tables of the SQLite event log; several named logs share them.
 * - `event_logs`: one row per log: its fixed partition count and the round-robin cursor for keyless appends.
 * - `event_partitions`: per partition, the last sequence number (-1 when empty) and the next byte offset.
 * - `event_records`: the events; (log, partition, seq) is unique and indexed, so a range read is one index scan.
 * - `event_checkpoints`: per log, consumer group and partition.
 * - `event_leases`: per log, consumer group and partition, the newest claim's epoch and owner.
 */
export const EVENT_LOG_SCHEMA = `
CREATE TABLE IF NOT EXISTS event_logs (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  partitions INTEGER NOT NULL,
  next_partition INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS event_partitions (
  log_id INTEGER NOT NULL REFERENCES event_logs (id),
  partition INTEGER NOT NULL,
  last_seq INTEGER NOT NULL DEFAULT -1,
  next_offset INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (log_id, partition)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS event_records (
  id INTEGER PRIMARY KEY,
  log_id INTEGER NOT NULL,
  partition INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  byte_offset INTEGER NOT NULL,
  enqueued_at INTEGER NOT NULL,
  partition_key TEXT,
  body TEXT NOT NULL,
  properties TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS event_records_by_seq ON event_records (log_id, partition, seq);
CREATE TABLE IF NOT EXISTS event_checkpoints (
  log_id INTEGER NOT NULL,
  consumer_group TEXT NOT NULL,
  partition INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  byte_offset TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (log_id, consumer_group, partition)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS event_leases (
  log_id INTEGER NOT NULL,
  consumer_group TEXT NOT NULL,
  partition INTEGER NOT NULL,
  epoch INTEGER NOT NULL,
  owner_id TEXT NOT NULL,
  claimed_at INTEGER NOT NULL,
  PRIMARY KEY (log_id, consumer_group, partition)
) WITHOUT ROWID;
`;

export interface LeaseRow {
  readonly epoch: number;
  readonly owner_id: string;
  readonly claimed_at: number;
}

export interface EventLogRow {
  readonly id: number;
  readonly name: string;
  readonly partitions: number;
  readonly next_partition: number;
}

export interface PartitionRow {
  readonly last_seq: number;
  readonly next_offset: number;
}

/** One event as stored. `properties` is JSON, or NULL for none. */
export interface EventRow {
  readonly partition: number;
  readonly seq: number;
  readonly byte_offset: number;
  readonly enqueued_at: number;
  readonly partition_key: string | null;
  readonly body: string;
  readonly properties: string | null;
}

export interface CheckpointRow {
  readonly consumer_group: string;
  readonly partition: number;
  readonly seq: number;
  readonly byte_offset: string;
}

type Properties = Readonly<Record<string, string | number | boolean>>;

const NO_PROPERTIES: Properties = Object.freeze({});

export function toEventRecord(row: EventRow): EventRecord {
  return {
    partition: row.partition,
    sequenceNumber: row.seq,
    offset: String(row.byte_offset),
    enqueuedTime: new Date(row.enqueued_at),
    partitionKey: row.partition_key ?? undefined,
    body: row.body,
    properties: row.properties === null ? NO_PROPERTIES : (JSON.parse(row.properties) as Properties),
  };
}

export function toCheckpoint(row: CheckpointRow): Checkpoint {
  return {
    consumerGroup: row.consumer_group,
    partition: row.partition,
    sequenceNumber: row.seq,
    offset: row.byte_offset,
  };
}
