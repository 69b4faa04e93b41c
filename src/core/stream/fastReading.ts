import { skipWs, matches } from './jsonScan.js';
import { DEVICE, FieldValues, ID, SCHEMA, TAG, TS_NUMBER, TS_TEXT, VALUE, type FieldKind } from './readingFields.js';
import { ReadingTemplate } from './readingTemplate.js';
import type { StreamReading } from './readingTypes.js';

const SEEN_SCHEMA = 1,
  SEEN_ID = 2,
  SEEN_DEVICE = 4,
  SEEN_TAG = 8,
  SEEN_TS = 16,
  SEEN_VALUE = 32;
const REQUIRED = SEEN_DEVICE | SEEN_TAG | SEEN_TS | SEEN_VALUE;
/** Layouts remembered at once: a partition may carry a few producers' layouts, interleaved. */
const TEMPLATES = 4;

// One scan at a time (the core is synchronous): the values being read, the layout of the last full
// scan, and the layouts learned from full scans. None of it changes a result, only how fast it comes.
const values = new FieldValues();
const kinds: FieldKind[] = [];
const starts = new Int32Array(8);
const ends = new Int32Array(8);
const templates: ReadingTemplate[] = [];
let lastMatch = 0;
let nextSlot = 0;

/**
 * The hot path of `decodeReadings`: a scan of the body, without `JSON.parse`, for the shape nearly
 * every producer sends, a single flat reading whose keys are among schema, id, deviceId, tag, ts and
 * value (each once), whose strings have no escapes, and which is valid and within [minTs, maxTs].
 * It answers only when the body is exactly that; for anything else (a batch, properties, an unknown
 * key, an escape, any error) it returns undefined and the general path (`JSON.parse` and checks)
 * decides. Where it answers, it returns what the general path would.
 *
 * The body is first checked against the layouts of recent bodies (`ReadingTemplate`), which compares
 * the text between the values instead of parsing it; a body of a new layout takes the full scan,
 * which, when it accepts the body, learns its layout.
 */
export function fastSingleReading(body: string, minTs: number, maxTs: number): StreamReading | undefined {
  const count = templates.length;
  for (let k = 0; k < count; k++) {
    const slot = (lastMatch + k) % count;
    values.reset();
    if ((templates[slot] as ReadingTemplate).match(body, values)) {
      lastMatch = slot;
      return values.reading(minTs, maxTs);
    }
  }
  values.reset();
  if (!scan(body)) return undefined;
  const reading = values.reading(minTs, maxTs);
  if (reading !== undefined) learn(body);
  return reading;
}

function learn(body: string): void {
  const template = ReadingTemplate.learn(body, kinds, starts, ends);
  if (template === undefined) return;
  const slot = templates.length < TEMPLATES ? templates.length : nextSlot;
  templates[slot] = template;
  nextSlot = (slot + 1) % TEMPLATES;
  lastMatch = slot;
}

/** The full scan, key by key, in any order; fills `values`, and `kinds`, `starts`, `ends` with where each value (but the schema) lies. */
function scan(body: string): boolean {
  const n = body.length;
  kinds.length = 0;
  let i = skipWs(body, 0, n);
  if (i >= n || body.charCodeAt(i) !== 123) return false;
  i = skipWs(body, i + 1, n);
  let seen = 0;
  for (;;) {
    if (i >= n || body.charCodeAt(i) !== 34) return false;
    const key = keyAt(body, i + 1, n);
    if (key === 0 || (seen & key) !== 0) return false;
    seen |= key;
    i = skipWs(body, i + 2 + keyLength(key), n);
    if (i >= n || body.charCodeAt(i) !== 58) return false;
    i = skipWs(body, i + 1, n);
    if (i >= n) return false;
    const quoted = body.charCodeAt(i) === 34;
    const kind = kindOf(key, quoted);
    if (kind === 0) return false;
    const start = quoted ? i + 1 : i;
    const end = values.read(kind, body, start, n);
    if (end < 0) return false;
    if (kind !== SCHEMA) {
      starts[kinds.length] = start;
      ends[kinds.length] = end;
      kinds.push(kind);
    }
    i = skipWs(body, quoted ? end + 1 : end, n);
    if (i >= n) return false;
    const d = body.charCodeAt(i);
    if (d === 125) break;
    if (d !== 44) return false;
    i = skipWs(body, i + 1, n);
  }
  return skipWs(body, i + 1, n) === n && (seen & REQUIRED) === REQUIRED;
}

/** How the value of `key` is read, given whether it starts with a quote; 0 when the fast path does not take it. */
function kindOf(key: number, quoted: boolean): FieldKind | 0 {
  switch (key) {
    case SEEN_TS:
      return quoted ? TS_TEXT : TS_NUMBER;
    case SEEN_VALUE:
      return quoted ? 0 : VALUE;
    case SEEN_DEVICE:
      return quoted ? DEVICE : 0;
    case SEEN_TAG:
      return quoted ? TAG : 0;
    case SEEN_ID:
      return quoted ? ID : 0;
    default:
      return quoted ? SCHEMA : 0;
  }
}

/** The key whose name, then a closing quote, starts at `at`; 0 for any other key. */
function keyAt(s: string, at: number, n: number): number {
  if (at >= n) return 0;
  switch (s.charCodeAt(at)) {
    case 100:
      return quotedName(s, at, n, 'deviceId') ? SEEN_DEVICE : 0;
    case 105:
      return quotedName(s, at, n, 'id') ? SEEN_ID : 0;
    case 115:
      return quotedName(s, at, n, 'schema') ? SEEN_SCHEMA : 0;
    case 116:
      return quotedName(s, at, n, 'ts') ? SEEN_TS : quotedName(s, at, n, 'tag') ? SEEN_TAG : 0;
    case 118:
      return quotedName(s, at, n, 'value') ? SEEN_VALUE : 0;
    default:
      return 0;
  }
}

function keyLength(key: number): number {
  return key === SEEN_DEVICE ? 8 : key === SEEN_SCHEMA ? 6 : key === SEEN_VALUE ? 5 : key === SEEN_TAG ? 3 : 2;
}

function quotedName(s: string, at: number, n: number, name: string): boolean {
  return at + name.length < n && matches(s, at, name) && s.charCodeAt(at + name.length) === 34;
}
