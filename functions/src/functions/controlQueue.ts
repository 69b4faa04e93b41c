import { app, type InvocationContext } from '@azure/functions';
import { forwardLifecycleToWorkers } from '../../../src/usecases/forwardLifecycle.js';
import { contextFor } from '../context.js';
import { tracedHandler } from '../tracedHandler.js';
import { decodeMessageBody } from '../messageBody.js';
import { settleControlMessage } from '../settleControlMessage.js';

/**
 * A plan or finish message on the control queue: the dispatcher runs the use case of the job's
 * kind (plan queues its shards on the `jobs` queue; finish stitches the results), or, for the kinds
 * that need the scorer's tools, forwards it to the scorers. Settlement: settleControlMessage.ts.
 */
async function controlQueueHandler(message: unknown, invocation: InvocationContext): Promise<void> {
  const ctx = await contextFor(invocation);
  const metadata = invocation.triggerMetadata ?? {};
  const delivery = {
    messageId: typeof metadata.messageId === 'string' ? metadata.messageId : invocation.invocationId,
    deliveryCount: typeof metadata.deliveryCount === 'number' ? metadata.deliveryCount : 1,
  };
  await settleControlMessage(ctx, message, delivery, async () => {
    const body = decodeMessageBody(message);
    if (await forwardLifecycleToWorkers(ctx.deps, body, delivery.messageId, ctx.settings.workerLifecycleKinds)) return;
    await ctx.dispatch(body);
    ctx.log.info('control message handled', delivery);
  });
}

/** The handler as registered: the invocation in its own span (tracedHandler.ts). */
export const controlQueue = tracedHandler('pubsub', 'controlQueue', controlQueueHandler);

// The host resolves `%TESSERA_CONTROL_QUEUE%` from the app setting (infra sets `control`) that the
// senders read too (src/composition/azure/azureConfig.ts), so the trigger and the senders name one queue.
// No `retry`: the Service Bus trigger supports no retry policy; redelivery up to the queue's
// maxDeliveryCount is its retry (with the backoff settleControlMessage adds).
app.serviceBusQueue('controlQueue', {
  queueName: '%TESSERA_CONTROL_QUEUE%',
  connection: 'TESSERA_SERVICEBUS',
  cardinality: 'one',
  autoCompleteMessages: true,
  handler: controlQueue,
});
