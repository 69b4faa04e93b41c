/**
 * The Functions app's part, in-process: a loop that does what the host does with the `control`
 * queue (peek-lock receive, invoke the controlQueue function with its trigger metadata, complete
 * when it returns, abandon when it throws), until stopped.
 */
import { controlQueue } from '../../../functions/src/functions/controlQueue.js';
import type { AzureWorld } from '../../functions/support/azureWorld.js';

export interface ControlLoop {
  /** Messages handled, by outcome. */
  readonly handled: { completed: number; abandoned: number };
  stop(): Promise<void>;
}

export function startControlLoop(world: AzureWorld): ControlLoop {
  const stop = new AbortController();
  const handled = { completed: 0, abandoned: 0 };
  const { control } = world.ctx;
  const loop = (async () => {
    while (!stop.signal.aborted) {
      const [message] = await control.receive({ maxMessages: 1, maxWaitMs: 500, signal: stop.signal });
      if (!message) continue;
      const invocation = world.invocation('controlQueue', {
        messageId: message.messageId,
        deliveryCount: message.deliveryCount,
        sequenceNumber: message.sequenceNumber,
        applicationProperties: message.applicationProperties,
      });
      try {
        await controlQueue(message.body, invocation);
      } catch {
        await control.abandon(message);
        handled.abandoned += 1;
        continue;
      }
      await control.complete(message);
      handled.completed += 1;
    }
  })();
  return {
    handled,
    async stop() {
      stop.abort();
      await loop;
    },
  };
}
