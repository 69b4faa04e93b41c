/**
 * The shared, read-only fixtures (../shared/fixtures from the repository root) and readers for the
 * one-class SVM oracle: windows.csv (features) and scores.csv (scikit-learn's decision_function).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const fixturesDir = path.resolve(import.meta.dirname, '../../../shared/fixtures');
export const ocsvmDir = path.join(fixturesDir, 'ocsvm');

/** Feature order of the OCSVM models (metadata `features`). */
export const OCSVM_FEATURES = ['mean', 'std', 'min', 'max'] as const;

export interface WindowRow {
  readonly device: string;
  readonly tag: string;
  readonly windowStart: string;
  readonly count: number;
  /** [mean, std, min, max] */
  readonly features: readonly [number, number, number, number];
}

export interface ScoreRow {
  readonly device: string;
  readonly tag: string;
  readonly windowStart: string;
  readonly decision: number;
  readonly label: number;
}

export interface OcsvmModelEntry {
  readonly device: string;
  readonly tag: string;
  /** Relative to ocsvmDir. */
  readonly model: string;
  readonly sha256: string;
  readonly n_support: number;
}

export interface OcsvmManifest {
  readonly train_until: string;
  readonly nu: number;
  readonly models: readonly OcsvmModelEntry[];
}

/** Parses a header-first CSV without quoted fields into records keyed by column name. */
export function readCsv(file: string): Record<string, string>[] {
  const lines = readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.length > 0);
  const header = (lines[0] ?? '').split(',');
  return lines.slice(1).map((line) => {
    const cells = line.split(',');
    return Object.fromEntries(header.map((h, i) => [h, cells[i] ?? '']));
  });
}

export function readWindows(file = path.join(ocsvmDir, 'windows.csv')): WindowRow[] {
  return readCsv(file).map((r) => ({
    device: r.device!,
    tag: r.tag!,
    windowStart: r.window_start!,
    count: Number(r.count),
    features: [Number(r.mean), Number(r.std), Number(r.min), Number(r.max)],
  }));
}

export function readScores(file = path.join(ocsvmDir, 'scores.csv')): ScoreRow[] {
  return readCsv(file).map((r) => ({
    device: r.device!,
    tag: r.tag!,
    windowStart: r.window_start!,
    decision: Number(r.decision),
    label: Number(r.label),
  }));
}

export function readOcsvmManifest(): OcsvmManifest {
  return JSON.parse(readFileSync(path.join(ocsvmDir, 'manifest.json'), 'utf8')) as OcsvmManifest;
}

export function ocsvmModelPath(entry: OcsvmModelEntry): string {
  return path.join(ocsvmDir, entry.model);
}

/** The windows of one series as a row-major float32 [n, 4] matrix. */
export function featureMatrix(rows: readonly WindowRow[]): Float32Array {
  const out = new Float32Array(rows.length * 4);
  rows.forEach((r, i) => out.set(r.features, i * 4));
  return out;
}

/** Groups rows by `${device}-${tag}` in first-seen order. */
export function bySeries<T extends { device: string; tag: string }>(rows: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const key = `${r.device}-${r.tag}`;
    const list = out.get(key) ?? [];
    list.push(r);
    out.set(key, list);
  }
  return out;
}
