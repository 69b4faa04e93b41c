import { splitCsvLine } from './csvLine.js';
import { formatTimestamp, parseTimestamp, type TimestampRange } from './timestamps.js';

/** One sensor reading from a `TS,Device,Tag,Value` file. */
export interface Reading {
  readonly device: string;
  readonly tag: string;
  /** Event time, epoch milliseconds (UTC). */
  readonly ts: number;
  readonly value: number;
}

export const READINGS_HEADER = ['TS', 'Device', 'Tag', 'Value'] as const;

/** Why a row was rejected. Stable strings: they key the error report. */
export type RowErrorReason =
  | 'wrong column count'
  | 'unparseable timestamp'
  | 'timestamp out of range'
  | 'non-numeric value'
  | 'non-finite value'
  | 'empty device or tag'
  | 'series has no model';

export type RowResult =
  | { readonly ok: true; readonly reading: Reading }
  | { readonly ok: false; readonly reason: RowErrorReason; readonly detail: string };

/** Checks the header line; returns a reason when it is not `TS,Device,Tag,Value`. */
export function checkReadingsHeader(line: string): string | undefined {
  const fields = splitCsvLine(line.replace(/^\uFEFF/, ''))?.map((f) => f.trim().toLowerCase());
  const expected = READINGS_HEADER.map((h) => h.toLowerCase());
  if (!fields || fields.length !== expected.length || fields.some((f, i) => f !== expected[i])) {
    return `expected header "${READINGS_HEADER.join(',')}", found "${line.slice(0, 80)}"`;
  }
  return undefined;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Parses and validates one data row. With `range`, a timestamp outside it (a year 0001 or 9999
 * typo) is rejected as out of range, naming the bound and the settings that move it.
 */
export function parseReadingRow(line: string, range?: TimestampRange): RowResult {
  const fields = splitCsvLine(line);
  if (!fields || fields.length !== 4) {
    return {
      ok: false,
      reason: 'wrong column count',
      detail: `expected 4 columns, found ${fields?.length ?? 'unbalanced quotes'}`,
    };
  }
  const [tsText, deviceText, tagText, valueText] = fields.map((f) => f.trim()) as [string, string, string, string];
  const ts = parseTimestamp(tsText);
  if (ts === undefined) return { ok: false, reason: 'unparseable timestamp', detail: `"${tsText.slice(0, 40)}"` };
  if (range && (ts < range.minMs || ts >= range.maxMs)) {
    const bound =
      ts < range.minMs ? `before ${formatTimestamp(range.minMs)}` : `at or after ${formatTimestamp(range.maxMs)}`;
    return {
      ok: false,
      reason: 'timestamp out of range',
      detail: `"${tsText.slice(0, 40)}" is ${bound} (TESSERA_MIN_TIMESTAMP, TESSERA_MAX_TIMESTAMP)`,
    };
  }
  if (deviceText === '' || tagText === '')
    return { ok: false, reason: 'empty device or tag', detail: 'device and tag are required' };
  const lowered = valueText.toLowerCase();
  if (['nan', 'inf', '+inf', '-inf', 'infinity', '+infinity', '-infinity'].includes(lowered)) {
    return { ok: false, reason: 'non-finite value', detail: `"${valueText}"` };
  }
  if (!NUMBER.test(valueText)) return { ok: false, reason: 'non-numeric value', detail: `"${valueText.slice(0, 40)}"` };
  const value = Number(valueText);
  if (!Number.isFinite(value)) return { ok: false, reason: 'non-finite value', detail: `"${valueText.slice(0, 40)}"` };
  return { ok: true, reading: { device: deviceText, tag: tagText, ts, value } };
}
