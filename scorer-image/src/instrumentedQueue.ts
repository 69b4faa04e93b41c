/**
 * The `jobs` queue as the message pumps see it: the same WorkQueue, plus what the scorer's drain
 * needs (the message pump, src/hosting/messagePump.ts, counts and times every message it settles
 * in `tessera.messages`; this queue counts none of those again):
 * - `held(body)` finds the message a handler is working on (the pump hands a handler only the
 *   body), so the drain can abandon it at its deadline;
 * - a receive that returns after `stopReceiving()` hands its messages straight back (abandon), so
 *   nothing new starts once SIGTERM has stopped receiving; the pump never sees those, so they are
 *   counted here, as `dropped_at_stop`.
 */
import { forwardingQueue, type ReceivedMessage, type WorkQueue } from '../../src/ports/workQueue.js';
import { messageKindOf } from '../../src/hosting/messagePump.js';
import { countDroppedAtStop } from './scorerMetrics.js';

export interface InstrumentedQueue extends WorkQueue {
  /** The message whose handler received `body`, while it is held. */
  held(body: unknown): ReceivedMessage | undefined;
  /** Abandons a held message outside the pump (the pump counts it when its handler gives up). */
  release(message: ReceivedMessage): Promise<void>;
  stopReceiving(): void;
}

/** The message kind a body names (`score`, `style`, …), for logs: the same rule as the pump's spans and metrics. */
export const kindOf = messageKindOf;

export function instrumentQueue(inner: WorkQueue): InstrumentedQueue {
  const byBody = new WeakMap<object, ReceivedMessage>();
  let stopped = false;
  const forget = (message: ReceivedMessage): void => {
    // The pump settles a copy (renewals replace `lockedUntil`): the lock token says it is the same delivery.
    const body = message.body;
    if (typeof body === 'object' && body !== null && byBody.get(body)?.lockToken === message.lockToken)
      byBody.delete(body);
  };
  const settled =
    (action: (message: ReceivedMessage) => Promise<void>) =>
    async (message: ReceivedMessage): Promise<void> => {
      try {
        await action(message);
      } finally {
        forget(message);
      }
    };
  return {
    ...forwardingQueue(inner),
    async receive(options) {
      const got = await inner.receive(options);
      if (stopped && got.length > 0) {
        await Promise.allSettled(
          got.map(async (m) => {
            await inner.abandon(m);
            countDroppedAtStop(inner.name, m.body);
          }),
        );
        return [];
      }
      for (const m of got) if (typeof m.body === 'object' && m.body !== null) byBody.set(m.body, m);
      return got;
    },
    complete: settled((m) => inner.complete(m)),
    abandon: (message, options) => settled((m) => inner.abandon(m, options))(message),
    deadLetter: (message, details) => settled((m) => inner.deadLetter(m, details))(message),
    held: (body) => (typeof body === 'object' && body !== null ? byBody.get(body) : undefined),
    release: settled((m) => inner.abandon(m)),
    stopReceiving() {
      stopped = true;
    },
  };
}
