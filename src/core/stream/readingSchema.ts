import { parseEventTime } from './eventTime.js';
import { fastReadings } from './fastReading.js';
import {
  DEFAULT_MAX_BACKFILL_PAST_MS,
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_FUTURE_MS,
  DEFAULT_MAX_PAST_MS,
  READING_SCHEMA_V1,
  type DecodeLimits,
  type DecodedReadings,
  type ReadingReject,
  type RejectReason,
  type StreamReading,
} from './readingTypes.js';

export * from './readingTypes.js';

const NO_REJECTS: readonly ReadingReject[] = Object.freeze([]);

/** The event times a reading may have: [minTs, maxTs], or [backfillMinTs, maxTs] for one marked backfill. */
interface Bounds {
  readonly minTs: number;
  readonly backfillMinTs: number;
  readonly maxTs: number;
}

function boundsOf(limits: DecodeLimits): Bounds {
  return {
    minTs: limits.nowMs - (limits.maxPastMs ?? DEFAULT_MAX_PAST_MS),
    backfillMinTs: limits.nowMs - (limits.maxBackfillPastMs ?? DEFAULT_MAX_BACKFILL_PAST_MS),
    maxTs: limits.nowMs + (limits.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS),
  };
}

/**
 * Decodes and validates one message body. Never throws: whatever is wrong becomes a reject with a
 * stable reason. The whole message is rejected (index null) when it is over `maxBytes` (checked
 * before parsing), is not JSON, is not an object, or is a batch with a bad envelope; otherwise each
 * reading is checked on its own and the good ones of a batch are kept.
 */
export function decodeReadings(body: string, limits: DecodeLimits): DecodedReadings {
  const tooBig = oversized(body, limits.maxBytes ?? DEFAULT_MAX_BYTES);
  if (tooBig !== undefined) return tooBig;
  const minTs = limits.nowMs - (limits.maxPastMs ?? DEFAULT_MAX_PAST_MS);
  const maxTs = limits.nowMs + (limits.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS);
  const fast = fastReadings(body, minTs, maxTs);
  if (fast !== undefined) return { readings: fast, rejects: NO_REJECTS };
  return decodeParsed(body, boundsOf(limits));
}

/**
 * `decodeReadings` without its fast path: every body through `JSON.parse` and the checks. It answers
 * exactly as `decodeReadings` does (the differential tests hold them to that); the ingest path never
 * needs it.
 */
export function decodeReadingsGeneral(body: string, limits: DecodeLimits): DecodedReadings {
  const tooBig = oversized(body, limits.maxBytes ?? DEFAULT_MAX_BYTES);
  if (tooBig !== undefined) return tooBig;
  return decodeParsed(body, boundsOf(limits));
}

function decodeParsed(body: string, bounds: Bounds): DecodedReadings {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (e) {
    return rejected({
      index: null,
      reason: 'malformed json',
      detail: e instanceof Error ? e.message.slice(0, 200) : 'unparseable',
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return rejected({
      index: null,
      reason: 'not an object',
      detail: `the body is ${describe(parsed)}, not a reading or a batch`,
    });
  }
  const readings: StreamReading[] = [];
  const rejects: ReadingReject[] = [];
  const message = parsed as Record<string, unknown>;
  const batch = message.readings;
  if (batch === undefined) {
    decodeOne(message, 0, bounds, readings, rejects);
  } else {
    const envelope = checkEnvelope(message.schema, batch);
    if (envelope !== undefined) return rejected(envelope);
    const items = batch as unknown[];
    for (let i = 0; i < items.length; i++) decodeOne(items[i], i, bounds, readings, rejects);
  }
  return { readings, rejects: rejects.length > 0 ? rejects : NO_REJECTS };
}

/** The reject of a body over `maxBytes` UTF-8 bytes (counted only when it might be), else undefined. */
function oversized(body: string, maxBytes: number): DecodedReadings | undefined {
  if (body.length * 3 <= maxBytes) return undefined;
  const bytes = utf8Length(body);
  return bytes > maxBytes
    ? rejected({ index: null, reason: 'oversized message', detail: `${bytes} bytes, over the limit of ${maxBytes}` })
    : undefined;
}

function rejected(reject: ReadingReject): DecodedReadings {
  return { readings: [], rejects: [reject] };
}

function checkEnvelope(schema: unknown, batch: unknown): ReadingReject | undefined {
  if (schema === undefined) return { index: null, reason: 'missing field', detail: 'a batch needs "schema"' };
  if (schema !== READING_SCHEMA_V1)
    return { index: null, reason: 'unknown schema version', detail: unknownSchema(schema) };
  if (!Array.isArray(batch))
    return { index: null, reason: 'wrong type', detail: `"readings" is ${describe(batch)}, not an array` };
  return undefined;
}

function decodeOne(
  item: unknown,
  index: number,
  bounds: Bounds,
  readings: StreamReading[],
  rejects: ReadingReject[],
): void {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    rejects.push({ index, reason: 'not an object', detail: `the reading is ${describe(item)}` });
    return;
  }
  const o = item as Record<string, unknown>;
  const schema = o.schema;
  if (schema !== undefined && schema !== READING_SCHEMA_V1) {
    rejects.push({ index, reason: 'unknown schema version', detail: unknownSchema(schema) });
    return;
  }
  const deviceId = o.deviceId,
    tag = o.tag,
    rawTs = o.ts,
    value = o.value,
    id = o.id,
    properties = o.properties,
    backfill = o.backfill;
  const problem =
    checkName('deviceId', deviceId) ??
    checkName('tag', tag) ??
    checkValue(value) ??
    (id !== undefined && (typeof id !== 'string' || id === '')
      ? (['wrong type', `"id" must be a non-empty string, found ${describe(id)}`] as const)
      : undefined) ??
    (properties !== undefined ? checkProperties(properties) : undefined) ??
    (backfill !== undefined && typeof backfill !== 'boolean'
      ? (['wrong type', `"backfill" must be true or false, found ${describe(backfill)}`] as const)
      : undefined);
  if (problem !== undefined) {
    rejects.push({ index, reason: problem[0], detail: problem[1] });
    return;
  }
  const ts = typeof rawTs === 'number' && Number.isSafeInteger(rawTs) ? rawTs : decodeTs(rawTs, index, rejects);
  if (ts === undefined) return;
  const maxTs = bounds.maxTs;
  const minTs = backfill === true ? bounds.backfillMinTs : bounds.minTs;
  if (ts > maxTs || ts < minTs) {
    const future = ts > maxTs;
    const hint = future || backfill === true ? '' : ' (historical data: send it marked "backfill": true)';
    rejects.push({
      index,
      reason: future ? 'timestamp too far in the future' : 'timestamp too far in the past',
      detail: `${formatEventTime(ts)} is ${Math.abs(future ? ts - maxTs : minTs - ts)} ms beyond the limit${hint}`,
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
    backfill: backfill === true,
  });
}

type Problem = readonly [RejectReason, string];

function checkName(field: string, v: unknown): Problem | undefined {
  if (typeof v === 'string') {
    if (v === '' || v.includes('\u0000'))
      return ['invalid device or tag', `"${field}" must be non-empty and free of NUL characters`];
    return undefined;
  }
  if (v === undefined) return ['missing field', `"${field}" is required`];
  return ['wrong type', `"${field}" must be a string, found ${describe(v)}`];
}

const NON_FINITE_WORDS = new Set(['nan', '+nan', '-nan', 'inf', '+inf', '-inf', 'infinity', '+infinity', '-infinity']);

function checkValue(v: unknown): Problem | undefined {
  if (typeof v === 'number')
    return Number.isFinite(v) ? undefined : ['non-finite value', `${v} (the JSON number overflows a double)`];
  if (v === undefined) return ['missing field', '"value" is required'];
  if (v === null) return ['non-finite value', 'null (JSON.stringify writes NaN and Infinity as null)'];
  if (typeof v === 'string' && NON_FINITE_WORDS.has(v.trim().toLowerCase()))
    return ['non-finite value', `"${v.slice(0, 20)}"`];
  return ['wrong type', `"value" must be a number, found ${describe(v)}`];
}

function checkProperties(p: unknown): Problem | undefined {
  if (typeof p !== 'object' || p === null || Array.isArray(p))
    return ['wrong type', `"properties" must be an object, found ${describe(p)}`];
  for (const key in p) {
    const v = (p as Record<string, unknown>)[key];
    const t = typeof v;
    if (t === 'string' || t === 'boolean' || (t === 'number' && Number.isFinite(v))) continue;
    return [
      'wrong type',
      `property "${key.slice(0, 60)}" must be a string, a finite number or a boolean, found ${describe(v)}`,
    ];
  }
  return undefined;
}

function decodeTs(raw: unknown, index: number, rejects: ReadingReject[]): number | undefined {
  let ts: number | undefined;
  if (typeof raw === 'string') {
    ts = parseEventTime(raw);
    if (ts === undefined)
      rejects.push({ index, reason: 'unparseable timestamp', detail: `"${raw.slice(0, 40)}" is not ISO 8601` });
  } else if (typeof raw === 'number') {
    rejects.push({
      index,
      reason: 'unparseable timestamp',
      detail: `${raw} is not an integer number of epoch milliseconds`,
    });
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

function unknownSchema(schema: unknown): string {
  return `schema is ${describe(schema)} (this decoder reads "${READING_SCHEMA_V1}")`;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string "${v.slice(0, 40)}"`;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return `${typeof v} ${v}`;
  return `${typeof v}`;
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
