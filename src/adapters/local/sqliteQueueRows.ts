import type { DeadLetteredMessage, ReceivedMessage } from '../../ports/workQueue.js';

/** Tables of the SQLite work queue; several named queues share them. */
export const QUEUE_SCHEMA = `
CREATE TABLE IF NOT EXISTS queue_messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL,
  message_id TEXT NOT NULL,
  body TEXT NOT NULL,
  subject TEXT,
  properties TEXT NOT NULL,
  enqueued_at INTEGER NOT NULL,
  available_at INTEGER NOT NULL,
  delivery_count INTEGER NOT NULL DEFAULT 0,
  lock_token TEXT,
  locked_until INTEGER,
  dead INTEGER NOT NULL DEFAULT 0,
  dead_letter_reason TEXT,
  dead_letter_description TEXT,
  dead_lettered_at INTEGER
);
CREATE INDEX IF NOT EXISTS queue_messages_by_seq ON queue_messages (queue, dead, seq);
CREATE INDEX IF NOT EXISTS queue_messages_delivered ON queue_messages (queue, available_at)
  WHERE dead = 0 AND delivery_count > 0;
CREATE TABLE IF NOT EXISTS queue_dedup (
  queue TEXT NOT NULL,
  message_id TEXT NOT NULL,
  sent_at INTEGER NOT NULL,
  PRIMARY KEY (queue, message_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS queue_dedup_by_age ON queue_dedup (queue, sent_at);
`;

/** One message as stored. `available_at` is the scheduled time, or the lock expiry while locked. */
export interface MessageRow {
  readonly seq: number;
  readonly queue: string;
  readonly message_id: string;
  readonly body: string;
  readonly subject: string | null;
  readonly properties: string;
  readonly enqueued_at: number;
  readonly available_at: number;
  readonly delivery_count: number;
  readonly lock_token: string | null;
  readonly locked_until: number | null;
  readonly dead: number;
  readonly dead_letter_reason: string | null;
  readonly dead_letter_description: string | null;
  readonly dead_lettered_at: number | null;
}

type Properties = Readonly<Record<string, string | number | boolean>>;

function common(row: MessageRow) {
  return {
    messageId: row.message_id,
    body: JSON.parse(row.body) as unknown,
    subject: row.subject ?? undefined,
    applicationProperties: JSON.parse(row.properties) as Properties,
    sequenceNumber: row.seq,
    deliveryCount: row.delivery_count,
    enqueuedAt: new Date(row.enqueued_at),
  };
}

export function toReceived(row: MessageRow, lockToken: string, lockedUntil: number): ReceivedMessage {
  return { ...common(row), lockToken, lockedUntil: new Date(lockedUntil) };
}

export function toDeadLettered(row: MessageRow): DeadLetteredMessage {
  return {
    ...common(row),
    deadLetterReason: row.dead_letter_reason ?? '',
    deadLetterErrorDescription: row.dead_letter_description ?? '',
    deadLetteredAt: new Date(row.dead_lettered_at ?? 0),
  };
}
