/**
 * Shards of a batch job. A shard is one series' readings over an epoch-aligned span of whole
 * windows, so no window is ever split between shards, whatever the order of the rows in the file.
 * Shard ids are deterministic: the same input plans the same shards.
 */
export interface SeriesKey {
  readonly device: string;
  readonly tag: string;
}

export interface ShardKey extends SeriesKey {
  /** Start of the span, epoch ms. */
  readonly spanStart: number;
}

export function seriesId(s: SeriesKey): string {
  return `${s.device}\u0000${s.tag}`;
}

/** A name fragment safe in blob names and message ids; distinct inputs give distinct outputs. */
export function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, (c) => `~${c.codePointAt(0)?.toString(16) ?? ''}~`);
}

export function shardIdOf(key: ShardKey): string {
  return `${safeName(key.device)}.${safeName(key.tag)}.${new Date(key.spanStart).toISOString().replace(/[-:]/g, '').replace('.000Z', 'Z')}`;
}

export function spanStartOf(ts: number, spanMs: number): number {
  return Math.floor(ts / spanMs) * spanMs;
}

export interface ShardFlush {
  readonly shardId: string;
  readonly key: ShardKey;
  /** 0, 1, 2… per shard, in flush order. */
  readonly part: number;
  /** The part's rows, in the order they came: event times (epoch ms) and values. */
  readonly ts: Float64Array;
  readonly values: Float64Array;
}

interface ShardBuffer {
  readonly shardId: string;
  readonly key: ShardKey;
  ts: Float64Array;
  values: Float64Array;
  length: number;
  parts: number;
  rows: number;
}

/** Per series: its shards by span start, and the one the last row went to (rows mostly come in time order). */
interface SeriesShards {
  readonly bySpan: Map<number, ShardBuffer>;
  last: ShardBuffer | undefined;
}

const INITIAL_CAPACITY = 256;
/** A flushed buffer holds nothing until its next row: a span that is over costs no memory. */
const EMPTY = new Float64Array(0);

/**
 * Routes rows to shards and decides when to flush, so memory is bounded by `maxBufferedRows` (16
 * bytes a row), not by the file: when the buffers hold that many rows, every buffer is flushed as a
 * part. Series are numbered by the caller. Deterministic: the same rows in the same order give the
 * same parts.
 */
export class ShardRouter {
  private readonly series: SeriesShards[] = [];
  private readonly all = new Map<string, ShardBuffer>();
  private buffered = 0;

  constructor(private readonly maxBufferedRows: number) {}

  /** Adds a row of series number `index` (named `key`); true when the buffers are full and must be flushed now. */
  add(index: number, key: SeriesKey, spanMs: number, ts: number, value: number): boolean {
    const spanStart = spanStartOf(ts, spanMs);
    const shards = (this.series[index] ??= { bySpan: new Map(), last: undefined });
    let buffer = shards.last;
    if (buffer?.key.spanStart !== spanStart) {
      buffer = shards.bySpan.get(spanStart) ?? this.open(shards, key, spanStart);
      shards.last = buffer;
    }
    if (buffer.length === buffer.ts.length) grow(buffer);
    buffer.ts[buffer.length] = ts;
    buffer.values[buffer.length] = value;
    buffer.length += 1;
    buffer.rows += 1;
    this.buffered += 1;
    return this.buffered >= this.maxBufferedRows;
  }

  /** Flushes every non-empty buffer, ordered by shard id; the router lets go of their rows. */
  flush(): ShardFlush[] {
    const out: ShardFlush[] = [];
    for (const b of [...this.all.values()].sort((x, y) => (x.shardId < y.shardId ? -1 : 1))) {
      if (b.length === 0) continue;
      out.push({
        shardId: b.shardId,
        key: b.key,
        part: b.parts,
        ts: b.ts.subarray(0, b.length),
        values: b.values.subarray(0, b.length),
      });
      b.parts += 1;
      b.ts = EMPTY;
      b.values = EMPTY;
      b.length = 0;
    }
    this.buffered = 0;
    return out;
  }

  /** Every shard seen, with its part and row counts, ordered by shard id. */
  shards(): { shardId: string; key: ShardKey; parts: number; rows: number }[] {
    return [...this.all.values()]
      .sort((x, y) => (x.shardId < y.shardId ? -1 : 1))
      .map((b) => ({ shardId: b.shardId, key: b.key, parts: b.parts, rows: b.rows }));
  }

  private open(shards: SeriesShards, series: SeriesKey, spanStart: number): ShardBuffer {
    const key: ShardKey = { device: series.device, tag: series.tag, spanStart };
    const shardId = shardIdOf(key);
    const buffer: ShardBuffer = {
      shardId,
      key,
      ts: EMPTY,
      values: EMPTY,
      length: 0,
      parts: 0,
      rows: 0,
    };
    shards.bySpan.set(spanStart, buffer);
    this.all.set(shardId, buffer);
    return buffer;
  }
}

function grow(b: ShardBuffer): void {
  const capacity = Math.max(INITIAL_CAPACITY, b.ts.length * 2);
  const ts = new Float64Array(capacity);
  ts.set(b.ts);
  const values = new Float64Array(capacity);
  values.set(b.values);
  b.ts = ts;
  b.values = values;
}

const LITTLE_ENDIAN = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

/**
 * Encodes a part: its n event times then its n values, each a little-endian float64, so rows
 * round-trip exactly and decoding is a copy. (Tessera runs on little-endian hosts only.)
 */
export function encodeShardPart(ts: Float64Array, values: Float64Array): Uint8Array {
  if (!LITTLE_ENDIAN) throw new Error('shard parts need a little-endian host');
  const out = new Float64Array(ts.length * 2);
  out.set(ts);
  out.set(values, ts.length);
  return new Uint8Array(out.buffer);
}

/** Decodes a part made by encodeShardPart; undefined when its length cannot be one. */
export function decodeShardPart(bytes: Uint8Array): { ts: Float64Array; values: Float64Array } | undefined {
  if (!LITTLE_ENDIAN) throw new Error('shard parts need a little-endian host');
  if (bytes.length % 16 !== 0) return undefined;
  const all = new Float64Array(bytes.length / 8);
  new Uint8Array(all.buffer).set(bytes);
  const n = bytes.length / 16;
  return { ts: all.subarray(0, n), values: all.subarray(n) };
}
