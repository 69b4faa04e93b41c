/**
 * Wraps the handler the message pumps run (the context's dispatch): each shard in hand is
 * tracked and scoped in the logs; and at the drain deadline every shard still in hand is aborted
 * and abandoned at once (its message is redelivered to another worker now, not when its lock runs
 * out). The pump counts and times every shard (`tessera.messages`); the models count windows and
 * frames.
 *
 * A handler whose shard was abandoned throws LockLostError (code `MessageAbandoned`): the pump then
 * leaves the message alone (it is no longer this worker's), instead of retrying after a backoff or
 * dead-lettering it on its last delivery, and counts it as `lock_lost` with that code.
 */
import { LockLostError, ensureError } from '../../src/core/errors.js';
import type { Logger } from '../../src/ports/logger.js';
import { kindOf, type InstrumentedQueue } from './instrumentedQueue.js';

type Handle = (body: unknown, signal: AbortSignal, nextMayStart?: () => void) => Promise<void>;

interface InHand {
  readonly body: unknown;
  readonly log: Logger;
  readonly abort: AbortController;
}

export interface ShardTracker {
  /** The handler for one pump, logging with that pump's logger. */
  handlerFor(log: Logger): Handle;
  readonly inHand: () => number;
  /** Aborts every shard in hand and abandons its message; resolves when all are handed back. */
  abandonAll(why: string): Promise<void>;
}

export interface ShardTrackerOptions {
  /** The use cases' dispatch, logging to `log` (AzureContext.withLog(log).dispatch: same caches and sessions). */
  readonly dispatchFor: (log: Logger) => Handle;
  readonly queue: InstrumentedQueue;
}

export function createShardTracker(options: ShardTrackerOptions): ShardTracker {
  const { queue } = options;
  const inHand = new Set<InHand>();

  const handlerFor =
    (pumpLog: Logger): Handle =>
    async (body, signal, nextMayStart) => {
      const { jobId, shardId } = body as { jobId?: string; shardId?: string };
      const kind = kindOf(body);
      const message = queue.held(body);
      const log = pumpLog.child({
        kind,
        jobId,
        shardId,
        messageId: message?.messageId,
        deliveryCount: message?.deliveryCount,
      });
      const entry: InHand = { body, log, abort: new AbortController() };
      inHand.add(entry);
      log.info('shard started');
      try {
        // The use cases' own lines carry the pump's and the message's fields too.
        const work = options.dispatchFor(log)(body, AbortSignal.any([signal, entry.abort.signal]), nextMayStart);
        // At the drain deadline the shard is given up at once, even if its work does not stop promptly.
        const abandoned = new Promise<never>((_, reject) => {
          entry.abort.signal.addEventListener('abort', () => reject(ensureError(entry.abort.signal.reason)), {
            once: true,
          });
        });
        work.catch(() => undefined);
        abandoned.catch(() => undefined);
        await Promise.race([work, abandoned]);
        log.info('shard handled');
      } catch (thrown) {
        const error = ensureError(thrown);
        if (entry.abort.signal.aborted)
          throw new LockLostError(message?.messageId ?? String(shardId), { cause: error, code: 'MessageAbandoned' });
        throw error;
      } finally {
        inHand.delete(entry);
      }
    };

  return {
    handlerFor,
    inHand: () => inHand.size,
    async abandonAll(why) {
      await Promise.allSettled(
        [...inHand].map(async (entry) => {
          const message = queue.held(entry.body);
          entry.abort.abort(new Error(why));
          if (!message) return;
          try {
            await queue.release(message);
            entry.log.warn('shard abandoned for redelivery', { reason: why });
          } catch (error) {
            entry.log.warn('could not abandon the shard; it is redelivered when its lock expires', {
              reason: why,
              error: ensureError(error).message,
            });
          }
        }),
      );
    },
  };
}
