import { LockLostError, PermanentError, ensureError } from '../core/errors.js';
import type { Logger } from '../ports/logger.js';
import { MAX_DELIVERY_COUNT_EXCEEDED, type ReceivedMessage, type WorkQueue } from '../ports/workQueue.js';
import { backoffMs, delay } from './backoff.js';

export interface MessagePumpOptions {
  readonly queue: WorkQueue;
  /** Does the work; throws PermanentError for work that can never succeed. */
  readonly handle: (body: unknown, signal: AbortSignal) => Promise<void>;
  /** Told after a message was dead-lettered, so its job can account for it. */
  readonly onDeadLetter: (body: unknown, reason: string, description: string) => Promise<void>;
  readonly log: Logger;
  /** How long one receive waits for a message. */
  readonly waitMs?: number;
}

/**
 * Receives messages one at a time in peek-lock mode and settles each by what its handler did:
 * success completes it; a PermanentError dead-letters it at once with its reason; any other error
 * abandons it after a backoff with jitter, so it is retried, until its last allowed delivery,
 * which is dead-lettered with the error. The lock is renewed while the handler runs; a lost
 * lock aborts the handler's signal, and the message is left to its redelivery.
 * `run` returns when `stop` aborts, after the message in hand is settled.
 */
export async function runMessagePump(options: MessagePumpOptions, stop: AbortSignal): Promise<void> {
  const { queue } = options;
  while (!stop.aborted) {
    const [message] = await queue.receive({ maxMessages: 1, maxWaitMs: options.waitMs ?? 1000, signal: stop });
    if (message) await processOne(options, message);
  }
}

async function processOne(options: MessagePumpOptions, message: ReceivedMessage): Promise<void> {
  const { queue } = options;
  const log = options.log.child({ messageId: message.messageId, deliveryCount: message.deliveryCount });
  const work = new AbortController();
  let current = message;
  const renewEvery = Math.max(50, Math.floor(queue.lockDurationMs / 3));
  let settled = false;
  const renewal = setInterval(() => {
    queue.renewLock(current).then(
      (lockedUntil) => { current = { ...current, lockedUntil }; },
      (error: unknown) => {
        if (settled) return;
        if (error instanceof LockLostError) {
          log.warn('lock lost; abandoning the work in hand', { error: error.message });
          work.abort(error);
        } else {
          // A transient failure (a busy store, a network blip): the next renewal, a third of a lock later, tries again.
          log.warn('lock renewal failed; retrying', { error: ensureError(error).message });
        }
      },
    );
  }, renewEvery);
  try {
    await options.handle(message.body, work.signal);
    work.signal.throwIfAborted();
    await queue.complete(current);
  } catch (thrown) {
    await settleFailure(options, current, ensureError(work.signal.aborted ? (work.signal.reason as unknown) : thrown), log);
  } finally {
    settled = true;
    clearInterval(renewal);
  }
}

async function settleFailure(options: MessagePumpOptions, message: ReceivedMessage, error: Error, log: Logger): Promise<void> {
  const { queue } = options;
  if (error instanceof LockLostError) {
    log.warn('lock lost; the message will be redelivered', { error: error.message });
    return;
  }
  const lastDelivery = message.deliveryCount >= queue.maxDeliveryCount;
  if (error instanceof PermanentError || lastDelivery) {
    const reason = error instanceof PermanentError ? error.code : MAX_DELIVERY_COUNT_EXCEEDED;
    const description = lastDelivery && !(error instanceof PermanentError) ? `failed ${message.deliveryCount} times; last error: ${error.message}` : error.message;
    log.error('dead-lettering message', { reason, description });
    try {
      await queue.deadLetter(message, { reason, description });
    } catch (settleError) {
      if (!(settleError instanceof LockLostError)) throw settleError;
      log.warn('lock lost before dead-lettering; the message will be redelivered');
      return;
    }
    await options.onDeadLetter(message.body, reason, description);
    return;
  }
  const wait = backoffMs(message.deliveryCount);
  log.warn('transient failure; retrying after backoff', { error: error.message, backoffMs: wait });
  await delay(Math.min(wait, Math.max(0, message.lockedUntil.getTime() - Date.now() - 100)));
  try {
    await queue.abandon(message);
  } catch (settleError) {
    if (!(settleError instanceof LockLostError)) throw settleError;
  }
}
