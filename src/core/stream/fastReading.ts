import { fastIsoAt, parseEventTime } from './eventTime.js';
import { READING_SCHEMA_V1, type StreamReading } from './readingTypes.js';

const SCHEMA = 1, ID = 2, DEVICE = 4, TAG = 8, TS = 16, VALUE = 32;
const REQUIRED = DEVICE | TAG | TS | VALUE;

/**
 * The hot path of `decodeReadings`: one scan over the body, without `JSON.parse`, for the shape
 * nearly every producer sends, a single flat reading whose keys are among schema, id, deviceId,
 * tag, ts and value (each once), whose strings have no escapes, and which is valid and within
 * [minTs, maxTs]. It answers only when the body is exactly that; for anything else (a batch,
 * properties, an unknown key, an escape, any error) it returns undefined and the general path
 * (`JSON.parse` and checks) decides. Where it answers, it returns what the general path would.
 */
export function fastSingleReading(body: string, minTs: number, maxTs: number): StreamReading | undefined {
  // Every read is bounds-checked: reading past the end (NaN) would deoptimise the scan into a slow path.
  const n = body.length;
  let i = skipWs(body, 0, n);
  if (i >= n || body.charCodeAt(i) !== 123) return undefined;
  i = skipWs(body, i + 1, n);
  let seen = 0;
  let id: string | undefined, deviceId = '', tag = '';
  let ts = NaN, value = NaN;
  for (;;) {
    if (i >= n || body.charCodeAt(i) !== 34) return undefined;
    const key = keyAt(body, i + 1, n);
    if (key === 0 || (seen & key) !== 0) return undefined;
    seen |= key;
    i = skipWs(body, i + 2 + keyLength(key), n);
    if (i >= n || body.charCodeAt(i) !== 58) return undefined;
    i = skipWs(body, i + 1, n);
    if (i >= n) return undefined;
    const c = body.charCodeAt(i);
    if (c === 34 && key === TS) {
      const start = i + 1;
      const len = isoLength(body, start, n);
      const fast = len > 0 ? fastIsoAt(body, start, len) : undefined;
      if (fast !== undefined) {
        ts = fast;
        i = start + len + 1;
      } else {
        const end = stringEnd(body, start, n);
        const t = end > start ? parseEventTime(body.slice(start, end)) : undefined;
        if (t === undefined) return undefined;
        ts = t;
        i = end + 1;
      }
    } else if (c === 34) {
      const start = i + 1;
      const end = stringEnd(body, start, n);
      if (end <= start) return undefined; // unterminated, escaped, or empty
      if (key === SCHEMA) {
        if (end - start !== READING_SCHEMA_V1.length || !matches(body, start, READING_SCHEMA_V1)) return undefined;
      } else if (key === ID) id = body.slice(start, end);
      else if (key === DEVICE) deviceId = body.slice(start, end);
      else if (key === TAG) tag = body.slice(start, end);
      else return undefined;
      i = end + 1;
    } else if (c === 45 || (c >= 48 && c <= 57)) {
      const end = numberEnd(body, i, n);
      if (end < 0) return undefined;
      const v = numberAt(body, i, end);
      if (key === VALUE && Number.isFinite(v)) value = v;
      else if (key === TS && Number.isSafeInteger(v)) ts = v;
      else return undefined;
      i = end;
    } else return undefined;
    i = skipWs(body, i, n);
    if (i >= n) return undefined;
    const d = body.charCodeAt(i);
    if (d === 125) break;
    if (d !== 44) return undefined;
    i = skipWs(body, i + 1, n);
  }
  if (skipWs(body, i + 1, n) !== n || (seen & REQUIRED) !== REQUIRED || ts > maxTs || ts < minTs) return undefined;
  return { id, deviceId, tag, ts, value, properties: undefined };
}

/** The key whose name, then a closing quote, starts at `at`; 0 for any other key. */
function keyAt(s: string, at: number, n: number): number {
  if (at >= n) return 0;
  switch (s.charCodeAt(at)) {
    case 100:
      return quoted(s, at, n, 'deviceId') ? DEVICE : 0;
    case 105:
      return quoted(s, at, n, 'id') ? ID : 0;
    case 115:
      return quoted(s, at, n, 'schema') ? SCHEMA : 0;
    case 116:
      return quoted(s, at, n, 'ts') ? TS : quoted(s, at, n, 'tag') ? TAG : 0;
    case 118:
      return quoted(s, at, n, 'value') ? VALUE : 0;
    default:
      return 0;
  }
}

function keyLength(key: number): number {
  return key === DEVICE ? 8 : key === SCHEMA ? 6 : key === VALUE ? 5 : key === TAG ? 3 : 2;
}

function quoted(s: string, at: number, n: number, name: string): boolean {
  return at + name.length < n && matches(s, at, name) && s.charCodeAt(at + name.length) === 34;
}

/**
 * The length of an ISO timestamp string starting at `at` if it has one of the fast lengths (19, 20,
 * 23, 24: the first of them followed by a quote), else 0. `fastIsoAt` then checks every character,
 * so a match cannot hide a quote or an escape.
 */
function isoLength(s: string, at: number, n: number): number {
  for (const len of ISO_LENGTHS) if (at + len < n && s.charCodeAt(at + len) === 34) return len;
  return 0;
}

const ISO_LENGTHS = [19, 20, 23, 24] as const;

/** `s.startsWith(literal, at)`, inlined. */
function matches(s: string, at: number, literal: string): boolean {
  for (let k = 0; k < literal.length; k++) if (s.charCodeAt(at + k) !== literal.charCodeAt(k)) return false;
  return true;
}

const EXACT_POWERS_OF_TEN = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

/**
 * The JSON number in s[start, end) (already checked against the grammar), as `Number` reads it.
 * Without an exponent and with at most 15 significant digits, the digits form an exact integer and
 * 10^fraction digits an exact double, so one division is the correctly rounded result (Clinger's
 * fast path); anything else takes `Number`.
 */
function numberAt(s: string, start: number, end: number): number {
  let i = start;
  const negative = s.charCodeAt(i) === 45;
  if (negative) i += 1;
  let mantissa = 0, digits = 0, fraction = -1;
  for (; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) fraction = 0;
    else if (c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48);
      digits += 1;
      if (fraction >= 0) fraction += 1;
    } else return Number(s.slice(start, end)); // exponent
  }
  if (digits > 15) return Number(s.slice(start, end));
  const magnitude = fraction > 0 ? mantissa / (EXACT_POWERS_OF_TEN[fraction] as number) : mantissa;
  return negative ? -magnitude : magnitude;
}

function skipWs(s: string, i: number, n: number): number {
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return i;
    i += 1;
  }
  return n;
}

/** Index of the closing quote of a string starting at `i`; -1 when unterminated or holding an escape or a control character. */
function stringEnd(s: string, i: number, n: number): number {
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 34) return i;
    if (c === 92 || c < 32) return -1;
  }
  return -1;
}

function digitAt(s: string, i: number, n: number): boolean {
  if (i >= n) return false;
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57;
}

/** End of a number in strict JSON grammar starting at `i` (< n), or -1. */
function numberEnd(s: string, i: number, n: number): number {
  if (s.charCodeAt(i) === 45) i += 1;
  if (i >= n) return -1;
  const first = s.charCodeAt(i);
  if (first === 48) i += 1;
  else if (first >= 49 && first <= 57) while (digitAt(s, ++i, n));
  else return -1;
  if (i < n && s.charCodeAt(i) === 46) {
    if (!digitAt(s, ++i, n)) return -1;
    while (digitAt(s, ++i, n));
  }
  if (i < n && (s.charCodeAt(i) | 32) === 101) {
    i += 1;
    if (i < n && (s.charCodeAt(i) === 43 || s.charCodeAt(i) === 45)) i += 1;
    if (!digitAt(s, i, n)) return -1;
    while (digitAt(s, ++i, n));
  }
  return i;
}
