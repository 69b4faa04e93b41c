/**
 * Events between the port's shapes and the Event Hubs SDK's. Bodies travel as raw UTF-8 bytes in
 * an AMQP data section (what a device sending JSON bytes sends, and what the Functions host and
 * Stream Analytics read), never JSON-encoded again by the SDK; they are read with
 * `skipParsingBodyAsJson`, so a body comes back byte for byte. Application properties are the
 * event's properties. The message id (`<appendId>:<index>`) lets `append` find its own events.
 */
import type { EventData, ReceivedEventData } from '@azure/event-hubs';
import { InputError } from '../../core/errors.js';
import type { EventRecord, OutgoingEvent } from '../../ports/eventLog.js';

type Property = string | number | boolean;

export function toEventData(event: OutgoingEvent, messageId: string): EventData {
  for (const [name, value] of Object.entries(event.properties ?? {})) {
    if (typeof value === 'number' && !Number.isFinite(value))
      throw new InputError(`event property "${name}"`, `must be a finite number, got ${value}`);
    if (!['string', 'number', 'boolean'].includes(typeof value))
      throw new InputError(`event property "${name}"`, `must be a string, number or boolean, got ${typeof value}`);
  }
  if (typeof event.body !== 'string') throw new InputError('event body', 'must be a string');
  const data: EventData = { body: Buffer.from(event.body, 'utf8'), messageId };
  if (event.properties && Object.keys(event.properties).length > 0) data.properties = { ...event.properties };
  return data;
}

export function toRecord(partition: number, e: ReceivedEventData): EventRecord {
  const properties: Record<string, Property> = {};
  for (const [name, value] of Object.entries(e.properties ?? {})) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') properties[name] = value;
  }
  return {
    partition,
    sequenceNumber: e.sequenceNumber,
    offset: String(e.offset),
    enqueuedTime: e.enqueuedTimeUtc,
    partitionKey: e.partitionKey ?? undefined,
    body: bodyText(e.body),
    properties,
  };
}

/** A data section arrives as bytes; an amqp-value body (another producer's) as a string or a value. */
function bodyText(body: unknown): string {
  if (Buffer.isBuffer(body)) return body.toString('utf8');
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8');
  if (typeof body === 'string') return body;
  return JSON.stringify(body) ?? '';
}
