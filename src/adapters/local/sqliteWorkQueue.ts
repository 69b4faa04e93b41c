import { delay } from '../../lib/delay.js';
import { randomUUID } from 'node:crypto';
import { InputError, positiveInteger, LockLostError } from '../../core/errors.js';
import {
  MAX_DELIVERY_COUNT_EXCEEDED,
  type DeadLetteredMessage,
  type OutgoingMessage,
  type ReceivedMessage,
  type ReceiveOptions,
  type WorkQueue,
} from '../../ports/workQueue.js';
import { settle } from './settle.js';
import { immediate, openSqliteDb } from './sqliteDb.js';
import { QUEUE_SCHEMA, toDeadLettered, toReceived, type MessageRow } from './sqliteQueueRows.js';

export interface SqliteWorkQueueOptions {
  /** The SQLite file; several queues and several processes may share it. */
  readonly file: string;
  readonly queue: string;
  /** Peek-lock duration; default 60 s. */
  readonly lockDurationMs?: number;
  /** Deliveries before a message is dead-lettered with `MaxDeliveryCountExceeded`; default 10. */
  readonly maxDeliveryCount?: number;
  /** Default 10 minutes. */
  readonly duplicateDetectionWindowMs?: number;
  /** Clock for message times (tests); waiting in `receive` always uses real time. */
  readonly now?: () => number;
}

const POLL_MS = 25;
const DEFAULT_PEEK = 100;

/**
 * The embedded default work queue: Service Bus semantics over one SQLite file (WAL, busy timeout).
 * Every state transition runs in an IMMEDIATE transaction, so processes sharing the file never
 * receive the same locked message twice. Messages whose delivery count has reached the maximum are
 * dead-lettered when their lock expires or they are abandoned, before any receive can see them.
 * An abandon with `retryAfterMs` stores the time the message becomes available again, durably.
 */
export function openSqliteWorkQueue(options: SqliteWorkQueueOptions): WorkQueue {
  const queue = options.queue;
  const lockDurationMs = positiveInteger('lockDurationMs', options.lockDurationMs ?? 60_000);
  const maxDeliveryCount = positiveInteger('maxDeliveryCount', options.maxDeliveryCount ?? 10);
  const windowMs = positiveInteger('duplicateDetectionWindowMs', options.duplicateDetectionWindowMs ?? 10 * 60_000);
  const now = options.now ?? Date.now;
  if (queue.length === 0) throw new InputError('queue name', 'must not be empty');
  const db = openSqliteDb(options.file, QUEUE_SCHEMA);

  const sweep = db.prepare(
    `UPDATE queue_messages SET dead = 1, lock_token = NULL, locked_until = NULL,
       dead_letter_reason = ?, dead_letter_description = 'Message could not be consumed after ' || delivery_count || ' delivery attempts.',
       dead_lettered_at = ?
     WHERE queue = ? AND dead = 0 AND delivery_count > 0 AND delivery_count >= ? AND available_at <= ?`,
  );
  const expireDuplicates = db.prepare('DELETE FROM queue_dedup WHERE queue = ? AND sent_at <= ?');
  const seenRecently = db.prepare('SELECT 1 FROM queue_dedup WHERE queue = ? AND message_id = ?');
  const remember = db.prepare('INSERT OR REPLACE INTO queue_dedup (queue, message_id, sent_at) VALUES (?, ?, ?)');
  const insert = db.prepare(
    `INSERT INTO queue_messages (queue, message_id, body, subject, properties, enqueued_at, available_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const ready = db.prepare(
    'SELECT * FROM queue_messages WHERE queue = ? AND dead = 0 AND available_at <= ? ORDER BY seq LIMIT ?',
  );
  const lock = db.prepare(
    'UPDATE queue_messages SET lock_token = ?, locked_until = ?, available_at = ?, delivery_count = delivery_count + 1 WHERE seq = ?',
  );
  const lockedBy = db.prepare(
    'SELECT * FROM queue_messages WHERE queue = ? AND seq = ? AND dead = 0 AND lock_token = ? AND locked_until > ?',
  );
  const release = db.prepare(
    'UPDATE queue_messages SET lock_token = NULL, locked_until = NULL, available_at = ? WHERE seq = ?',
  );
  const toDeadLetter = db.prepare(
    `UPDATE queue_messages SET dead = 1, lock_token = NULL, locked_until = NULL,
       dead_letter_reason = ?, dead_letter_description = ?, dead_lettered_at = ? WHERE seq = ?`,
  );

  /** Moves messages that may not be delivered again to the dead-letter subqueue. */
  const sweepExhausted = (at: number): void => {
    sweep.run(MAX_DELIVERY_COUNT_EXCEEDED, at, queue, maxDeliveryCount, at);
  };

  /** The stored row if `message` still holds its lock; otherwise LockLostError. */
  const requireLock = (message: ReceivedMessage, at: number): MessageRow => {
    const row = lockedBy.get(queue, message.sequenceNumber, message.lockToken, at) as MessageRow | undefined;
    if (row === undefined) throw new LockLostError(message.messageId);
    return row;
  };

  const receiveNow = (maxMessages: number): ReceivedMessage[] =>
    immediate(db, () => {
      const at = now();
      sweepExhausted(at);
      const rows = ready.all(queue, at, maxMessages) as MessageRow[];
      const lockedUntil = at + lockDurationMs;
      return rows.map((row) => {
        const token = randomUUID();
        lock.run(token, lockedUntil, lockedUntil, row.seq);
        return toReceived({ ...row, delivery_count: row.delivery_count + 1 }, token, lockedUntil);
      });
    });

  return {
    name: queue,
    lockDurationMs,
    maxDeliveryCount,

    send(messages: readonly OutgoingMessage[]) {
      return settle(() => {
        const encoded = messages.map(encode);
        immediate(db, () => {
          const at = now();
          expireDuplicates.run(queue, at - windowMs);
          for (const m of encoded) {
            if (seenRecently.get(queue, m.messageId) !== undefined) continue;
            remember.run(queue, m.messageId, at);
            insert.run(queue, m.messageId, m.body, m.subject, m.properties, at, Math.max(at, m.scheduledAt ?? at));
          }
        });
      });
    },

    async receive(receiveOptions: ReceiveOptions = {}) {
      const maxMessages = positiveInteger('maxMessages', receiveOptions.maxMessages ?? 1);
      const maxWaitMs = receiveOptions.maxWaitMs ?? 0;
      const signal = receiveOptions.signal;
      const deadline = Date.now() + maxWaitMs;
      for (;;) {
        if (signal?.aborted === true) return [];
        const received = receiveNow(maxMessages);
        const left = deadline - Date.now();
        if (received.length > 0 || left <= 0) return received;
        await delay(Math.min(POLL_MS, left), signal);
      }
    },

    renewLock(message) {
      return settle(() =>
        immediate(db, () => {
          const at = now();
          const row = requireLock(message, at);
          const lockedUntil = at + lockDurationMs;
          db.prepare('UPDATE queue_messages SET locked_until = ?, available_at = ? WHERE seq = ?').run(
            lockedUntil,
            lockedUntil,
            row.seq,
          );
          return new Date(lockedUntil);
        }),
      );
    },

    complete(message) {
      return settle(() =>
        immediate(db, () => {
          const row = requireLock(message, now());
          db.prepare('DELETE FROM queue_messages WHERE seq = ?').run(row.seq);
        }),
      );
    },

    abandon(message, abandonOptions = {}) {
      return settle(() => {
        const after = abandonOptions.retryAfterMs ?? 0;
        if (!(Number.isSafeInteger(after) && after >= 0))
          throw new InputError('retryAfterMs', `must be a non-negative integer, got ${after}`);
        immediate(db, () => {
          const at = now();
          const row = requireLock(message, at);
          release.run(at + after, row.seq);
          sweepExhausted(at);
        });
      });
    },

    deadLetter(message, details) {
      return settle(() =>
        immediate(db, () => {
          const at = now();
          const row = requireLock(message, at);
          toDeadLetter.run(details.reason, details.description, at, row.seq);
        }),
      );
    },

    peekDeadLetters(peekOptions = {}) {
      return settle(() => {
        const limit = positiveInteger('maxMessages', peekOptions.maxMessages ?? DEFAULT_PEEK);
        const from = peekOptions.fromSequenceNumber ?? 0;
        const rows = immediate(db, () => {
          sweepExhausted(now());
          return db
            .prepare('SELECT * FROM queue_messages WHERE queue = ? AND dead = 1 AND seq >= ? ORDER BY seq LIMIT ?')
            .all(queue, from, limit) as MessageRow[];
        });
        return rows.map((row): DeadLetteredMessage => toDeadLettered(row));
      });
    },

    redrive(sequenceNumbers) {
      return settle(() =>
        immediate(db, () => {
          const at = now();
          const sql = `UPDATE queue_messages SET dead = 0, delivery_count = 0, lock_token = NULL, locked_until = NULL,
              available_at = ?, dead_letter_reason = NULL, dead_letter_description = NULL, dead_lettered_at = NULL
            WHERE queue = ? AND dead = 1`;
          if (sequenceNumbers === undefined) return db.prepare(sql).run(at, queue).changes;
          const one = db.prepare(`${sql} AND seq = ?`);
          return sequenceNumbers.reduce((n, seq) => n + one.run(at, queue, seq).changes, 0);
        }),
      );
    },

    countActive() {
      return settle(() =>
        immediate(db, () => {
          sweepExhausted(now());
          return (
            db.prepare('SELECT COUNT(*) AS n FROM queue_messages WHERE queue = ? AND dead = 0').get(queue) as {
              n: number;
            }
          ).n;
        }),
      );
    },

    close() {
      if (db.open) db.close();
      return Promise.resolve();
    },
  };
}

interface EncodedMessage {
  readonly messageId: string;
  readonly body: string;
  readonly subject: string | null;
  readonly properties: string;
  readonly scheduledAt: number | undefined;
}

function encode(message: OutgoingMessage): EncodedMessage {
  if (typeof message.messageId !== 'string' || message.messageId.length === 0) {
    throw new InputError('messageId', 'must be a non-empty string');
  }
  const body = JSON.stringify(message.body) as string | undefined;
  if (body === undefined) throw new InputError(`body of message ${message.messageId}`, 'must be JSON-serialisable');
  const scheduledAt = message.scheduledEnqueueTime?.getTime();
  if (scheduledAt !== undefined && Number.isNaN(scheduledAt)) {
    throw new InputError(`scheduledEnqueueTime of message ${message.messageId}`, 'is not a valid date');
  }
  return {
    messageId: message.messageId,
    body,
    subject: message.subject ?? null,
    properties: JSON.stringify(message.applicationProperties ?? {}),
    scheduledAt,
  };
}
