/**
 * One Service Bus queue as the test broker models it: an active subqueue and a dead-letter subqueue,
 * peek-lock with lock tokens, delivery counts, lock expiry, the maximum delivery count, scheduled
 * messages and duplicate detection by message id where the queue has it. Pure state over a clock; testBroker.ts moves
 * messages on and off the wire. What is not modelled is listed in README.md.
 */
import { randomUUID } from 'node:crypto';
import type { Message } from 'rhea';

export interface QueueSettings {
  /** LockDuration: Service Bus accepts 5 s to 5 min. */
  readonly lockDurationMs: number;
  readonly maxDeliveryCount: number;
  /**
   * RequiresDuplicateDetection with this history window (20 s to 7 days); absent, the queue has no
   * duplicate detection and keeps every message sent, whatever its id (Service Bus's default).
   */
  readonly duplicateDetectionWindowMs?: number;
}

/** Service Bus's defaults for a new queue: a 1-minute lock, 10 deliveries, no duplicate detection. */
export const DEFAULT_QUEUE_SETTINGS: QueueSettings = {
  lockDurationMs: 60_000,
  maxDeliveryCount: 10,
};

/** The settings Service Bus would refuse to create a queue with, as its management API says them; none: valid. */
export function invalidQueueSettings(settings: QueueSettings): string | undefined {
  const { lockDurationMs, maxDeliveryCount, duplicateDetectionWindowMs: window } = settings;
  if (!(Number.isInteger(lockDurationMs) && lockDurationMs >= 5_000 && lockDurationMs <= 300_000))
    return `LockDuration must be between 5 seconds and 5 minutes, got ${lockDurationMs} ms`;
  if (!(Number.isInteger(maxDeliveryCount) && maxDeliveryCount >= 1))
    return `MaxDeliveryCount must be at least 1, got ${maxDeliveryCount}`;
  if (window !== undefined && !(Number.isInteger(window) && window >= 20_000 && window <= 7 * 86_400_000))
    return `DuplicateDetectionHistoryTimeWindow must be between 20 seconds and 7 days, got ${window} ms`;
  return undefined;
}

export interface StoredMessage {
  readonly seq: number;
  /** As the client sent it (properties, application properties, body); annotations are added on delivery. */
  message: Message;
  readonly enqueuedAt: number;
  readonly visibleAt: number;
  deliveryCount: number;
  lock: { readonly token: string; until: number } | undefined;
}

export type Outcome =
  | { readonly kind: 'complete' }
  | { readonly kind: 'abandon'; readonly properties?: Record<string, unknown> }
  | {
      readonly kind: 'deadLetter';
      readonly reason?: string;
      readonly description?: string;
      readonly properties?: Record<string, unknown>;
    };

/** A subqueue: the active messages or the dead letters, keyed (and delivered) in sequence order. */
export class SubQueue {
  readonly messages = new Map<number, StoredMessage>();
  constructor(
    readonly queue: BrokerQueue,
    readonly isDeadLetter: boolean,
  ) {}

  /** The next message a receiver may lock now, in sequence order. */
  nextAvailable(now: number): StoredMessage | undefined {
    let best: StoredMessage | undefined;
    for (const m of this.messages.values()) {
      if (m.lock === undefined && m.visibleAt <= now && (best === undefined || m.seq < best.seq)) best = m;
    }
    return best;
  }

  /** Locks `m` for the queue's lock duration, counts the delivery and returns the new lock token. */
  lock(m: StoredMessage, now: number): string {
    const token = randomUUID();
    m.deliveryCount += 1;
    m.lock = { token, until: now + this.queue.settings.lockDurationMs };
    this.queue.tokens.set(token, this);
    return token;
  }

  /** The message that `token` still locks at `now`, or undefined (expired, settled, or redelivered). */
  locked(token: string, now: number): StoredMessage | undefined {
    for (const m of this.messages.values()) if (m.lock?.token === token && m.lock.until > now) return m;
    return undefined;
  }

  /** Messages with seq ≥ from, in sequence order (locked and scheduled ones included), at most `count`. */
  peek(from: number, count: number): StoredMessage[] {
    return [...this.messages.values()]
      .filter((m) => m.seq >= from)
      .sort((a, b) => a.seq - b.seq)
      .slice(0, count);
  }

  /** Releases the lock; the message goes to the dead-letter subqueue if it may not be delivered again. */
  release(m: StoredMessage, now: number): void {
    m.lock = undefined;
    if (!this.isDeadLetter && m.deliveryCount >= this.queue.settings.maxDeliveryCount) {
      this.queue.deadLetter(
        m,
        'MaxDeliveryCountExceeded',
        `Message could not be consumed after ${m.deliveryCount} delivery attempts.`,
        {},
        now,
      );
    }
  }
}

export class BrokerQueue {
  readonly active = new SubQueue(this, false);
  readonly dead = new SubQueue(this, true);
  /** Lock token → the subqueue that issued it (tokens are never reused). */
  readonly tokens = new Map<string, SubQueue>();
  private readonly sentIds = new Map<string, number>();
  private nextSeq = 1;

  constructor(
    readonly name: string,
    readonly settings: QueueSettings,
  ) {}

  /**
   * Enqueues unless the queue detects duplicates and the message id was seen within its window;
   * returns the sequence number.
   */
  enqueue(message: Message, now: number, scheduledAt?: number): number | undefined {
    const window = this.settings.duplicateDetectionWindowMs;
    const id = message.message_id === undefined ? undefined : String(message.message_id);
    if (window !== undefined) {
      for (const [seen, at] of this.sentIds) if (at <= now - window) this.sentIds.delete(seen);
      if (id !== undefined && this.sentIds.has(id)) return undefined;
      if (id !== undefined) this.sentIds.set(id, now);
    }
    const seq = this.nextSeq++;
    const visibleAt = scheduledAt ?? scheduledTime(message) ?? now;
    this.active.messages.set(seq, { seq, message, enqueuedAt: now, visibleAt, deliveryCount: 0, lock: undefined });
    return seq;
  }

  /** Ends expired locks; returns true if any message became available (or was dead-lettered). */
  expireLocks(now: number): boolean {
    let changed = false;
    for (const sub of [this.active, this.dead]) {
      for (const m of [...sub.messages.values()]) {
        if (m.lock !== undefined && m.lock.until <= now) {
          sub.release(m, now);
          changed = true;
        }
      }
    }
    return changed;
  }

  /** Settles the delivery locked by `token`; false if the lock was lost. */
  settle(token: string, outcome: Outcome, now: number): boolean {
    const sub = this.tokens.get(token);
    const m = sub?.locked(token, now);
    if (sub === undefined || m === undefined) return false;
    this.tokens.delete(token);
    if (outcome.kind === 'complete') {
      sub.messages.delete(m.seq);
    } else if (outcome.kind === 'abandon') {
      m.message = withProperties(m.message, outcome.properties ?? {});
      sub.release(m, now);
    } else {
      if (sub.isDeadLetter) return false;
      this.deadLetter(m, outcome.reason, outcome.description, outcome.properties ?? {}, now);
    }
    return true;
  }

  /** Extends the lock held by `token` by the lock duration; undefined if it was lost. */
  renew(token: string, now: number): number | undefined {
    const m = this.tokens.get(token)?.locked(token, now);
    if (m?.lock === undefined) return undefined;
    m.lock.until = now + this.settings.lockDurationMs;
    return m.lock.until;
  }

  /** Cancels scheduled messages that have not become visible yet. */
  cancelScheduled(seqs: readonly number[], now: number): void {
    for (const seq of seqs) {
      const m = this.active.messages.get(seq);
      if (m !== undefined && m.visibleAt > now) this.active.messages.delete(seq);
    }
  }

  deadLetter(
    m: StoredMessage,
    reason: string | undefined,
    description: string | undefined,
    properties: Record<string, unknown>,
    _now: number,
  ): void {
    this.active.messages.delete(m.seq);
    const extra: Record<string, unknown> = { ...properties };
    if (reason !== undefined) extra['DeadLetterReason'] = reason;
    if (description !== undefined) extra['DeadLetterErrorDescription'] = description;
    m.message = withProperties(m.message, extra);
    m.lock = undefined;
    this.dead.messages.set(m.seq, m);
  }
}

function withProperties(message: Message, properties: Record<string, unknown>): Message {
  if (Object.keys(properties).length === 0) return message;
  return { ...message, application_properties: { ...(message.application_properties ?? {}), ...properties } };
}

function scheduledTime(message: Message): number | undefined {
  const at = message.message_annotations?.['x-opt-scheduled-enqueue-time'] as Date | number | undefined;
  return at === undefined ? undefined : new Date(at).getTime();
}
