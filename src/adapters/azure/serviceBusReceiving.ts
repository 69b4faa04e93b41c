/** Helpers of the Service Bus work queue's receiving side (serviceBusWorkQueue.ts). */
import type { ServiceBusReceivedMessage, ServiceBusReceiver } from '@azure/service-bus';

/** Receives in slices until something arrives, `waitMs` passes, or `signal` aborts. */
export async function receiveInSlices(
  receiver: ServiceBusReceiver,
  max: number,
  waitMs: number,
  sliceMs: number,
  signal?: AbortSignal,
) {
  const deadline = Date.now() + waitMs;
  for (;;) {
    if (signal?.aborted === true) return [];
    const wait = Math.max(1, Math.min(deadline - Date.now(), sliceMs));
    const got = await receiver.receiveMessages(max, { maxWaitTimeInMs: wait });
    if (got.length > 0) return newestDeliveries(got);
    if (Date.now() >= deadline) return [];
  }
}

/** One delivery per message (the last one holds the live lock), in sequence order. */
function newestDeliveries(messages: ServiceBusReceivedMessage[]): ServiceBusReceivedMessage[] {
  const bySeq = new Map<number, ServiceBusReceivedMessage>();
  for (const m of messages) bySeq.set(seqOf(m), m);
  return [...bySeq.values()].sort((a, b) => seqOf(a) - seqOf(b));
}

/** Drops tokens whose lock ended long ago: settling them could only be refused. */
export function forgetExpired(held: Map<string, { message: ServiceBusReceivedMessage }>): void {
  const horizon = Date.now() - 60_000;
  for (const [token, { message }] of held) if ((message.lockedUntilUtc?.getTime() ?? 0) < horizon) held.delete(token);
}

export function serially(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
}

export const seqOf = (m: ServiceBusReceivedMessage): number => m.sequenceNumber?.toNumber() ?? 0;
