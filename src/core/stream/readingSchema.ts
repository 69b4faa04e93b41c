/**
 * The reading message format, version `tessera.reading/v1`. A message body (UTF-8 JSON) is either
 * one reading or a batch:
 *
 *   { "schema"?: "tessera.reading/v1", "id"?: "…", "deviceId": "7", "tag": "4",
 *     "ts": "2018-08-28T23:00:05Z" | 1535497205000, "value": 84.53, "properties"?: { "k": "v" } }
 *   { "schema": "tessera.reading/v1", "readings": [ reading, … ] }
 *
 * `ts` is ISO 8601 (no zone = UTC, as in the sensor files) or integer epoch milliseconds. `id` is the
 * producer's event id, unique per device: a reading whose id was seen recently is a duplicate.
 * Unknown fields are ignored (a tolerant reader), so producers may add fields within v1.
 * The JSON Schema document of the format is in `readingJsonSchema.ts`.
 */
import { parseEventTime } from './eventTime.js';

export const READING_SCHEMA_V1 = 'tessera.reading/v1';

/** A validated reading. Every field is always present (one object shape on the hot path). */
export interface StreamReading {
  /** The producer's event id, or undefined when it sent none. */
  readonly id: string | undefined;
  readonly deviceId: string;
  readonly tag: string;
  /** Event time, epoch milliseconds (UTC). */
  readonly ts: number;
  /** Finite. */
  readonly value: number;
  readonly properties: Readonly<Record<string, string | number | boolean>> | undefined;
}

/** Why a message or a reading was rejected. Stable strings: they key the dead-letter store and counters. */
export type RejectReason =
  | 'oversized message'
  | 'malformed json'
  | 'not an object'
  | 'unknown schema version'
  | 'missing field'
  | 'wrong type'
  | 'invalid device or tag'
  | 'non-finite value'
  | 'unparseable timestamp'
  | 'timestamp too far in the future'
  | 'timestamp too far in the past';

export interface ReadingReject {
  /** null: the whole message (size, JSON, envelope); otherwise the reading's position (0 for the single form). */
  readonly index: number | null;
  readonly reason: RejectReason;
  readonly detail: string;
}

export interface DecodeLimits {
  /** Body size limit in UTF-8 bytes; a larger body is rejected unparsed. Default 1 MiB (Event Hubs' limit). */
  readonly maxBytes?: number;
  /** How far past `nowMs` an event time may be. Default 5 minutes (producer clock skew). */
  readonly maxFutureMs?: number;
  /** How far before `nowMs` an event time may be. Default 7 days (Event Hubs' longest standard retention). */
  readonly maxPastMs?: number;
  /** The clock the time limits are measured from (the caller's; the core never reads one). */
  readonly nowMs: number;
}

export const DEFAULT_MAX_BYTES = 1_048_576;
export const DEFAULT_MAX_FUTURE_MS = 5 * 60_000;
export const DEFAULT_MAX_PAST_MS = 7 * 86_400_000;


export interface DecodedReadings {
  readonly readings: StreamReading[];
  readonly rejects: ReadingReject[];
}

/**
 * Decodes and validates one message body. Never throws: whatever is wrong becomes a reject with a
 * stable reason. The whole message is rejected (index null) when it is over `maxBytes` (checked
 * before parsing), is not JSON, is not an object, or is a batch with a bad envelope; otherwise each
 * reading is checked on its own and the good ones of a batch are kept.
 */
export function decodeReadings(body: string, limits: DecodeLimits): DecodedReadings {
  const readings: StreamReading[] = [];
  const rejects: ReadingReject[] = [];
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_BYTES;
  if (body.length * 3 > maxBytes) {
    const bytes = utf8Length(body);
    if (bytes > maxBytes) {
      rejects.push({ index: null, reason: 'oversized message', detail: `${bytes} bytes, over the limit of ${maxBytes}` });
      return { readings, rejects };
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (e) {
    rejects.push({ index: null, reason: 'malformed json', detail: e instanceof Error ? e.message.slice(0, 200) : 'unparseable' });
    return { readings, rejects };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    rejects.push({ index: null, reason: 'not an object', detail: `the body is ${describe(parsed)}, not a reading or a batch` });
    return { readings, rejects };
  }
  const minTs = limits.nowMs - (limits.maxPastMs ?? DEFAULT_MAX_PAST_MS);
  const maxTs = limits.nowMs + (limits.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS);
  const message = parsed as Record<string, unknown>;
  const batch = message.readings;
  if (batch === undefined) {
    decodeOne(message, 0, minTs, maxTs, readings, rejects);
    return { readings, rejects };
  }
  const envelope = checkEnvelope(message.schema, batch);
  if (envelope !== undefined) {
    rejects.push(envelope);
    return { readings, rejects };
  }
  const items = batch as unknown[];
  for (let i = 0; i < items.length; i++) decodeOne(items[i], i, minTs, maxTs, readings, rejects);
  return { readings, rejects };
}

function checkEnvelope(schema: unknown, batch: unknown): ReadingReject | undefined {
  if (schema === undefined) return { index: null, reason: 'missing field', detail: 'a batch needs "schema"' };
  if (schema !== READING_SCHEMA_V1) return { index: null, reason: 'unknown schema version', detail: `"${String(schema).slice(0, 60)}" (this decoder reads ${READING_SCHEMA_V1})` };
  if (!Array.isArray(batch)) return { index: null, reason: 'wrong type', detail: `"readings" is ${describe(batch)}, not an array` };
  return undefined;
}

function decodeOne(item: unknown, index: number, minTs: number, maxTs: number, readings: StreamReading[], rejects: ReadingReject[]): void {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    rejects.push({ index, reason: 'not an object', detail: `the reading is ${describe(item)}` });
    return;
  }
  const o = item as Record<string, unknown>;
  const schema = o.schema;
  if (schema !== undefined && schema !== READING_SCHEMA_V1) {
    rejects.push({ index, reason: 'unknown schema version', detail: `"${String(schema).slice(0, 60)}" (this decoder reads ${READING_SCHEMA_V1})` });
    return;
  }
  const deviceId = o.deviceId, tag = o.tag, rawTs = o.ts, value = o.value, id = o.id, properties = o.properties;
  const problem =
    checkName('deviceId', deviceId) ??
    checkName('tag', tag) ??
    checkValue(value) ??
    (id !== undefined && (typeof id !== 'string' || id === '') ? (['wrong type', `"id" must be a non-empty string, found ${describe(id)}`] as const) : undefined) ??
    (properties !== undefined ? checkProperties(properties) : undefined);
  if (problem !== undefined) {
    rejects.push({ index, reason: problem[0], detail: problem[1] });
    return;
  }
  const ts = typeof rawTs === 'number' && Number.isSafeInteger(rawTs) ? rawTs : decodeTs(rawTs, index, rejects);
  if (ts === undefined) return;
  if (ts > maxTs || ts < minTs) {
    const future = ts > maxTs;
    rejects.push({
      index,
      reason: future ? 'timestamp too far in the future' : 'timestamp too far in the past',
      detail: `${formatEventTime(ts)} is ${Math.abs(future ? ts - maxTs : minTs - ts)} ms beyond the limit`,
    });
    return;
  }
  readings.push({
    id: id as string | undefined,
    deviceId: deviceId as string,
    tag: tag as string,
    ts,
    value: value as number,
    properties: properties as Record<string, string | number | boolean> | undefined,
  });
}

type Problem = readonly [RejectReason, string];

function checkName(field: string, v: unknown): Problem | undefined {
  if (typeof v === 'string') {
    if (v === '' || v.includes('\u0000')) return ['invalid device or tag', `"${field}" must be non-empty and free of NUL characters`];
    return undefined;
  }
  if (v === undefined) return ['missing field', `"${field}" is required`];
  return ['wrong type', `"${field}" must be a string, found ${describe(v)}`];
}

const NON_FINITE_WORDS = new Set(['nan', '+nan', '-nan', 'inf', '+inf', '-inf', 'infinity', '+infinity', '-infinity']);

function checkValue(v: unknown): Problem | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? undefined : ['non-finite value', `${v} (the JSON number overflows a double)`];
  if (v === undefined) return ['missing field', '"value" is required'];
  if (v === null) return ['non-finite value', 'null (JSON.stringify writes NaN and Infinity as null)'];
  if (typeof v === 'string' && NON_FINITE_WORDS.has(v.trim().toLowerCase())) return ['non-finite value', `"${v.slice(0, 20)}"`];
  return ['wrong type', `"value" must be a number, found ${describe(v)}`];
}

function checkProperties(p: unknown): Problem | undefined {
  if (typeof p !== 'object' || p === null || Array.isArray(p)) return ['wrong type', `"properties" must be an object, found ${describe(p)}`];
  for (const key in p) {
    const v = (p as Record<string, unknown>)[key];
    const t = typeof v;
    if (t === 'string' || t === 'boolean' || (t === 'number' && Number.isFinite(v))) continue;
    return ['wrong type', `property "${key.slice(0, 60)}" must be a string, a finite number or a boolean, found ${describe(v)}`];
  }
  return undefined;
}

function decodeTs(raw: unknown, index: number, rejects: ReadingReject[]): number | undefined {
  let ts: number | undefined;
  if (typeof raw === 'string') {
    ts = parseEventTime(raw);
    if (ts === undefined) rejects.push({ index, reason: 'unparseable timestamp', detail: `"${raw.slice(0, 40)}" is not ISO 8601` });
  } else if (typeof raw === 'number') {
    rejects.push({ index, reason: 'unparseable timestamp', detail: `${raw} is not an integer number of epoch milliseconds` });
  } else if (raw === undefined) {
    rejects.push({ index, reason: 'missing field', detail: '"ts" is required' });
  } else {
    rejects.push({ index, reason: 'wrong type', detail: `"ts" must be a string or a number, found ${describe(raw)}` });
  }
  return ts;
}

function formatEventTime(ts: number): string {
  return Math.abs(ts) <= 8.64e15 ? new Date(ts).toISOString() : `${ts} ms`;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string "${v.slice(0, 20)}"`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v).slice(0, 20)}`;
}

/** The UTF-8 length of a string (lone surrogates count 3 bytes, as TextEncoder writes U+FFFD). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i += 1;
    } else bytes += 3;
  }
  return bytes;
}
