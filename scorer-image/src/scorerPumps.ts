/**
 * N concurrent message pumps (src/hosting/messagePump.ts) on the `jobs` queue, and their drain.
 *
 * - Every pump shares the one queue client (its receives take turns, as the SDK requires), the
 *   context's model caches and ONNX sessions (one per model version), and the shard tracker.
 * - A pump that fails with a TransientError (the namespace was busy past the SDK's own retries)
 *   is restarted after a backoff. Anything else (UnauthorizedAccess, a missing queue) stops every
 *   pump with a clear log instead of spinning: `done` rejects with it.
 * - `drain(deadlineMs)`: stop receiving; shards in hand finish, or at the deadline are abandoned
 *   (redelivered at once). Resolves when every pump has returned, at most GRACE_MS after the deadline.
 */
import { TesseraError, TransientError, ensureError } from '../../src/core/errors.js';
import type { Logger } from '../../src/ports/logger.js';
import { backoffMs, type RetryPolicy } from '../../src/hosting/backoff.js';
import { delay } from '../../src/lib/delay.js';
import { runMessagePump } from '../../src/hosting/messagePump.js';
import type { InstrumentedQueue } from './instrumentedQueue.js';
import type { ShardTracker } from './shardTracker.js';

/** How long pumps may take to return once their shards were abandoned (their handlers were aborted). */
const GRACE_MS = 5_000;

export interface ScorerPumps {
  /** Resolves when every pump returned after a drain; rejects with the error that stopped them. */
  readonly done: Promise<void>;
  drain(deadlineMs: number): Promise<'finished' | 'abandoned'>;
}

export interface ScorerPumpOptions {
  readonly queue: InstrumentedQueue;
  readonly tracker: ShardTracker;
  readonly onDeadLetter: (body: unknown, reason: string, description: string) => Promise<void>;
  readonly concurrency: number;
  readonly waitMs: number;
  readonly log: Logger;
  /** When a transiently failed shard is delivered again (TESSERA_RETRY_BASE_MS, TESSERA_RETRY_MAX_MS). */
  readonly retry?: RetryPolicy;
}

export function startScorerPumps(options: ScorerPumpOptions): ScorerPumps {
  const stop = new AbortController();
  let fatal: Error | undefined;

  const pump = async (index: number): Promise<void> => {
    const log = options.log.child({ pump: index });
    let failures = 0;
    while (!stop.signal.aborted) {
      try {
        await runMessagePump(
          {
            queue: options.queue,
            handle: options.tracker.handlerFor(log),
            onDeadLetter: options.onDeadLetter,
            log,
            waitMs: options.waitMs,
            retry: options.retry,
          },
          stop.signal,
        );
      } catch (thrown) {
        const error = ensureError(thrown);
        if (error instanceof TransientError && !stop.signal.aborted) {
          failures += 1;
          const wait = backoffMs(failures, 500, 30_000);
          log.warn('message pump failed; restarting after backoff', { error: error.message, backoffMs: wait });
          await delay(wait, stop.signal);
          continue;
        }
        if (!stop.signal.aborted) {
          fatal ??= error;
          log.error('message pump stopped: the scorer cannot go on', {
            error: error.message,
            code: error instanceof TesseraError ? error.code : error.name,
          });
          options.queue.stopReceiving();
          stop.abort();
        }
        return;
      }
    }
  };

  const pumps = Promise.all(Array.from({ length: options.concurrency }, (_, i) => pump(i)));
  const done = pumps.then(() => {
    if (fatal) throw fatal;
  });
  done.catch(() => undefined);

  return {
    done,
    async drain(deadlineMs) {
      options.queue.stopReceiving();
      stop.abort();
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'deadline'>((resolve) => {
        timer = setTimeout(() => resolve('deadline'), deadlineMs);
      });
      const outcome = await Promise.race([pumps.then(() => 'finished' as const), deadline]);
      clearTimeout(timer);
      if (outcome === 'finished') return 'finished';
      options.log.warn('drain deadline reached; abandoning the shards in hand', {
        inHand: options.tracker.inHand(),
        drainMs: deadlineMs,
      });
      await options.tracker.abandonAll(
        `the worker is shutting down (drain bound of ${Math.round(deadlineMs / 1000)} s reached)`,
      );
      const grace = new AbortController();
      await Promise.race([pumps, delay(GRACE_MS, grace.signal)]);
      grace.abort(); // clears the grace timer: nothing may keep a drained worker alive
      return 'abandoned';
    },
  };
}
