import { csvField, splitCsvLine } from './csvLine.js';
import { formatTimestamp } from './timestamps.js';
import type { Window } from './windowing.js';
import type { WindowTable } from './windowTable.js';

/** The columns of scores.csv and anomalies.csv: the result and its lineage. */
export const SCORE_COLUMNS = [
  'device',
  'tag',
  'window_start',
  'window_end',
  'count',
  'mean',
  'std',
  'min',
  'max',
  'score',
  'label',
  'model',
  'model_sha256',
  'input_blob',
  'input_etag',
] as const;

export const SCORE_HEADER = `${SCORE_COLUMNS.join(',')}\n`;

export interface Lineage {
  /** `name@version` */
  readonly model: string;
  readonly modelSha256: string;
  readonly inputBlob: string;
  readonly inputEtag: string;
}

/** One scored window as a CSV line (with the newline). */
export function scoreLine(w: Window, score: number, label: number, lineage: Lineage): string {
  return (
    [
      csvField(w.device),
      csvField(w.tag),
      formatTimestamp(w.start),
      formatTimestamp(w.end),
      w.count,
      w.mean,
      w.std,
      w.min,
      w.max,
      score,
      label,
      csvField(lineage.model),
      lineage.modelSha256,
      csvField(lineage.inputBlob),
      csvField(lineage.inputEtag),
    ].join(',') + '\n'
  );
}

/** One window's line, from its start (epoch ms), features, score and label: scoreLine's text. */
export type ScoreLineWriter = (
  start: number,
  count: number,
  mean: number,
  std: number,
  min: number,
  max: number,
  score: number,
  label: number,
) => string;

/**
 * scoreLine for the windows of one series under one lineage: the same text, with the fields every
 * line of a shard shares quoted once (a shard writes tens of thousands of lines).
 */
export function scoreLineWriter(device: string, tag: string, windowMs: number, lineage: Lineage): ScoreLineWriter {
  const head = `${csvField(device)},${csvField(tag)},`;
  const tail = `,${csvField(lineage.model)},${lineage.modelSha256},${csvField(lineage.inputBlob)},${csvField(lineage.inputEtag)}\n`;
  return (start, count, mean, std, min, max, score, label) =>
    `${head}${formatTimestamp(start)},${formatTimestamp(start + windowMs)},${count},${mean},${std},${min},${max},${score},${label}${tail}`;
}

/** A shard's output: its scores' lines, then its anomalies' lines again, as UTF-8. */
export interface ScoreText {
  readonly bytes: Uint8Array;
  /** Where the anomalies' lines start. */
  readonly scoreBytes: number;
  readonly anomalyCount: number;
}

const encoder = new TextEncoder();

/** UTF-16 units of lines gathered before they are encoded at once: one encodeInto per line cost more than making the line. */
const BATCH_UNITS = 16_384;

/** A growing byte buffer that lines are encoded into as they are made, a batch of them at a time (no rope of the whole text, no join). */
class ByteSink {
  bytes: Uint8Array;
  length = 0;
  private pending = '';
  constructor(capacity: number) {
    this.bytes = new Uint8Array(Math.max(1024, capacity));
  }
  write(text: string): void {
    this.pending += text;
    if (this.pending.length >= BATCH_UNITS) this.flush();
  }
  /** Encodes what was written since the last flush; `bytes` and `length` then hold all of it. */
  flush(): void {
    // Into the room there is; only what did not fit makes it grow (UTF-8 takes at most 3 bytes per
    // UTF-16 unit). Growing whenever the room was under 3 bytes a unit doubled nearly every sink just
    // before its last line, copying all of it.
    let rest = this.pending;
    this.pending = '';
    for (;;) {
      const { read, written } = encoder.encodeInto(rest, this.bytes.subarray(this.length));
      this.length += written;
      if (read === rest.length) return;
      rest = rest.slice(read);
      this.grow(rest.length * 3);
    }
  }
  append(other: ByteSink): void {
    this.flush();
    other.flush();
    if (this.bytes.length - this.length < other.length) this.grow(other.length);
    this.bytes.set(other.bytes.subarray(0, other.length), this.length);
    this.length += other.length;
  }
  private grow(need: number): void {
    const bigger = new Uint8Array(Math.max(this.bytes.length * 2, this.length + need));
    bigger.set(this.bytes.subarray(0, this.length));
    this.bytes = bigger;
  }
}

/** The lines of a series' windows (`order`: the table's slots by start) with their scores and labels. */
export function scoreText(
  table: WindowTable,
  order: Int32Array,
  scores: Float32Array,
  labels: Int32Array,
  line: ScoreLineWriter,
): ScoreText {
  // Sized from the labels (known now) and the first line: the scores' lines then the anomalies'
  // again, so that neither sink grows (copying what it holds) for lines of about that length.
  let flagged = 0;
  for (let i = 0; i < order.length; i++) if (labels[i] === -1) flagged += 1;
  const perLine = order.length > 0 ? lineAt(table, order, scores, labels, line, 0).length + 32 : 0;
  const out = new ByteSink((order.length + flagged) * perLine);
  const anomalies = new ByteSink(flagged * perLine);
  for (let i = 0; i < order.length; i++) {
    const one = lineAt(table, order, scores, labels, line, i);
    out.write(one);
    if (labels[i] === -1) anomalies.write(one);
  }
  out.flush();
  const scoreBytes = out.length;
  out.append(anomalies);
  return { bytes: out.bytes.subarray(0, out.length), scoreBytes, anomalyCount: flagged };
}

/** The line of the i-th window of `order`. */
function lineAt(
  table: WindowTable,
  order: Int32Array,
  scores: Float32Array,
  labels: Int32Array,
  line: ScoreLineWriter,
  i: number,
): string {
  const slot = order[i] as number;
  return line(
    table.starts[slot] as number,
    table.counts[slot] as number,
    table.means[slot] as number,
    table.std(slot),
    table.mins[slot] as number,
    table.maxs[slot] as number,
    scores[i] ?? Number.NaN,
    labels[i] ?? 0,
  );
}

/** Whether a line made by scoreLine is an anomaly (label -1). */
export function isAnomalyLine(line: string): boolean {
  return splitCsvLine(line.trimEnd())?.[SCORE_COLUMNS.indexOf('label')] === '-1';
}
