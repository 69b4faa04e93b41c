/**
 * Conversions between the port's messages and the SDK's, and the re-drive id scheme.
 *
 * Re-drive and duplicate detection: Service Bus drops a message whose id was sent within the
 * duplicate-detection window, so re-sending a dead letter with its own id would silently lose it.
 * A re-driven copy is therefore sent with the derived id `${id}~r${n}` (n counts re-drives of that
 * message) and carries the original id in the application property `tessera-original-message-id`;
 * received and peeked messages report the original id as `messageId`, so the port contract holds.
 * Re-driving is idempotent: if a re-drive crashes after sending and before completing the dead
 * letter, the next re-drive derives the same id and Service Bus drops the second copy.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { PeekMessagesOptions, ServiceBusMessage, ServiceBusReceivedMessage } from '@azure/service-bus';
import { InputError } from '../../core/errors.js';
import type { DeadLetteredMessage, OutgoingMessage, ReceivedMessage } from '../../ports/workQueue.js';

export const ORIGINAL_ID = 'tessera-original-message-id';
export const REDRIVE_COUNT = 'tessera-redrive-count';
export const DEAD_LETTERED_AT = 'tessera-dead-lettered-at';
/** Properties the adapter or the service owns; hidden from `applicationProperties`. */
const RESERVED = new Set([
  ORIGINAL_ID,
  REDRIVE_COUNT,
  DEAD_LETTERED_AT,
  'DeadLetterReason',
  'DeadLetterErrorDescription',
]);
/** Service Bus limit on MessageId. */
const MAX_ID_LENGTH = 128;

type Properties = Readonly<Record<string, string | number | boolean>>;
export type SequenceNumber = NonNullable<PeekMessagesOptions['fromSequenceNumber']>;

// The SDK takes sequence numbers as `long` instances; use the very `long` the SDK itself loads.
const sdkRequire = createRequire(createRequire(import.meta.url).resolve('@azure/service-bus'));
const Long = sdkRequire('long') as { fromNumber(value: number): SequenceNumber };
export const toSequenceNumber = (value: number): SequenceNumber => Long.fromNumber(value);

export function toServiceBusMessage(message: OutgoingMessage): ServiceBusMessage {
  const { messageId } = message;
  if (typeof messageId !== 'string' || messageId.length === 0 || messageId.length > MAX_ID_LENGTH) {
    throw new InputError('messageId', `must be a string of 1 to ${MAX_ID_LENGTH} characters`);
  }
  if (JSON.stringify(message.body) === undefined)
    throw new InputError(`body of message ${messageId}`, 'must be JSON-serialisable');
  const at = message.scheduledEnqueueTime?.getTime();
  if (at !== undefined && Number.isNaN(at))
    throw new InputError(`scheduledEnqueueTime of message ${messageId}`, 'is not a valid date');
  const properties = message.applicationProperties ?? {};
  const reserved = Object.keys(properties).find((key) => RESERVED.has(key));
  if (reserved !== undefined)
    throw new InputError(`application property ${reserved} of message ${messageId}`, 'is reserved');
  return {
    messageId,
    body: message.body,
    contentType: 'application/json',
    applicationProperties: { ...properties },
    ...(message.subject === undefined ? {} : { subject: message.subject }),
    ...(message.scheduledEnqueueTime === undefined ? {} : { scheduledEnqueueTimeUtc: message.scheduledEnqueueTime }),
  };
}

export function toReceived(message: ServiceBusReceivedMessage): ReceivedMessage {
  return {
    ...common(message),
    lockToken: message.lockToken ?? '',
    lockedUntil: message.lockedUntilUtc ?? new Date(0),
  };
}

/**
 * Service Bus records no dead-lettering time: the adapter stamps `tessera-dead-lettered-at` when it
 * dead-letters; for a message the service dead-lettered (MaxDeliveryCountExceeded) it reports the
 * enqueue time instead.
 */
export function toDeadLettered(message: ServiceBusReceivedMessage): DeadLetteredMessage {
  const base = common(message);
  const stamped = message.applicationProperties?.[DEAD_LETTERED_AT];
  return {
    ...base,
    deadLetterReason: message.deadLetterReason ?? '',
    deadLetterErrorDescription: message.deadLetterErrorDescription ?? '',
    deadLetteredAt: typeof stamped === 'number' ? new Date(stamped) : base.enqueuedAt,
  };
}

/** The copy a re-drive sends to the active queue (see the file comment). */
export function redriveCopy(dead: ServiceBusReceivedMessage): ServiceBusMessage {
  const original = originalId(dead);
  const count = Number(dead.applicationProperties?.[REDRIVE_COUNT] ?? 0) + 1;
  const base =
    original.length + `~r${count}`.length <= MAX_ID_LENGTH
      ? original
      : createHash('sha256').update(original).digest('hex');
  return {
    messageId: `${base}~r${count}`,
    body: dead.body as unknown,
    contentType: 'application/json',
    applicationProperties: { ...userProperties(dead), [ORIGINAL_ID]: original, [REDRIVE_COUNT]: count },
    ...(dead.subject === undefined ? {} : { subject: dead.subject }),
  };
}

function common(message: ServiceBusReceivedMessage) {
  return {
    messageId: originalId(message),
    body: message.body as unknown,
    subject: message.subject,
    applicationProperties: userProperties(message),
    sequenceNumber: message.sequenceNumber?.toNumber() ?? 0,
    deliveryCount: message.deliveryCount ?? 0,
    enqueuedAt: message.enqueuedTimeUtc ?? new Date(0),
  };
}

function originalId(message: ServiceBusReceivedMessage): string {
  const original = message.applicationProperties?.[ORIGINAL_ID];
  return typeof original === 'string' ? original : String(message.messageId);
}

function userProperties(message: ServiceBusReceivedMessage): Properties {
  const out: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(message.applicationProperties ?? {})) {
    if (RESERVED.has(key)) continue;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') out[key] = value;
  }
  return out;
}
