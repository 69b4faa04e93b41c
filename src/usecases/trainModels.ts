import type { Readable } from 'node:stream';
import { InputError } from '../core/errors.js';
import { modelNameFor } from '../core/jobNaming.js';
import { checkReadingsHeader, parseReadingRow } from '../core/readings.js';
import { RowErrorReport, type RowErrorSummary } from '../core/rowErrors.js';
import { seriesId } from '../core/sharding.js';
import { FEATURES, SeriesWindows, windowStartOf, writeFeatures } from '../core/windowing.js';
import type { Logger } from '../ports/logger.js';
import type { ModelSink, ModelTrainer, OcsvmTrainingOptions } from '../ports/training.js';
import { textLines } from '../lib/textLines.js';

/** What training writes to: the registry, and the trainer that fits and exports each model. */
export interface TrainDeps {
  readonly sink: ModelSink;
  readonly trainer: ModelTrainer;
}

export interface TrainOptions {
  readonly windowSeconds: number;
  readonly nu: number;
  readonly gamma: OcsvmTrainingOptions['gamma'];
  /** Only windows that start before this instant (epoch ms) are used for training. */
  readonly trainUntil?: number;
  /** Per series, keyed `DEVICE/TAG`: a cut-off that replaces `trainUntil` for that series. */
  readonly trainUntilBySeries?: ReadonlyMap<string, number>;
  readonly modelPattern: string;
  readonly tags?: readonly string[];
  /** Series with fewer training windows are skipped. */
  readonly minWindows?: number;
}

export interface TrainReport {
  readonly trained: { device: string; tag: string; model: string; windows: number; sha256: string }[];
  readonly skipped: { device: string; tag: string; reason: string }[];
  readonly errors: RowErrorSummary;
}

/**
 * `tessera train ocsvm`: one streaming pass builds every series' windows (those that start before
 * the series' cut-off, when it has one: its own, else the global one), then one
 * StandardScaler + one-class SVM per (device, tag) is fitted, exported in skl2onnx form
 * (with `features` and `window_seconds` metadata) and registered as `ocsvm-<device>-<tag>`.
 */
export async function trainModels(
  input: { stream: Readable; name: string },
  deps: TrainDeps,
  options: TrainOptions,
  log: Logger,
): Promise<TrainReport> {
  const windowMs = options.windowSeconds * 1000;
  const series = new Map<string, SeriesWindows>();
  const errors = new RowErrorReport();
  const cutoffOf = (series: string) => options.trainUntilBySeries?.get(series) ?? options.trainUntil;
  const cutoffs = new Map<string, number | undefined>();
  let lineNo = 0;
  for await (const line of textLines(input.stream, input.name)) {
    lineNo += 1;
    if (lineNo === 1) {
      const bad = checkReadingsHeader(line);
      if (bad) throw new InputError(input.name, bad);
      continue;
    }
    if (line.trim() === '') continue;
    errors.countRow();
    const row = parseReadingRow(line);
    if (!row.ok) {
      errors.reject(lineNo, row.reason, row.detail);
      continue;
    }
    const { device, tag, ts, value } = row.reading;
    const key = seriesId(row.reading);
    let until = cutoffs.get(key);
    if (!cutoffs.has(key)) cutoffs.set(key, (until = cutoffOf(`${device}/${tag}`)));
    if (until !== undefined && windowStartOf(ts, windowMs) >= until) continue;
    let s = series.get(key);
    if (!s) series.set(key, (s = new SeriesWindows(device, tag, options.windowSeconds)));
    s.add(ts, value);
  }
  if (lineNo === 0) throw new InputError(input.name, 'the file is empty');
  const seen = new Set([...series.values()].map((s) => `${s.device}/${s.tag}`));
  const unknown = [...(options.trainUntilBySeries?.keys() ?? [])].filter((k) => !seen.has(k));
  if (unknown.length > 0)
    throw new InputError(
      input.name,
      `a training cut-off names series with no readings before it: ${unknown.join(', ')}`,
    );
  const report: TrainReport = { trained: [], skipped: [], errors: errors.summary() };
  const minWindows = options.minWindows ?? 10;
  for (const s of [...series.values()].sort((a, b) => seriesId(a).localeCompare(seriesId(b)))) {
    const name = modelNameFor(options.modelPattern, s);
    const windows = s.windows();
    if (windows.length < minWindows) {
      report.skipped.push({
        device: s.device,
        tag: s.tag,
        reason: `only ${windows.length} training windows (at least ${minWindows} needed)`,
      });
      continue;
    }
    const until = cutoffs.get(seriesId(s));
    const X = new Float64Array(windows.length * FEATURES.length);
    windows.forEach((w, i) => writeFeatures(w, FEATURES, X, i * FEATURES.length));
    const fit = await deps.trainer.trainOcsvm(X, FEATURES.length, {
      nu: options.nu,
      gamma: options.gamma,
      name,
      features: FEATURES,
      windowSeconds: options.windowSeconds,
    });
    const meta = {
      trained_from: input.name,
      train_windows: String(windows.length),
      nu: String(options.nu),
      gamma: String(fit.gamma),
      ...(until !== undefined ? { train_until: new Date(until).toISOString() } : {}),
    };
    const added = await deps.sink.add(name, fit.bytes, { meta, tags: [...(options.tags ?? [])] });
    log.info('model trained', {
      model: `${added.name}@${added.version}`,
      windows: windows.length,
      supportVectors: fit.supportVectors,
    });
    report.trained.push({
      device: s.device,
      tag: s.tag,
      model: `${added.name}@${added.version}`,
      windows: windows.length,
      sha256: added.sha256,
    });
  }
  return report;
}
