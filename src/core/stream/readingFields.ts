import { fastIsoAt, parseEventTime } from './eventTime.js';
import { isoLength, matches, numberAt, numberEnd, skipWs, stringEnd } from './jsonScan.js';
import { escapedStringEnd, unescape } from './jsonString.js';
import { plainNameAt } from './nameCache.js';
import { READING_SCHEMA_V1, type StreamReading } from './readingTypes.js';

/** The fields of a flat reading, by how their value is read: strings start after their opening quote. */
export const SCHEMA = 1,
  ID = 2,
  DEVICE = 3,
  TAG = 4,
  TS_TEXT = 5,
  TS_NUMBER = 6,
  VALUE = 7,
  /** A field the decoder ignores, whose value is a string without escapes, or a number, true, false or null. */
  SKIP_TEXT = 8,
  SKIP_LITERAL = 9,
  /** `properties`: a flat object of plain strings, finite numbers and booleans (starts at its brace). */
  PROPERTIES = 10;
export type FieldKind =
  | typeof SCHEMA
  | typeof ID
  | typeof DEVICE
  | typeof TAG
  | typeof TS_TEXT
  | typeof TS_NUMBER
  | typeof VALUE
  | typeof SKIP_TEXT
  | typeof SKIP_LITERAL
  | typeof PROPERTIES;

const LITERALS: readonly string[] = ['true', 'false', 'null'];

/** The end of a JSON number (strict grammar) or of true, false or null at `start`; -1 for anything else. */
function literalEnd(s: string, start: number, n: number): number {
  if (start >= n) return -1;
  for (const word of LITERALS) if (start + word.length <= n && matches(s, start, word)) return start + word.length;
  return numberEnd(s, start, n);
}

/**
 * Reads the flat object at `start` into `out`, as `JSON.parse` then the general path's checks would
 * take it, and returns the index after its closing brace; -1 for anything else: a nested value,
 * null, a non-finite number, an escape or control character in a key or string, or the key
 * `__proto__` (which `JSON.parse` makes an own property and an assignment would not). Keys are
 * assigned in order, so the object's key order and a repeated key's value are those of `JSON.parse`.
 */
function propertiesEnd(s: string, start: number, n: number, out: Record<string, string | number | boolean>): number {
  if (start >= n || s.charCodeAt(start) !== 123) return -1;
  let i = skipWs(s, start + 1, n);
  if (i < n && s.charCodeAt(i) === 125) return i + 1;
  for (;;) {
    if (i >= n || s.charCodeAt(i) !== 34) return -1;
    const keyEnd = stringEnd(s, i + 1, n);
    if (keyEnd < 0) return -1;
    const key = s.slice(i + 1, keyEnd);
    if (key === '__proto__') return -1;
    i = skipWs(s, keyEnd + 1, n);
    if (i >= n || s.charCodeAt(i) !== 58) return -1;
    i = skipWs(s, i + 1, n);
    if (i >= n) return -1;
    const c = s.charCodeAt(i);
    if (c === 34) {
      const end = stringEnd(s, i + 1, n);
      if (end < 0) return -1;
      out[key] = s.slice(i + 1, end);
      i = end + 1;
    } else if (c === 116 || c === 102) {
      const word = c === 116 ? 'true' : 'false';
      if (i + word.length > n || !matches(s, i, word)) return -1;
      out[key] = c === 116;
      i += word.length;
    } else {
      const end = numberEnd(s, i, n);
      if (end < 0) return -1;
      const v = numberAt(s, i, end);
      if (!Number.isFinite(v)) return -1;
      out[key] = v;
      i = end;
    }
    i = skipWs(s, i, n);
    if (i >= n) return -1;
    const d = s.charCodeAt(i);
    if (d === 125) return i + 1;
    if (d !== 44) return -1;
    i = skipWs(s, i + 1, n);
  }
}

/**
 * The values of one reading while it is scanned (by `fastSingleReading` or a learned template), so
 * that a scan allocates nothing but the reading it returns and its id. Each field is read by the same
 * rules whichever scan reads it; a value those rules do not take makes the scan give up (the general
 * path then decides), never guess.
 */
export class FieldValues {
  id: string | undefined = undefined;
  deviceId = '';
  tag = '';
  ts = 0;
  value = 0;
  properties: Record<string, string | number | boolean> | undefined = undefined;

  reset(): void {
    this.id = undefined;
    this.properties = undefined;
  }

  /**
   * Reads the value of `kind` starting at `start` (strings: just after the opening quote), and
   * returns where it ends (strings: the closing quote), or -1 when the fast path does not take it:
   * an escape (but in a device, tag or id), a control character, an empty string, a name holding
   * NUL, a schema other than v1, a number outside the
   * strict grammar, a non-finite value, a ts that is not an integer or not a valid timestamp.
   */
  read(kind: FieldKind, s: string, start: number, n: number): number {
    switch (kind) {
      case DEVICE:
      case TAG: {
        const plain = plainNameAt(s, start, n);
        const end = plain !== undefined ? start + plain.length : escapedStringEnd(s, start, n);
        if (end <= start) return -1;
        const name = plain ?? unescape(s, start, end);
        // The general path rejects a name with NUL (only an escape can hold one here).
        if (plain === undefined && name.includes('\u0000')) return -1;
        if (kind === DEVICE) this.deviceId = name;
        else this.tag = name;
        return end;
      }
      case ID: {
        let end = stringEnd(s, start, n);
        if (end >= 0) this.id = s.slice(start, end);
        else {
          end = escapedStringEnd(s, start, n);
          if (end >= 0) this.id = unescape(s, start, end);
        }
        return end <= start ? -1 : end;
      }
      case TS_TEXT:
        return this.readTsText(s, start, n);
      case SCHEMA: {
        const end = stringEnd(s, start, n);
        return end - start === READING_SCHEMA_V1.length && matches(s, start, READING_SCHEMA_V1) ? end : -1;
      }
      case SKIP_TEXT:
        return stringEnd(s, start, n);
      case SKIP_LITERAL:
        return literalEnd(s, start, n);
      case PROPERTIES: {
        const properties: Record<string, string | number | boolean> = {};
        const end = propertiesEnd(s, start, n, properties);
        if (end >= 0) this.properties = properties;
        return end;
      }
      default: {
        if (start >= n) return -1;
        const end = numberEnd(s, start, n);
        if (end < 0) return -1;
        const v = numberAt(s, start, end);
        if (kind === VALUE ? !Number.isFinite(v) : !Number.isSafeInteger(v)) return -1;
        if (kind === VALUE) this.value = v;
        else this.ts = v;
        return end;
      }
    }
  }

  /** The reading, when its time is within [minTs, maxTs] (the caller knows every required field was read). */
  reading(minTs: number, maxTs: number): StreamReading | undefined {
    const ts = this.ts;
    if (ts > maxTs || ts < minTs) return undefined;
    return {
      id: this.id,
      deviceId: this.deviceId,
      tag: this.tag,
      ts,
      value: this.value,
      properties: this.properties,
      backfill: false,
    };
  }

  private readTsText(s: string, start: number, n: number): number {
    const len = isoLength(s, start, n);
    const fast = len > 0 ? fastIsoAt(s, start, len) : undefined;
    if (fast !== undefined) {
      this.ts = fast;
      return start + len;
    }
    const end = stringEnd(s, start, n);
    const t = end > start ? parseEventTime(s.slice(start, end)) : undefined;
    if (t === undefined) return -1;
    this.ts = t;
    return end;
  }
}
