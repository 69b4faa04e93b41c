/** A message to send. The body is JSON-serialisable. */
export interface OutgoingMessage<T = unknown> {
  /** Used for duplicate detection: a second send with the same id inside the window is dropped. */
  readonly messageId: string;
  readonly body: T;
  readonly subject?: string;
  readonly applicationProperties?: Readonly<Record<string, string | number | boolean>>;
  /** Delivered no earlier than this instant (Service Bus scheduled messages). */
  readonly scheduledEnqueueTime?: Date;
}

/** A message received in peek-lock mode. */
export interface ReceivedMessage<T = unknown> {
  readonly messageId: string;
  readonly body: T;
  readonly subject: string | undefined;
  readonly applicationProperties: Readonly<Record<string, string | number | boolean>>;
  /** Monotonic per queue, assigned at enqueue. */
  readonly sequenceNumber: number;
  /** 1 on the first delivery; each abandon or lock expiry increments it. */
  readonly deliveryCount: number;
  readonly enqueuedAt: Date;
  /** Identifies this delivery; settling with a stale token throws LockLostError. */
  readonly lockToken: string;
  readonly lockedUntil: Date;
}

/** A message in the dead-letter subqueue. */
export interface DeadLetteredMessage<T = unknown> extends Omit<ReceivedMessage<T>, 'lockToken' | 'lockedUntil'> {
  readonly deadLetterReason: string;
  readonly deadLetterErrorDescription: string;
  readonly deadLetteredAt: Date;
}

export interface ReceiveOptions {
  readonly maxMessages?: number;
  /** How long to wait for the first message; 0 returns at once. */
  readonly maxWaitMs?: number;
  /** Aborting ends the wait early with whatever has been received (possibly nothing). */
  readonly signal?: AbortSignal;
}

export interface AbandonOptions {
  /** The message is not receivable again before this many milliseconds from now (default 0: at once). */
  readonly retryAfterMs?: number;
}

/** The dead-letter reason used when a message exceeds the maximum delivery count (as Service Bus). */
export const MAX_DELIVERY_COUNT_EXCEEDED = 'MaxDeliveryCountExceeded';

/**
 * Work queue port, one queue, with Azure Service Bus semantics.
 *
 * Contract:
 * - `send` enqueues each message unless a message with the same `messageId` was sent within the
 *   duplicate-detection window, in which case it is silently dropped (as Service Bus does).
 *   A scheduled message is not receivable before its `scheduledEnqueueTime`.
 * - `receive` returns up to `maxMessages` available messages in sequence order, locking each for the
 *   queue's lock duration and incrementing its delivery count. A locked message is invisible to other
 *   receivers, in this process or another, until it is settled or its lock expires.
 * - When a lock expires the message becomes available again. If a delivery would exceed the maximum
 *   delivery count, the message is moved to the dead-letter subqueue with reason
 *   `MaxDeliveryCountExceeded` instead of being delivered.
 * - `renewLock` extends the lock by the lock duration and returns the new expiry.
 *   `complete`, `abandon`, `deadLetter` and `renewLock` throw LockLostError if the lock has expired
 *   or the token is stale (the message was redelivered).
 * - `complete` removes the message. `abandon` releases the lock at once (the delivery count stays
 *   incremented); with `retryAfterMs` the message is not receivable again before that delay, so a
 *   retry can wait minutes without a receiver holding it. An adapter that cannot delay a message
 *   durably (Service Bus) keeps it locked, renewing, and releases it when the delay ends: if its
 *   process dies first, the message comes back when the lock expires; if it closes first, at once.
 *   `deadLetter` moves it to the dead-letter subqueue with a reason and description.
 * - `peekDeadLetters` reads the dead-letter subqueue without removing anything, in sequence order.
 * - `redrive` moves dead-lettered messages (all, or those with the given sequence numbers) back to
 *   the active queue with their message id, body and properties, and a delivery count of 0. It
 *   returns how many were moved.
 * - State is durable for durable adapters; several processes may share one queue.
 */
export interface WorkQueue {
  readonly name: string;
  readonly lockDurationMs: number;
  readonly maxDeliveryCount: number;
  send(messages: readonly OutgoingMessage[]): Promise<void>;
  receive(options?: ReceiveOptions): Promise<ReceivedMessage[]>;
  renewLock(message: ReceivedMessage): Promise<Date>;
  complete(message: ReceivedMessage): Promise<void>;
  abandon(message: ReceivedMessage, options?: AbandonOptions): Promise<void>;
  deadLetter(
    message: ReceivedMessage,
    details: { readonly reason: string; readonly description: string },
  ): Promise<void>;
  peekDeadLetters(options?: {
    readonly maxMessages?: number;
    readonly fromSequenceNumber?: number;
  }): Promise<DeadLetteredMessage[]>;
  redrive(sequenceNumbers?: readonly number[]): Promise<number>;
  /** Active (not dead-lettered) messages, locked or not, scheduled or not. */
  countActive(): Promise<number>;
  close(): Promise<void>;
}

/**
 * A WorkQueue that hands every call to `inner`: the base of a decorator, which spreads it and
 * replaces the calls it changes (`{ ...forwardingQueue(inner), send: … }`).
 */
export function forwardingQueue(inner: WorkQueue): WorkQueue {
  return {
    name: inner.name,
    lockDurationMs: inner.lockDurationMs,
    maxDeliveryCount: inner.maxDeliveryCount,
    send: (messages) => inner.send(messages),
    receive: (options) => inner.receive(options),
    renewLock: (message) => inner.renewLock(message),
    complete: (message) => inner.complete(message),
    abandon: (message, options) => inner.abandon(message, options),
    deadLetter: (message, details) => inner.deadLetter(message, details),
    peekDeadLetters: (options) => inner.peekDeadLetters(options),
    redrive: (sequenceNumbers) => inner.redrive(sequenceNumbers),
    countActive: () => inner.countActive(),
    close: () => inner.close(),
  };
}
