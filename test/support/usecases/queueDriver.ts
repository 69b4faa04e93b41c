import { PermanentError, ensureError } from '../../../src/core/errors.js';
import { MAX_DELIVERY_COUNT_EXCEEDED, type ReceivedMessage, type WorkQueue } from '../../../src/ports/workQueue.js';
import type { AnomalyDeps } from '../../../src/usecases/anomaly/deps.js';
import { anomalyJob } from '../../../src/usecases/anomaly/anomalyJob.js';
import { recordDeadLetter } from '../../../src/usecases/deadLetters.js';
import { createJobDispatcher } from '../../../src/usecases/jobDispatcher.js';
import type { JobDeps } from '../../../src/usecases/jobDeps.js';

/** What a queue message asks for, run with `deps` (the runtime's dispatcher over the anomaly job kind). */
export function messageHandler(deps: AnomalyDeps): (body: unknown, signal?: AbortSignal) => Promise<void> {
  return createJobDispatcher(deps, [anomalyJob(deps)]);
}

export interface DrainLog {
  readonly completed: ReceivedMessage[];
  readonly deadLettered: { readonly message: ReceivedMessage; readonly reason: string; readonly description: string }[];
  readonly abandoned: { readonly message: ReceivedMessage; readonly error: Error }[];
  /** The message `holdWhen` matched: received, locked, neither handled nor settled. */
  held?: ReceivedMessage;
}

/**
 * The message pump's settling rules in a loop, in-process, until the queue has nothing receivable:
 * receive one → handle → complete; a PermanentError (or the last allowed delivery) is dead-lettered
 * and recorded in the ledger at once; anything else is abandoned for redelivery. Stops early,
 * holding the message, when `holdWhen` matches it.
 */
export async function drainQueue(
  deps: JobDeps,
  options: {
    handle?: (body: unknown) => Promise<void>;
    maxSteps?: number;
    holdWhen?: (message: ReceivedMessage) => boolean;
  } = {},
): Promise<DrainLog> {
  const queue: WorkQueue = deps.queue;
  const handle = options.handle ?? messageHandler(deps as AnomalyDeps);
  const log: DrainLog = { completed: [], deadLettered: [], abandoned: [] };
  for (let step = 0; step < (options.maxSteps ?? 10_000); step++) {
    const [message] = await queue.receive({ maxMessages: 1, maxWaitMs: 0 });
    if (!message) return log;
    if (options.holdWhen?.(message)) {
      log.held = message;
      return log;
    }
    try {
      await handle(message.body);
      await queue.complete(message);
      log.completed.push(message);
    } catch (thrown) {
      const error = ensureError(thrown);
      const last = message.deliveryCount >= queue.maxDeliveryCount;
      if (error instanceof PermanentError || last) {
        const reason = error instanceof PermanentError ? error.code : MAX_DELIVERY_COUNT_EXCEEDED;
        await queue.deadLetter(message, { reason, description: error.message });
        await recordDeadLetter(deps, message.body, reason, error.message);
        log.deadLettered.push({ message, reason, description: error.message });
      } else {
        await queue.abandon(message);
        log.abandoned.push({ message, error });
      }
    }
  }
  throw new Error(`drainQueue: the queue did not empty in ${options.maxSteps ?? 10_000} steps`);
}

export interface QueuedMessage {
  readonly messageId: string;
  readonly kind: string;
  readonly shardId: string | undefined;
  readonly body: unknown;
  readonly sequenceNumber: number;
}

/**
 * The active queue's receivable messages, through the port only: receives them all and abandons
 * them at once (each costs one delivery, which the tests leave room for).
 */
export async function queuedMessages(queue: WorkQueue): Promise<QueuedMessage[]> {
  const received = await queue.receive({ maxMessages: 10_000, maxWaitMs: 0 });
  for (const m of received) await queue.abandon(m);
  return received.map((m) => {
    const body = m.body as { kind?: string; shardId?: string };
    return {
      messageId: m.messageId,
      kind: body.kind ?? '',
      shardId: body.shardId,
      body: m.body,
      sequenceNumber: m.sequenceNumber,
    };
  });
}
