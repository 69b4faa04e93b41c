import { splitCsvLine } from './csvLine.js';
import { parseTimestamp } from './timestamps.js';

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

/** Parses and validates one data row. */
export function parseReadingRow(line: string): RowResult {
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
