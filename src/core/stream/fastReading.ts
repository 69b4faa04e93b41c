import { skipWs, matches, stringEnd } from './jsonScan.js';
import {
  DEVICE,
  FieldValues,
  ID,
  PROPERTIES,
  SCHEMA,
  SKIP_LITERAL,
  SKIP_TEXT,
  TAG,
  TS_NUMBER,
  TS_TEXT,
  VALUE,
  type FieldKind,
} from './readingFields.js';
import { ReadingTemplate } from './readingTemplate.js';
import { READING_SCHEMA_V1, type StreamReading } from './readingTypes.js';

const SEEN_SCHEMA = 1,
  SEEN_ID = 2,
  SEEN_DEVICE = 4,
  SEEN_TAG = 8,
  SEEN_TS = 16,
  SEEN_VALUE = 32,
  /** Not a flag: keys the decoder ignores may come any number of times. */
  IGNORED = 64,
  SEEN_PROPERTIES = 128;
const REQUIRED = SEEN_DEVICE | SEEN_TAG | SEEN_TS | SEEN_VALUE;
/**
 * Layouts remembered at once: a partition carries several producers' layouts, interleaved, and a
 * batch's items have one of their own. With fewer slots than live layouts every slot is evicted
 * before it is used again, so every object takes the full scan and is learned anew (the ingest
 * bench's eight producers, six of them fast then, spent a third of their time rescanning and
 * learning with four). Its eight layouts now all take the fast path; sixteen leave room for more. A
 * body tries the layout of the last match first, so slots unused cost nothing.
 */
const TEMPLATES = 16;

// One scan at a time (the core is synchronous): the values being read, the layout of the last full
// scan, and the layouts learned from full scans. None of it changes a result, only how fast it comes.
const values = new FieldValues();
const kinds: FieldKind[] = [];
/** Values a learned object may hold (its known fields and a few ignored ones). */
const MAX_FIELDS = 12;
const starts = new Int32Array(64);
const ends = new Int32Array(64);
const templates: ReadingTemplate[] = [];
let lastMatch = 0;
let nextSlot = 0;

/**
 * The hot path of `decodeReadings`: a scan of the body, without `JSON.parse`, for the shapes nearly
 * every producer sends: a flat reading, or a batch envelope (`{"schema": v1, "readings": [...]}`,
 * the two keys once each, in either order) of flat readings. A flat reading's keys are among schema,
 * id, deviceId, tag, ts, value and properties (each once; properties a flat object of strings,
 * finite numbers and booleans), plus keys the decoder ignores whose values are plain strings,
 * numbers, true, false or null; only its deviceId, tag and id may hold escapes, and it is valid and
 * within [minTs, maxTs]. The scan answers only when the body is exactly that, every reading of it
 * good; for anything else (backfill, another escape, a nested value, any error) it returns undefined and the
 * general path (`JSON.parse` and checks) decides. Where it answers, it returns what the general path
 * would.
 *
 * Each reading object is first checked against the layouts of recent ones (`ReadingTemplate`), which
 * compares the text between the values instead of parsing it; an object of a new layout takes the
 * full scan, which, when it accepts the object, learns its layout.
 */
export function fastReadings(body: string, minTs: number, maxTs: number): StreamReading[] | undefined {
  // The envelope first: it tells a batch from a reading within its first key or two, while a batch
  // taken for a reading would be tried against every template and scanned before being let go.
  const start = skipWs(body, 0, body.length);
  const readings = batch(body, start, body.length, minTs, maxTs);
  if (readings !== undefined) return readings;
  const single = fastSingleReading(body, minTs, maxTs);
  return single !== undefined ? [single] : undefined;
}

/** The fast path for a body of one flat reading (not a batch); undefined when it does not take the body. */
export function fastSingleReading(body: string, minTs: number, maxTs: number): StreamReading | undefined {
  const n = body.length;
  const end = readObject(body, skipWs(body, 0, n), n);
  return end >= 0 && skipWs(body, end, n) === n ? values.reading(minTs, maxTs) : undefined;
}

/** Reads the reading object at `start` into `values`; returns where it ends, or -1. */
function readObject(body: string, start: number, n: number): number {
  const count = templates.length;
  for (let k = 0; k < count; k++) {
    const slot = (lastMatch + k) % count;
    values.reset();
    const end = (templates[slot] as ReadingTemplate).matchAt(body, values, start, n);
    if (end >= 0) {
      lastMatch = slot;
      return end;
    }
  }
  values.reset();
  const end = scan(body, start, n);
  if (end >= 0) learn(body, start, end);
  return end;
}

/** A batch envelope of good flat readings, or undefined. */
function batch(body: string, start: number, n: number, minTs: number, maxTs: number): StreamReading[] | undefined {
  if (start >= n || body.charCodeAt(start) !== 123) return undefined;
  let i = skipWs(body, start + 1, n);
  let readings: StreamReading[] | undefined;
  let schema = false;
  for (;;) {
    if (matches(body, i, '"schema"') && !schema) {
      schema = true;
      i = afterColon(body, i + 8, n);
      if (i < 0 || !matches(body, i, ENVELOPE_SCHEMA)) return undefined;
      i = skipWs(body, i + ENVELOPE_SCHEMA.length, n);
    } else if (matches(body, i, '"readings"') && readings === undefined) {
      i = afterColon(body, i + 10, n);
      if (i < 0 || body.charCodeAt(i) !== 91) return undefined;
      readings = [];
      i = items(body, skipWs(body, i + 1, n), n, minTs, maxTs, readings);
      if (i < 0) return undefined;
    } else return undefined;
    if (i >= n) return undefined;
    const c = body.charCodeAt(i);
    if (c === 125) break;
    if (c !== 44) return undefined;
    i = skipWs(body, i + 1, n);
  }
  return schema && readings !== undefined && skipWs(body, i + 1, n) === n ? readings : undefined;
}

const ENVELOPE_SCHEMA = `"${READING_SCHEMA_V1}"`;

/** After `"key"` ends at `i`: the index of its value, past the colon and whitespace, or -1. */
function afterColon(body: string, i: number, n: number): number {
  i = skipWs(body, i, n);
  if (i >= n || body.charCodeAt(i) !== 58) return -1;
  return skipWs(body, i + 1, n);
}

/** The items of a readings array from its first one: each a good flat reading; returns the index after `]`, or -1. */
function items(body: string, i: number, n: number, minTs: number, maxTs: number, out: StreamReading[]): number {
  for (;;) {
    const end = readObject(body, i, n);
    if (end < 0) return -1;
    const reading = values.reading(minTs, maxTs);
    if (reading === undefined) return -1;
    out.push(reading);
    i = skipWs(body, end, n);
    if (i >= n) return -1;
    const c = body.charCodeAt(i);
    if (c === 93) return skipWs(body, i + 1, n);
    if (c !== 44) return -1;
    i = skipWs(body, i + 1, n);
  }
}

function learn(body: string, from: number, to: number): void {
  const template = ReadingTemplate.learn(body, from, to, kinds, starts, ends);
  if (template === undefined) return;
  const slot = templates.length < TEMPLATES ? templates.length : nextSlot;
  templates[slot] = template;
  nextSlot = (slot + 1) % TEMPLATES;
  lastMatch = slot;
}

/**
 * The full scan of the object at `start`, key by key, in any order; fills `values`, and `kinds`,
 * `starts`, `ends` with where each value (but the schema) lies. Returns the index after its closing
 * brace, or -1.
 */
function scan(body: string, start: number, n: number): number {
  kinds.length = 0;
  let i = start;
  if (i >= n || body.charCodeAt(i) !== 123) return -1;
  i = skipWs(body, i + 1, n);
  let seen = 0;
  for (;;) {
    if (i >= n || body.charCodeAt(i) !== 34) return -1;
    let key = keyAt(body, i + 1, n);
    let keyEnd = i + 2 + keyLength(key);
    if (key === 0) {
      // A key the decoder ignores: plain, and not one that changes what the body means.
      keyEnd = stringEnd(body, i + 1, n) + 1;
      if (keyEnd <= 0 || matches(body, i, '"readings"') || matches(body, i, '"backfill"')) return -1;
      key = IGNORED;
    } else if ((seen & key) !== 0) return -1;
    seen |= key;
    i = skipWs(body, keyEnd, n);
    if (i >= n || body.charCodeAt(i) !== 58) return -1;
    i = skipWs(body, i + 1, n);
    if (i >= n) return -1;
    const quoted = body.charCodeAt(i) === 34;
    const kind = kindOf(key, quoted);
    if (kind === 0) return -1;
    const valueStart = quoted ? i + 1 : i;
    const end = values.read(kind, body, valueStart, n);
    if (end < 0) return -1;
    if (kind !== SCHEMA) {
      starts[kinds.length] = valueStart;
      ends[kinds.length] = end;
      kinds.push(kind);
    }
    i = skipWs(body, quoted ? end + 1 : end, n);
    if (i >= n) return -1;
    const d = body.charCodeAt(i);
    if (d === 125) break;
    if (d !== 44) return -1;
    i = skipWs(body, i + 1, n);
  }
  return (seen & REQUIRED) === REQUIRED && kinds.length <= MAX_FIELDS ? i + 1 : -1;
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
    case SEEN_SCHEMA:
      return quoted ? SCHEMA : 0;
    case SEEN_PROPERTIES:
      return quoted ? 0 : PROPERTIES;
    default:
      return quoted ? SKIP_TEXT : SKIP_LITERAL;
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
    case 112:
      return quotedName(s, at, n, 'properties') ? SEEN_PROPERTIES : 0;
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
  switch (key) {
    case SEEN_PROPERTIES:
      return 10;
    case SEEN_DEVICE:
      return 8;
    case SEEN_SCHEMA:
      return 6;
    case SEEN_VALUE:
      return 5;
    case SEEN_TAG:
      return 3;
    default:
      return 2;
  }
}

function quotedName(s: string, at: number, n: number, name: string): boolean {
  return at + name.length < n && matches(s, at, name) && s.charCodeAt(at + name.length) === 34;
}
