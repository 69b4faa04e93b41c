import type { Window } from './windowing.js';
import { csvField } from './csvLine.js';
import { formatTimestamp } from './timestamps.js';

/**
 * A window emitted by the stream aggregator, as stored: its features, its revision, and the
 * events that made it (partition and sequence range), for lineage.
 */
export interface StoredWindow extends Window {
  readonly revision: number;
  readonly partition: number;
  readonly firstSequenceNumber: number;
  readonly lastSequenceNumber: number;
  /** Its device's watermark (event time) when the window was emitted. */
  readonly watermark: number;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** `date=YYYY-MM-DD/hour=HH/`: the partition of the blob store a watermark falls in. */
export function hourPrefix(ms: number): string {
  const d = new Date(ms);
  return `date=${d.toISOString().slice(0, 10)}/hour=${pad(d.getUTCHours(), 2)}/`;
}

/**
 * The blob of one emission batch: partitioned by the date and hour of the emitting watermark
 * (event time, so a replay after a crash writes the same name), then partition and sequence range.
 */
export function windowBatchName(
  watermark: number,
  partition: number,
  firstSequenceNumber: number,
  lastSequenceNumber: number,
): string {
  return `${hourPrefix(watermark)}p${pad(partition, 4)}-${pad(firstSequenceNumber, 12)}-${pad(lastSequenceNumber, 12)}.jsonl`;
}

export function encodeWindowBatch(windows: readonly StoredWindow[]): string {
  return windows.map((w) => JSON.stringify(w)).join('\n') + '\n';
}

export function decodeWindowBatch(text: string): StoredWindow[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as StoredWindow);
}

/** The columns of a stream run's scores.csv: the result, its revision, and its lineage. */
export const STREAM_SCORE_COLUMNS = [
  'device',
  'tag',
  'window_start',
  'window_end',
  'revision',
  'count',
  'mean',
  'std',
  'min',
  'max',
  'score',
  'label',
  'model',
  'model_sha256',
  'partition',
  'first_sequence',
  'last_sequence',
  'batch',
] as const;

export const STREAM_SCORE_HEADER = `${STREAM_SCORE_COLUMNS.join(',')}\n`;

export function streamScoreLine(
  w: StoredWindow,
  score: number,
  label: number,
  model: string,
  sha256: string,
  batch: string,
): string {
  return (
    [
      csvField(w.device),
      csvField(w.tag),
      formatTimestamp(w.start),
      formatTimestamp(w.end),
      w.revision,
      w.count,
      w.mean,
      w.std,
      w.min,
      w.max,
      score,
      label,
      csvField(model),
      sha256,
      w.partition,
      w.firstSequenceNumber,
      w.lastSequenceNumber,
      csvField(batch),
    ].join(',') + '\n'
  );
}
