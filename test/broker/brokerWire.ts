/**
 * How the test broker puts stored messages on the wire, in the shape the Service Bus SDK reads:
 * the broker-owned annotations (x-opt-sequence-number, x-opt-enqueued-time, x-opt-locked-until,
 * x-opt-scheduled-enqueue-time, x-opt-message-state), the header delivery-count (Service Bus sends
 * the number of deliveries so far, 1 on the first), and lock tokens as delivery tags in .NET GUID
 * byte order (the SDK swaps the first three groups back).
 */
import rhea, { type Message } from 'rhea';
import type { StoredMessage } from './brokerQueue.js';

/** rhea's outcome constructors exist at runtime but are missing from its typings. */
interface OutcomeFactory {
  described(): unknown;
}
const outcomes = rhea.message as unknown as {
  accepted(): OutcomeFactory;
  rejected(fields: { error: { condition: string; description: string } }): OutcomeFactory;
};

export const accepted = (): unknown => outcomes.accepted().described();
export const rejected = (condition: string, description: string): unknown =>
  outcomes.rejected({ error: { condition, description } }).described();

/** The message as a receiver or a peek sees it now. */
export function onTheWire(m: StoredMessage, now: number): Message {
  const annotations: Record<string, unknown> = {
    ...(m.message.message_annotations ?? {}),
    'x-opt-sequence-number': rhea.types.wrap_long(m.seq),
    'x-opt-enqueued-time': rhea.types.wrap_timestamp(m.enqueuedAt),
  };
  if (m.lock !== undefined) annotations['x-opt-locked-until'] = rhea.types.wrap_timestamp(m.lock.until);
  if (m.visibleAt > m.enqueuedAt) annotations['x-opt-scheduled-enqueue-time'] = rhea.types.wrap_timestamp(m.visibleAt);
  if (m.visibleAt > now) annotations['x-opt-message-state'] = rhea.types.wrap_int(2);
  return { ...m.message, delivery_count: m.deliveryCount, message_annotations: annotations };
}

/** Lock token (standard uuid string) → delivery tag bytes, and back (the swap is its own inverse). */
export function lockTokenToTag(token: string): Buffer {
  return swapGuidBytes(rhea.string_to_uuid(token));
}

export function uuidToString(bytes: Buffer): string {
  return rhea.uuid_to_string(bytes);
}

function swapGuidBytes(b: Buffer): Buffer {
  const order = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
  return Buffer.from(order.map((i) => b[i] ?? 0));
}

/** The messages inside a Service Bus batch (format 0x80013700: an envelope whose data sections each hold one encoded message). */
export const BATCH_FORMAT = 0x80013700;
export function unbatch(payload: Message | Buffer, format: number): Message[] {
  if (format !== BATCH_FORMAT) return [payload as Message];
  const envelope = decode(payload as Buffer);
  const body = envelope.body as { multiple?: boolean; content: Buffer | Buffer[] };
  const parts = body.multiple === true ? (body.content as Buffer[]) : [body.content as Buffer];
  return parts.map(decode);
}

export const decode = (bytes: Buffer): Message => rhea.message.decode(bytes) as unknown as Message;

/** An optional string field of a request or an outcome. */
export const optionalString = (v: unknown): string | undefined =>
  v === undefined || v === null ? undefined : typeof v === 'string' ? v : JSON.stringify(v);

/** A request-response reply: status in both spellings the SDKs read, correlated to the request. */
export function reply(
  request: Message,
  status: number,
  body: unknown,
  error?: { condition: string; description: string },
): Message {
  const properties: Record<string, unknown> = { statusCode: status, 'status-code': status };
  const description = error?.description ?? (status < 300 ? 'OK' : 'Error');
  properties['statusDescription'] = description;
  properties['status-description'] = description;
  if (error !== undefined) properties['errorCondition'] = error.condition;
  return { correlation_id: request.message_id, to: request.reply_to, application_properties: properties, body };
}
