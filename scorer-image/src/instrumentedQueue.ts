/**
 * The `jobs` queue as the message pumps see it: the same WorkQueue, counting what src/runtime/
 * messagePump.ts does with each message (it has no hooks of its own, and src stays as it is).
 * - complete / deadLetter / abandon count as the outcomes completed / dead_lettered / retried;
 * - renewLock counts renewals: ok, lost (LockLostError) or failed (anything else);
 * - `held(body)` finds the message a handler is working on (the pump hands a handler only the
 *   body), so the drain can abandon it at its deadline;
 * - a receive that returns after `stopReceiving()` hands its messages straight back (abandon), so
 *   nothing new starts once SIGTERM has stopped receiving.
 */
import { LockLostError } from '../../src/core/errors.js';
import { forwardingQueue, type ReceivedMessage, type WorkQueue } from '../../src/ports/workQueue.js';
import { messageKindOf } from '../../src/hosting/messagePump.js';
import type { ScorerMetrics, ShardOutcome } from './scorerMetrics.js';

export interface InstrumentedQueue extends WorkQueue {
  /** The message whose handler received `body`, while it is held. */
  held(body: unknown): ReceivedMessage | undefined;
  /** Abandons a held message outside the pump, counting it as `outcome`. */
  release(message: ReceivedMessage, outcome: ShardOutcome): Promise<void>;
  stopReceiving(): void;
}

/** The message kind a body names (`score`, `style`, …), for labels: the same rule as the pump's spans and metrics. */
export const kindOf = messageKindOf;

export function instrumentQueue(inner: WorkQueue, metrics: ScorerMetrics): InstrumentedQueue {
  const byBody = new WeakMap<object, ReceivedMessage>();
  let stopped = false;
  const forget = (message: ReceivedMessage): void => {
    // The pump settles a copy (renewals replace `lockedUntil`): the lock token says it is the same delivery.
    const body = message.body;
    if (typeof body === 'object' && body !== null && byBody.get(body)?.lockToken === message.lockToken)
      byBody.delete(body);
  };
  const settle = async (
    message: ReceivedMessage,
    outcome: ShardOutcome,
    action: () => Promise<void>,
  ): Promise<void> => {
    try {
      await action();
    } catch (error) {
      if (error instanceof LockLostError) {
        forget(message);
        metrics.shards.inc({ kind: kindOf(message.body), outcome: 'lock_lost' });
      }
      throw error;
    }
    forget(message);
    metrics.shards.inc({ kind: kindOf(message.body), outcome });
  };
  return {
    ...forwardingQueue(inner),
    async receive(options) {
      const got = await inner.receive(options);
      if (stopped && got.length > 0) {
        await Promise.allSettled(got.map((m) => settle(m, 'dropped_at_stop', () => inner.abandon(m))));
        return [];
      }
      for (const m of got) if (typeof m.body === 'object' && m.body !== null) byBody.set(m.body, m);
      return got;
    },
    async renewLock(message) {
      try {
        const until = await inner.renewLock(message);
        metrics.lockRenewals.inc({ result: 'ok' });
        return until;
      } catch (error) {
        metrics.lockRenewals.inc({ result: error instanceof LockLostError ? 'lost' : 'failed' });
        throw error;
      }
    },
    complete: (message) => settle(message, 'completed', () => inner.complete(message)),
    abandon: (message, options) => settle(message, 'retried', () => inner.abandon(message, options)),
    deadLetter: (message, details) => settle(message, 'dead_lettered', () => inner.deadLetter(message, details)),
    held: (body) => (typeof body === 'object' && body !== null ? byBody.get(body) : undefined),
    release: (message, outcome) => settle(message, outcome, () => inner.abandon(message)),
    stopReceiving() {
      stopped = true;
    },
  };
}
