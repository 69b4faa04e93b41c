/**
 * WorkQueue on an Azure Service Bus queue (@azure/service-bus), peek-lock.
 *
 * - The queue's LockDuration, MaxDeliveryCount and duplicate detection (RequiresDuplicateDetection
 *   with its window) are entity settings made by the infrastructure; the adapter is told the first two
 *   so it can report them, and never changes them.
 * - `receive` calls the SDK in slices of at most `receiveSliceMs` (default a quarter of the lock, at
 *   most 500 ms), so an abort ends the wait within one slice without losing messages the SDK already
 *   holds, and messages never sit in the SDK long enough for their lock to expire. A message seen twice
 *   in one slice (its lock expired meanwhile) is returned once, with its newest lock. The SDK's own
 *   automatic lock renewal is off: the caller renews (`renewLock`).
 * - `lockToken` maps back to the SDK message object it came from; settling a token this client no
 *   longer holds (settled, or lost) throws LockLostError without a round trip.
 * - `deadLetter` stamps the property `tessera-dead-lettered-at` (Service Bus records no such time).
 * - `abandon` with `retryAfterMs`: Service Bus cannot delay an abandoned message, so the adapter keeps
 *   its lock, renewing it every third of the lock duration, and abandons it when the delay ends
 *   (at once on `close`; after a crash, the lock simply expires).
 * - `redrive` receives from the dead-letter subqueue, sends a copy with a derived message id and the
 *   original id in a property (serviceBusMessages.ts says why), then completes the dead letter.
 * - `countActive` pages through `peekMessages` on the active queue (peek sees locked and scheduled
 *   messages) instead of the administration client, which speaks HTTP and needs Manage rights.
 * - `send` splits a large array into as few batches as fit; batches are not atomic with each other,
 *   so a failed send is retried whole and duplicate detection drops what already arrived.
 * - SDK errors are mapped by code (serviceBusErrors.ts).
 */
import type { TokenCredential } from '@azure/core-auth';
import {
  ServiceBusClient,
  type ServiceBusClientOptions,
  type ServiceBusReceivedMessage,
  type ServiceBusReceiver,
  type ServiceBusSender,
} from '@azure/service-bus';
import { InputError, LockLostError } from '../../core/errors.js';
import type { DeadLetteredMessage, OutgoingMessage, ReceivedMessage, WorkQueue } from '../../ports/workQueue.js';
import { callServiceBus as call } from './serviceBusErrors.js';
import { forgetExpired, receiveInSlices, seqOf, serially } from './serviceBusReceiving.js';
import {
  DEAD_LETTERED_AT,
  redriveCopy,
  toDeadLettered,
  toReceived,
  toSequenceNumber,
  toServiceBusMessage,
} from './serviceBusMessages.js';

export interface ServiceBusWorkQueueOptions {
  readonly client: ServiceBusClient;
  readonly queue: string;
  /** The queue entity's LockDuration. */
  readonly lockDurationMs: number;
  /** The queue entity's MaxDeliveryCount. */
  readonly maxDeliveryCount: number;
  /** Close `client` in `close()` (the factories below own the client they create). */
  readonly closeClient?: boolean;
  /** Longest single SDK receive call (see the file comment). */
  readonly receiveSliceMs?: number;
}

export type ServiceBusWorkQueueSettings = Omit<ServiceBusWorkQueueOptions, 'client' | 'queue' | 'closeClient'> & {
  readonly clientOptions?: ServiceBusClientOptions;
};

const PEEK_PAGE = 250;
const DEFAULT_PEEK = 100;
const REDRIVE_WAIT_MS = 5_000;

/** Production: the namespace host (`<name>.servicebus.windows.net`) and a TokenCredential (managed identity). */
export function serviceBusWorkQueueFromNamespace(
  fullyQualifiedNamespace: string,
  credential: TokenCredential,
  queue: string,
  settings: ServiceBusWorkQueueSettings,
): WorkQueue {
  const client = new ServiceBusClient(fullyQualifiedNamespace, credential, settings.clientOptions);
  return createServiceBusWorkQueue({ ...settings, client, queue, closeClient: true });
}

/**
 * For emulators and test brokers only (`UseDevelopmentEmulator=true` makes the SDK speak plain AMQP
 * to the endpoint's port). Production namespaces disable local (SAS) auth: use
 * serviceBusWorkQueueFromNamespace.
 */
export function serviceBusWorkQueueFromConnectionString(
  connectionString: string,
  queue: string,
  settings: ServiceBusWorkQueueSettings,
): WorkQueue {
  const client = new ServiceBusClient(connectionString, settings.clientOptions);
  return createServiceBusWorkQueue({ ...settings, client, queue, closeClient: true });
}

export function createServiceBusWorkQueue(options: ServiceBusWorkQueueOptions): WorkQueue {
  const { client, queue } = options;
  if (queue.length === 0) throw new InputError('queue name', 'must not be empty');
  const lockDurationMs = positive('lockDurationMs', options.lockDurationMs);
  const maxDeliveryCount = positive('maxDeliveryCount', options.maxDeliveryCount);
  const sliceMs = positive(
    'receiveSliceMs',
    options.receiveSliceMs ?? Math.max(50, Math.min(500, Math.floor(lockDurationMs / 4))),
  );
  const what = `queue ${queue}`;
  const peekLock = { receiveMode: 'peekLock', maxAutoLockRenewalDurationInMs: 0 } as const;
  let active: ServiceBusReceiver | undefined;
  let dead: ServiceBusReceiver | undefined;
  let sender: ServiceBusSender | undefined;
  const activeReceiver = (): ServiceBusReceiver => (active ??= client.createReceiver(queue, peekLock));
  const deadReceiver = (): ServiceBusReceiver =>
    (dead ??= client.createReceiver(queue, { ...peekLock, subQueueType: 'deadLetter' }));
  const queueSender = (): ServiceBusSender => (sender ??= client.createSender(queue));
  /** Lock token → the SDK message (and its receiver) that holds it. */
  const held = new Map<string, { message: ServiceBusReceivedMessage; receiver: ServiceBusReceiver }>();
  // The SDK allows one receiveMessages at a time per receiver.
  const activeTurn = serially();
  const deadTurn = serially();

  const slices = (receiver: ServiceBusReceiver, max: number, waitMs: number, signal?: AbortSignal) =>
    call(what, () => receiveInSlices(receiver, max, waitMs, sliceMs, signal));

  /** Runs `action` on the SDK message behind `message.lockToken`; a settling action ends the lock. */
  const withLock = async <T>(
    message: ReceivedMessage,
    settles: boolean,
    action: (r: ServiceBusReceiver, m: ServiceBusReceivedMessage) => Promise<T>,
  ): Promise<T> => {
    const entry = held.get(message.lockToken);
    if (entry === undefined) throw new LockLostError(message.messageId);
    try {
      const result = await call(what, () => action(entry.receiver, entry.message), message.messageId);
      if (settles) held.delete(message.lockToken);
      return result;
    } catch (error) {
      if (error instanceof LockLostError) held.delete(message.lockToken);
      throw error;
    }
  };

  /** Messages abandoned with a delay, held until it ends: lock token → how to let go of it now. */
  const delayed = new Map<string, () => Promise<void>>();
  const holdUntil = (message: ReceivedMessage, until: number): void => {
    const letGo = async (): Promise<void> => {
      if (!delayed.delete(message.lockToken)) return;
      clearInterval(renewal);
      clearTimeout(timer);
      await withLock(message, true, (r, m) => r.abandonMessage(m)).catch(() => undefined); // else its lock expires
    };
    const renewal = setInterval(
      () => {
        withLock(message, false, (r, m) => r.renewMessageLock(m)).catch((error: unknown) => {
          if (error instanceof LockLostError) void letGo();
        });
      },
      Math.max(50, Math.floor(lockDurationMs / 3)),
    );
    const timer = setTimeout(() => void letGo(), Math.max(0, until - Date.now()));
    renewal.unref();
    timer.unref();
    delayed.set(message.lockToken, letGo);
  };

  const peekAll = async (
    receiver: ServiceBusReceiver,
    from: number,
    limit: number,
  ): Promise<ServiceBusReceivedMessage[]> => {
    const out: ServiceBusReceivedMessage[] = [];
    let next = Math.max(1, from);
    while (out.length < limit) {
      const count = Math.min(PEEK_PAGE, limit - out.length);
      const page = await call(what, () => receiver.peekMessages(count, { fromSequenceNumber: toSequenceNumber(next) }));
      if (page.length === 0) break;
      out.push(...page);
      next = Math.max(...page.map(seqOf)) + 1;
    }
    return out.sort((a, b) => seqOf(a) - seqOf(b));
  };

  return {
    name: queue,
    lockDurationMs,
    maxDeliveryCount,

    async send(messages: readonly OutgoingMessage[]) {
      const converted = messages.map(toServiceBusMessage);
      if (converted.length === 0) return;
      await call(what, async () => {
        const s = queueSender();
        let batch = await s.createMessageBatch();
        for (const m of converted) {
          if (batch.tryAddMessage(m)) continue;
          if (batch.count > 0) {
            await s.sendMessages(batch);
            batch = await s.createMessageBatch();
          }
          if (!batch.tryAddMessage(m))
            throw new InputError(
              `message ${String(m.messageId)}`,
              `is larger than the queue accepts (${batch.maxSizeInBytes} bytes)`,
            );
        }
        await s.sendMessages(batch);
      });
    },

    async receive(receiveOptions = {}) {
      const maxMessages = positive('maxMessages', receiveOptions.maxMessages ?? 1);
      const maxWaitMs = receiveOptions.maxWaitMs ?? 0;
      if (!(maxWaitMs >= 0)) throw new InputError('maxWaitMs', `must be ≥ 0, got ${maxWaitMs}`);
      const receiver = activeReceiver();
      const got = await activeTurn(() => slices(receiver, maxMessages, maxWaitMs, receiveOptions.signal));
      forgetExpired(held);
      for (const message of got) held.set(message.lockToken ?? '', { message, receiver });
      return got.map(toReceived);
    },

    renewLock: (message) => withLock(message, false, (r, m) => r.renewMessageLock(m)),
    complete: (message) => withLock(message, true, (r, m) => r.completeMessage(m)),
    async abandon(message, abandonOptions = {}) {
      const after = abandonOptions.retryAfterMs ?? 0;
      if (!(Number.isSafeInteger(after) && after >= 0))
        throw new InputError('retryAfterMs', `must be a non-negative integer, got ${after}`);
      if (after === 0) return withLock(message, true, (r, m) => r.abandonMessage(m));
      // Service Bus has no delayed abandon: hold the lock (renewing it) until the delay ends.
      await withLock(message, false, (r, m) => r.renewMessageLock(m));
      holdUntil(message, Date.now() + after);
    },
    deadLetter: (message, details) =>
      withLock(message, true, (r, m) =>
        r.deadLetterMessage(m, {
          deadLetterReason: details.reason,
          deadLetterErrorDescription: details.description,
          [DEAD_LETTERED_AT]: Date.now(),
        }),
      ),

    async peekDeadLetters(peekOptions = {}): Promise<DeadLetteredMessage[]> {
      const limit = positive('maxMessages', peekOptions.maxMessages ?? DEFAULT_PEEK);
      return (await peekAll(deadReceiver(), peekOptions.fromSequenceNumber ?? 1, limit)).map(toDeadLettered);
    },

    async redrive(sequenceNumbers) {
      const present = (await peekAll(deadReceiver(), 1, Number.MAX_SAFE_INTEGER)).map(seqOf);
      const wanted = new Set(
        sequenceNumbers === undefined ? present : sequenceNumbers.filter((n) => present.includes(n)),
      );
      if (wanted.size === 0) return 0;
      const receiver = deadReceiver();
      return deadTurn(async () => {
        const kept: ServiceBusReceivedMessage[] = [];
        const seen = new Set<number>();
        let moved = 0;
        try {
          while (wanted.size > 0) {
            const batch = await slices(receiver, Math.max(1, present.length - seen.size), REDRIVE_WAIT_MS);
            if (batch.length === 0 || batch.some((m) => seen.has(seqOf(m)))) {
              kept.push(...batch); // went round once: what is left is locked elsewhere or gone
              break;
            }
            for (const m of batch) {
              seen.add(seqOf(m));
              if (!wanted.delete(seqOf(m))) {
                kept.push(m);
                continue;
              }
              await call(what, () => queueSender().sendMessages(redriveCopy(m)));
              await call(what, () => receiver.completeMessage(m), String(m.messageId));
              moved += 1;
            }
          }
        } finally {
          // Let the other dead letters go at once; if this fails their locks simply expire.
          await Promise.allSettled(kept.map((m) => receiver.abandonMessage(m)));
        }
        return moved;
      });
    },

    async countActive() {
      return (await peekAll(activeReceiver(), 1, Number.MAX_SAFE_INTEGER)).length;
    },

    async close() {
      await Promise.all([...delayed.values()].map((letGo) => letGo()));
      held.clear();
      await Promise.all([active?.close(), dead?.close(), sender?.close()]);
      if (options.closeClient === true) await client.close();
    },
  };
}

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new InputError(name, `must be a positive integer, got ${value}`);
  return value;
}
