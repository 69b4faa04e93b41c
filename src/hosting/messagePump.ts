import { trace } from '@opentelemetry/api';
import { LockLostError, PermanentError, TesseraError, ensureError } from '../core/errors.js';
import type { Logger } from '../ports/logger.js';
import { MAX_DELIVERY_COUNT_EXCEEDED, type ReceivedMessage, type WorkQueue } from '../ports/workQueue.js';
import { instruments } from '../telemetry/metrics.js';
import { failSpan, inSpan, SpanKind, traceContextOf } from '../telemetry/tracing.js';
import { DEFAULT_RETRY, retryDelayMs, type RetryPolicy } from './backoff.js';

export interface MessagePumpOptions {
  readonly queue: WorkQueue;
  /**
   * Does the work; throws PermanentError for work that can never succeed. A handler whose heavy
   * part is over (a style shard whose last frames went to the model) may call `nextMayStart`: the
   * pump then takes the next message while this one finishes (encoder flush, upload, ledger), so
   * the model does not sit idle between shards. Each message is still settled by its own outcome.
   */
  readonly handle: (body: unknown, signal: AbortSignal, nextMayStart: () => void) => Promise<void>;
  /** Told after a message was dead-lettered, so its job can account for it. */
  readonly onDeadLetter: (body: unknown, reason: string, description: string) => Promise<void>;
  readonly log: Logger;
  /** How long one receive waits for a message. */
  readonly waitMs?: number;
  /** When a transiently failed message is delivered again (default DEFAULT_RETRY: from 15 s, doubling, to 5 min). */
  readonly retry?: RetryPolicy;
}

/**
 * Receives messages one at a time in peek-lock mode (a second only once the first has called
 * `nextMayStart`, never more than two in hand) and settles each by what its handler did:
 * success completes it; a PermanentError dead-letters it at once with its reason; any other error
 * abandons it with a redelivery delay (exponential with jitter, `retry`: minutes by default), so it
 * is retried later while this pump goes on with other messages, until its last allowed delivery,
 * which is dead-lettered with the error. The lock is renewed while the handler runs; a lost
 * lock aborts the handler's signal, and the message is left to its redelivery.
 * `run` returns when `stop` aborts, after the message in hand is settled.
 *
 * Each message is handled in a CONSUMER span that continues the trace its properties carry (see
 * telemetry/tracing.ts), and counted and timed in the `tessera.messages` metrics by outcome, with
 * the error's code as `error.type` when it failed.
 */
export async function runMessagePump(options: MessagePumpOptions, stop: AbortSignal): Promise<void> {
  const { queue } = options;
  const inHand = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  try {
    while (!stop.aborted && !failure) {
      // The one finishing in the background must settle before a third is taken.
      if (inHand.size >= 2) await Promise.race(inHand);
      if (stop.aborted || failure) break;
      let message: ReceivedMessage | undefined;
      try {
        [message] = await queue.receive({ maxMessages: 1, maxWaitMs: options.waitMs ?? 1000, signal: stop });
      } catch (error) {
        // A message finishing in the background may have failed meanwhile: that failure stops the pump first.
        if (!failure) throw error;
        options.log.warn('receive failed after a message failed', { error: ensureError(error).message });
        break;
      }
      if (!message) continue;
      let nextMayStart!: () => void;
      const released = new Promise<void>((resolve) => {
        nextMayStart = resolve;
      });
      const processing: Promise<void> = processOne(options, message, nextMayStart)
        .catch((error: unknown) => {
          failure ??= { error };
        })
        .finally(() => inHand.delete(processing));
      inHand.add(processing);
      await Promise.race([processing, released]);
    }
  } finally {
    await Promise.all(inHand);
  }
  if (failure) throw failure.error;
}

/** The message kind a body names (`plan`, `score`, `style`, …), for span names and metric labels; never free text. */
export function messageKindOf(body: unknown): string {
  const kind = (body as { kind?: unknown } | null)?.kind;
  return typeof kind === 'string' && /^[a-z][a-z0-9_-]{0,31}$/i.test(kind) ? kind : 'unknown';
}

type Outcome = 'completed' | 'retried' | 'dead_lettered' | 'lock_lost';

/** How a message ended, and the error's code (TesseraError) or name when it failed. */
interface Handled {
  readonly outcome: Outcome;
  readonly errorType?: string;
}

async function processOne(
  options: MessagePumpOptions,
  message: ReceivedMessage,
  nextMayStart: () => void,
): Promise<void> {
  const kind = messageKindOf(message.body);
  const { jobId, shardId } = (message.body ?? {}) as { jobId?: unknown; shardId?: unknown };
  const attributes = {
    'messaging.system': 'tessera',
    'messaging.operation.type': 'process',
    'messaging.destination.name': options.queue.name,
    'messaging.message.id': message.messageId,
    'messaging.delivery_count': message.deliveryCount,
    'tessera.message.kind': kind,
    ...(typeof jobId === 'string' ? { 'tessera.job.id': jobId } : {}),
    ...(typeof shardId === 'string' ? { 'tessera.shard.id': shardId } : {}),
  };
  const started = performance.now();
  const { outcome, errorType } = await inSpan(
    `process ${kind}`,
    { kind: SpanKind.CONSUMER, attributes, parent: traceContextOf(message.applicationProperties) },
    async (span) => {
      const result = await handleOne(options, message, nextMayStart);
      span.setAttribute('tessera.outcome', result.outcome);
      return result;
    },
  );
  const labels = { queue: options.queue.name, kind, outcome, ...(errorType ? { 'error.type': errorType } : {}) };
  instruments().messages.add(1, labels);
  instruments().messageDuration.record((performance.now() - started) / 1000, labels);
}

async function handleOne(
  options: MessagePumpOptions,
  message: ReceivedMessage,
  nextMayStart: () => void,
): Promise<Handled> {
  const { queue } = options;
  const log = options.log.child({ messageId: message.messageId, deliveryCount: message.deliveryCount });
  const work = new AbortController();
  let current = message;
  const renewEvery = Math.max(50, Math.floor(queue.lockDurationMs / 3));
  let settled = false;
  const renewal = setInterval(() => {
    queue.renewLock(current).then(
      (lockedUntil) => {
        current = { ...current, lockedUntil };
        instruments().lockRenewals.add(1, { queue: queue.name, result: 'ok' });
      },
      (error: unknown) => {
        instruments().lockRenewals.add(1, {
          queue: queue.name,
          result: error instanceof LockLostError ? 'lost' : 'failed',
        });
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
    await options.handle(message.body, work.signal, nextMayStart);
    work.signal.throwIfAborted();
    await queue.complete(current);
    return { outcome: 'completed' };
  } catch (thrown) {
    const error = ensureError(work.signal.aborted ? (work.signal.reason as unknown) : thrown);
    // Recorded on the consumer span (the active one) even when the message is retried.
    const span = trace.getActiveSpan();
    if (span) failSpan(span, error);
    const outcome = await settleFailure(options, current, error, log);
    return { outcome, errorType: error instanceof TesseraError ? error.code : error.name };
  } finally {
    settled = true;
    clearInterval(renewal);
  }
}

async function settleFailure(
  options: MessagePumpOptions,
  message: ReceivedMessage,
  error: Error,
  log: Logger,
): Promise<Outcome> {
  const { queue } = options;
  if (error instanceof LockLostError) {
    log.warn('lock lost; the message will be redelivered', { error: error.message });
    return 'lock_lost';
  }
  const lastDelivery = message.deliveryCount >= queue.maxDeliveryCount;
  if (error instanceof PermanentError || lastDelivery) {
    const reason = error instanceof PermanentError ? error.code : MAX_DELIVERY_COUNT_EXCEEDED;
    const description =
      lastDelivery && !(error instanceof PermanentError)
        ? `failed ${message.deliveryCount} times; last error: ${error.message}`
        : error.message;
    log.error('dead-lettering message', { reason, description });
    try {
      await queue.deadLetter(message, { reason, description });
    } catch (settleError) {
      if (!(settleError instanceof LockLostError)) throw settleError;
      log.warn('lock lost before dead-lettering; the message will be redelivered');
      return 'lock_lost';
    }
    await options.onDeadLetter(message.body, reason, description);
    return 'dead_lettered';
  }
  const retryAfterMs = retryDelayMs(message.deliveryCount, options.retry ?? DEFAULT_RETRY);
  log.warn('transient failure; retrying after backoff', { error: error.message, retryAfterMs });
  try {
    await queue.abandon(message, { retryAfterMs });
  } catch (settleError) {
    if (!(settleError instanceof LockLostError)) throw settleError;
    return 'lock_lost';
  }
  return 'retried';
}
