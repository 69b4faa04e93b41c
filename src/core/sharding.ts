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

/** One buffered row of a shard: event time and value. */
export interface ShardRow {
  readonly ts: number;
  readonly value: number;
}

export interface ShardFlush {
  readonly shardId: string;
  readonly key: ShardKey;
  /** 0, 1, 2… per shard, in flush order. */
  readonly part: number;
  readonly rows: readonly ShardRow[];
}

/**
 * Routes rows to shards and decides when to flush, so memory is bounded by `maxBufferedRows`,
 * not by the file: when the buffers hold that many rows, every buffer is flushed as a part.
 * Deterministic: the same rows in the same order give the same parts.
 */
export class ShardRouter {
  private readonly buffers = new Map<string, { key: ShardKey; rows: ShardRow[] }>();
  private readonly parts = new Map<string, number>();
  private readonly rowCounts = new Map<string, number>();
  private buffered = 0;

  constructor(private readonly maxBufferedRows: number) {}

  /** Adds a row; returns the parts to write now (often none). */
  add(series: SeriesKey, spanMs: number, row: ShardRow): ShardFlush[] {
    const key: ShardKey = { device: series.device, tag: series.tag, spanStart: spanStartOf(row.ts, spanMs) };
    const id = shardIdOf(key);
    let buffer = this.buffers.get(id);
    if (!buffer) {
      buffer = { key, rows: [] };
      this.buffers.set(id, buffer);
    }
    buffer.rows.push(row);
    this.rowCounts.set(id, (this.rowCounts.get(id) ?? 0) + 1);
    this.buffered += 1;
    return this.buffered >= this.maxBufferedRows ? this.flush() : [];
  }

  /** Flushes every non-empty buffer. */
  flush(): ShardFlush[] {
    const out: ShardFlush[] = [];
    for (const [shardId, buffer] of [...this.buffers.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      if (buffer.rows.length === 0) continue;
      const part = this.parts.get(shardId) ?? 0;
      this.parts.set(shardId, part + 1);
      out.push({ shardId, key: buffer.key, part, rows: buffer.rows });
      buffer.rows = [];
    }
    this.buffered = 0;
    return out;
  }

  /** Every shard seen, with its part and row counts, ordered by shard id. */
  shards(): { shardId: string; key: ShardKey; parts: number; rows: number }[] {
    return [...this.buffers.entries()]
      .sort((a, b) => (a[0] < b[0] ? -1 : 1))
      .map(([shardId, b]) => ({
        shardId,
        key: b.key,
        parts: this.parts.get(shardId) ?? 0,
        rows: this.rowCounts.get(shardId) ?? 0,
      }));
  }
}

/** Encodes a part's rows: one `ts,value` line each. Numbers round-trip exactly. */
export function encodeShardRows(rows: readonly ShardRow[]): string {
  let out = '';
  for (const r of rows) out += `${r.ts},${r.value}\n`;
  return out;
}

/** Calls `row` for each `ts,value` line of a part; returns how many rows it held. */
export function forEachShardRow(text: string, row: (ts: number, value: number) => void): number {
  let n = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (end > start) {
      const comma = text.indexOf(',', start);
      row(Number(text.slice(start, comma)), Number(text.slice(comma + 1, end)));
      n += 1;
    }
    start = end + 1;
  }
  return n;
}

export function decodeShardRows(text: string): ShardRow[] {
  const rows: ShardRow[] = [];
  forEachShardRow(text, (ts, value) => rows.push({ ts, value }));
  return rows;
}
