import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { InputError } from '../../core/errors.js';
import { parseTimestamp } from '../../core/timestamps.js';
import type { OcsvmTrainingOptions } from '../../ports/training.js';
import { ocsvmModelTrainer } from '../../training/ocsvmModelTrainer.js';
import { trainModels, type TrainReport } from '../../usecases/trainModels.js';
import { parseCommandArgs, requirePositional } from '../args.js';
import { fileLogger, withLocalContext } from '../context.js';
import { println, type CliIo } from '../io.js';

/**
 * `tessera train ocsvm READINGS.csv [--nu 0.05] [--gamma scale|auto|G] [--window-seconds 60]
 * [--train-until ISO] [--train-until DEVICE/TAG=ISO]… [--tag T]…`
 */
export async function trainCommand(args: string[], io: CliIo): Promise<number> {
  const [algorithm, ...rest] = args;
  if (algorithm !== 'ocsvm') throw new InputError('tessera train', `unknown algorithm "${algorithm ?? ''}" (ocsvm)`);
  const { values, positionals } = parseCommandArgs('train ocsvm', rest, {
    nu: { type: 'string', default: '0.05' },
    gamma: { type: 'string', default: 'scale' },
    'window-seconds': { type: 'string', default: '60' },
    'train-until': { type: 'string', multiple: true },
    tag: { type: 'string', multiple: true },
  });
  const file = requirePositional('train ocsvm', positionals, 0, 'READINGS.csv');
  if (!(await stat(file).catch(() => undefined))?.isFile()) throw new InputError(file, 'no such file');
  const nu = Number(values.nu);
  const gamma = gammaOf(values.gamma);
  const windowSeconds = Number(values['window-seconds']);
  if (!Number.isInteger(windowSeconds) || windowSeconds <= 0)
    throw new InputError('--window-seconds', `must be a positive integer, got "${values['window-seconds']}"`);
  const { trainUntil, trainUntilBySeries } = cutoffsOf(values['train-until'] ?? []);
  const report = await withLocalContext(async (ctx, config) =>
    trainModels(
      { stream: createReadStream(file), name: file },
      {
        sink: { add: async (name, bytes, opts) => (await ctx.registry.add(name, bytes, opts)).record },
        trainer: ocsvmModelTrainer,
      },
      {
        windowSeconds,
        nu,
        gamma,
        trainUntil,
        trainUntilBySeries,
        modelPattern: config.modelPattern,
        tags: values.tag ?? [],
      },
      fileLogger(config, 'cli'),
    ),
  );
  printTrainReport(io, report);
  return report.trained.length > 0 ? 0 : 1;
}

/** scikit-learn's gamma: 'scale', 'auto' or a positive number. */
function gammaOf(value: string): OcsvmTrainingOptions['gamma'] {
  if (value === 'scale' || value === 'auto') return value;
  const gamma = Number(value);
  if (value.trim() === '' || !(gamma > 0) || !Number.isFinite(gamma))
    throw new InputError('--gamma', `must be "scale", "auto" or a positive number, got "${value}"`);
  return gamma;
}

/** `--train-until ISO` (every series, at most once) and `--train-until DEVICE/TAG=ISO` (one series each). */
function cutoffsOf(values: readonly string[]): { trainUntil?: number; trainUntilBySeries: Map<string, number> } {
  let trainUntil: number | undefined;
  const trainUntilBySeries = new Map<string, number>();
  for (const value of values) {
    const eq = value.lastIndexOf('=');
    const series = eq < 0 ? undefined : value.slice(0, eq).trim();
    const time = parseTimestamp(eq < 0 ? value : value.slice(eq + 1));
    if (time === undefined)
      throw new InputError('--train-until', `not a timestamp: "${eq < 0 ? value : value.slice(eq + 1)}"`);
    if (series === undefined) {
      if (trainUntil !== undefined) throw new InputError('--train-until', 'given twice without a series');
      trainUntil = time;
    } else {
      if (!series.includes('/')) throw new InputError('--train-until', `expected DEVICE/TAG=TIME, got "${value}"`);
      if (trainUntilBySeries.has(series)) throw new InputError('--train-until', `series ${series} given twice`);
      trainUntilBySeries.set(series, time);
    }
  }
  return { trainUntil, trainUntilBySeries };
}

export function printTrainReport(io: CliIo, report: TrainReport): void {
  for (const t of report.trained) println(io, `trained ${t.model} on ${t.windows} windows`);
  for (const s of report.skipped) println(io, `skipped device ${s.device} tag ${s.tag}: ${s.reason}`);
  if (report.errors.badRows > 0)
    println(
      io,
      `${report.errors.badRows} of ${report.errors.rows} rows rejected: ${Object.entries(report.errors.byReason)
        .map(([r, e]) => `${r} (${e.count})`)
        .join(', ')}`,
    );
}
