import { createHash } from 'node:crypto';
import type { Reading } from '../core/readings.js';
import { formatTimestamp } from '../core/timestamps.js';

/** The schema tag of a reading event body. */
export const READING_SCHEMA = 'tessera.reading/v1';

/** The JSON body of one reading event, as producers send it (the consumer validates it). */
export interface ReadingEventBody {
  readonly schema: typeof READING_SCHEMA;
  /** Stable id, so the consumer can drop redeliveries and re-sends: see `readingEventId`. */
  readonly id: string;
  readonly deviceId: string;
  readonly tag: string;
  /** Event time, ISO 8601 UTC. */
  readonly ts: string;
  readonly value: number;
  /** History sent on purpose (`send --backfill`): held to the backfill horizon, never re-timed. */
  readonly backfill?: true;
}

/**
 * A reading's id: the first 32 hex digits of the SHA-256 of its device, tag, canonical timestamp and
 * value. Sending the same file again (or the same rows from stdin) gives the same ids, so the consumer
 * counts them once; two files that merely share a name never collide, as a "file:line" id would.
 */
export function readingEventId(reading: Reading): string {
  const text = [reading.device, reading.tag, formatTimestamp(reading.ts), String(reading.value)].join('\u001f');
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

export function readingEventBody(reading: Reading, backfill = false): ReadingEventBody {
  return {
    schema: READING_SCHEMA,
    id: readingEventId(reading),
    deviceId: reading.device,
    tag: reading.tag,
    ts: formatTimestamp(reading.ts),
    value: reading.value,
    ...(backfill ? { backfill: true as const } : {}),
  };
}

/**
 * A JSON reading message with every reading marked `"backfill": true` (the single form, or each
 * object of a batch's `readings`); a body that is not such a message is returned as it is (the
 * decoder then says what is wrong with it).
 */
export function markedBackfill(body: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return body;
  }
  if (!isObject(parsed)) return body;
  if (parsed.readings === undefined) return JSON.stringify({ ...parsed, backfill: true });
  if (!Array.isArray(parsed.readings)) return body;
  const readings: unknown[] = parsed.readings.map((r: unknown) => (isObject(r) ? { ...r, backfill: true } : r));
  return JSON.stringify({ ...parsed, readings });
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The partition key of a raw event body: the `deviceId` of the reading, or of the first reading of a
 * batch (a JSON array, or an object with a `readings` array). Undefined when the body is not JSON or
 * carries no string `deviceId`: such an event still goes to the log, and the consumer dead-letters it.
 */
export function readingPartitionKey(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const first: unknown = Array.isArray(parsed)
    ? parsed[0]
    : isObject(parsed) && Array.isArray(parsed.readings)
      ? parsed.readings[0]
      : parsed;
  return isObject(first) && typeof first.deviceId === 'string' && first.deviceId !== '' ? first.deviceId : undefined;
}
