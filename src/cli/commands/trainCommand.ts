import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { InputError } from '../../core/errors.js';
import { parseTimestamp } from '../../core/timestamps.js';
import type { OcsvmTrainingOptions } from '../../ports/training.js';
import { ocsvmModelTrainer } from '../../training/ocsvmModelTrainer.js';
import { trainModels, type TrainReport } from '../../usecases/trainModels.js';
import type { CliEnv } from '../cliEnv.js';
import { fileLogger } from '../context.js';
import { println, type CliIo } from '../io.js';

type TrainFlags = { nu: string; gamma: string; windowSeconds: string; trainUntil: string[]; tag: string[] };

function settingsOf(flags: TrainFlags) {
  const nu = Number(flags.nu);
  if (!(nu > 0 && nu <= 1)) throw new InputError('--nu', `must be a number in (0, 1], got "${flags.nu}"`);
  const gamma = gammaOf(flags.gamma);
  const windowSeconds = Number(flags.windowSeconds);
  if (!Number.isInteger(windowSeconds) || windowSeconds <= 0)
    throw new InputError('--window-seconds', `must be a positive integer, got "${flags.windowSeconds}"`);
  const { trainUntil, trainUntilBySeries } = cutoffsOf(flags.trainUntil);
  return { nu, gamma, windowSeconds, trainUntil, trainUntilBySeries } as const;
}

/** scikit-learn's gamma: 'scale', 'auto' (1 / n_features) or a positive number. */
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
    const text = eq < 0 ? value : value.slice(eq + 1);
    const time = parseTimestamp(text);
    if (time === undefined) throw new InputError('--train-until', `not a timestamp: "${text}"`);
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

export function registerTrainCommand(program: Command, env: CliEnv): void {
  const train = program.command('train').description('train models from readings and register them');
  train
    .command('ocsvm')
    .description(
      'one StandardScaler + one-class SVM (libsvm, RBF) per series, exported in skl2onnx form and registered',
    )
    .argument('<readings>', 'a .csv of readings (TS,Device,Tag,Value)')
    .option('--nu <nu>', "the SVM's nu: the share of training windows allowed outside", '0.05')
    .option('--gamma <gamma>', 'RBF gamma as scikit-learn takes it: "scale", "auto" or a positive number', 'scale')
    .option('--window-seconds <s>', 'window length in seconds', '60')
    .option(
      '--train-until <time>',
      'train on windows before TIME only; DEVICE/TAG=TIME for one series (repeatable)',
      (v: string, p: string[]) => [...p, v],
      [],
    )
    .option('--tag <tag>', 'tag the new versions (repeatable)', (v: string, p: string[]) => [...p, v], [])
    .action(async (file: string, flags: TrainFlags) => {
      const settings = settingsOf(flags);
      if (!(await stat(file).catch(() => undefined))?.isFile()) throw new InputError(file, 'no such file');
      const ctx = await env.local();
      const config = env.config();
      const report = await trainModels(
        { stream: createReadStream(file), name: file },
        {
          sink: { add: async (name, bytes, opts) => (await ctx.registry.add(name, bytes, opts)).record },
          trainer: ocsvmModelTrainer,
        },
        { ...settings, modelPattern: config.modelPattern, tags: flags.tag },
        fileLogger(config, 'cli'),
      );
      printTrainReport(env.io, report);
      env.exitCode = report.trained.length > 0 ? 0 : 1;
    });
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
