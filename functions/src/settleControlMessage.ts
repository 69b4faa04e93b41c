/**
 * How a control-queue invocation's outcome becomes the host's settlement. The installed
 * @azure/functions (4.x) gives a Node handler no settlement actions (those need the preview
 * @azure/functions-extensions-servicebus package and `sdkBinding`), so the host settles: it
 * completes the message when the handler returns and abandons it when the handler throws
 * (host.json `autoCompleteMessages: true`). Mirroring the embedded message pump:
 * - success → return: completed;
 * - PermanentError → the ledger records it as dead-lettered (its job fails with the reason) and the
 *   handler returns, so the message is completed at once instead of retried until the delivery count
 *   runs out. It is not in the dead-letter subqueue: the ledger is its record;
 * - any other error → a backoff with jitter, then rethrow: abandoned and redelivered. On the last
 *   allowed delivery the ledger records it first, and Service Bus itself dead-letters the message
 *   (MaxDeliveryCountExceeded), so it can be inspected and re-driven.
 */
import { PermanentError, ensureError } from '../../src/core/errors.js';
import { MAX_DELIVERY_COUNT_EXCEEDED } from '../../src/ports/workQueue.js';
import { backoffMs } from '../../src/hosting/backoff.js';
import { delay } from '../../src/lib/delay.js';
import type { AzureContext } from '../../src/composition/azure/azureContext.js';
import { recordDeadLetter } from '../../src/usecases/deadLetters.js';

export interface Delivery {
  readonly messageId: string;
  /** 1 on the first delivery (Service Bus `DeliveryCount`). */
  readonly deliveryCount: number;
}

export async function settleControlMessage(
  ctx: AzureContext,
  body: unknown,
  delivery: Delivery,
  work: () => Promise<void>,
): Promise<void> {
  const log = ctx.log.child({ messageId: delivery.messageId, deliveryCount: delivery.deliveryCount });
  try {
    await work();
  } catch (thrown) {
    const error = ensureError(thrown);
    if (error instanceof PermanentError) {
      log.error('permanent failure: recorded as dead-lettered, message completed', {
        reason: error.code,
        description: error.message,
      });
      await recordDeadLetter(ctx.deps, body, error.code, error.message);
      return;
    }
    if (delivery.deliveryCount >= ctx.control.maxDeliveryCount) {
      const description = `failed ${delivery.deliveryCount} times; last error: ${error.message}`;
      log.error('last delivery failed: recorded as dead-lettered; Service Bus dead-letters the message', {
        reason: MAX_DELIVERY_COUNT_EXCEEDED,
        description,
      });
      await recordDeadLetter(ctx.deps, body, MAX_DELIVERY_COUNT_EXCEEDED, description);
      throw error;
    }
    const wait = backoffMs(delivery.deliveryCount);
    log.warn('transient failure; redelivered after backoff', { error: error.message, backoffMs: wait });
    await delay(wait);
    throw error;
  }
}
