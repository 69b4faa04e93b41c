import { csvField, splitCsvLine } from './csvLine.js';
import { formatTimestamp } from './timestamps.js';
import type { Window } from './windowing.js';

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

/**
 * scoreLine for the windows of one series under one lineage: the same text, with the fields every
 * line of a shard shares quoted once (a shard writes tens of thousands of lines).
 */
export function scoreLineWriter(
  device: string,
  tag: string,
  lineage: Lineage,
): (w: Window, score: number, label: number) => string {
  const head = `${csvField(device)},${csvField(tag)},`;
  const tail = `,${csvField(lineage.model)},${lineage.modelSha256},${csvField(lineage.inputBlob)},${csvField(lineage.inputEtag)}\n`;
  return (w, score, label) =>
    `${head}${formatTimestamp(w.start)},${formatTimestamp(w.end)},${w.count},${w.mean},${w.std},${w.min},${w.max},${score},${label}${tail}`;
}

/** Whether a line made by scoreLine is an anomaly (label -1). */
export function isAnomalyLine(line: string): boolean {
  return splitCsvLine(line.trimEnd())?.[SCORE_COLUMNS.indexOf('label')] === '-1';
}
