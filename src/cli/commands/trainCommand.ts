import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { InputError } from '../../core/errors.js';
import { parseTimestamp } from '../../core/timestamps.js';
import { trainModels, type TrainReport } from '../../usecases/trainModels.js';
import type { CliEnv } from '../cliEnv.js';
import { fileLogger } from '../context.js';
import { println, type CliIo } from '../io.js';

type TrainFlags = { nu: string; gamma: string; windowSeconds: string; trainUntil?: string; tag: string[] };

function settingsOf(flags: TrainFlags) {
  const nu = Number(flags.nu);
  if (!(nu > 0 && nu <= 1)) throw new InputError('--nu', `must be a number in (0, 1], got "${flags.nu}"`);
  const gamma = flags.gamma === 'scale' ? 'scale' : Number(flags.gamma);
  if (gamma !== 'scale' && !(gamma > 0))
    throw new InputError('--gamma', `must be "scale" or a positive number, got "${flags.gamma}"`);
  const windowSeconds = Number(flags.windowSeconds);
  if (!Number.isInteger(windowSeconds) || windowSeconds <= 0)
    throw new InputError('--window-seconds', `must be a positive integer, got "${flags.windowSeconds}"`);
  const trainUntil = flags.trainUntil === undefined ? undefined : parseTimestamp(flags.trainUntil);
  if (flags.trainUntil !== undefined && trainUntil === undefined)
    throw new InputError('--train-until', `not a timestamp: "${flags.trainUntil}"`);
  return { nu, gamma, windowSeconds, trainUntil } as const;
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
    .option('--gamma <gamma>', 'RBF gamma: "scale" or a positive number', 'scale')
    .option('--window-seconds <s>', 'window length in seconds', '60')
    .option('--train-until <iso>', 'train on windows before this time only')
    .option('--tag <tag>', 'tag the new versions (repeatable)', (v: string, p: string[]) => [...p, v], [])
    .action(async (file: string, flags: TrainFlags) => {
      const settings = settingsOf(flags);
      if (!(await stat(file).catch(() => undefined))?.isFile()) throw new InputError(file, 'no such file');
      const ctx = await env.local();
      const config = env.config();
      const report = await trainModels(
        { stream: createReadStream(file), name: file },
        { add: async (name, bytes, opts) => (await ctx.registry.add(name, bytes, opts)).record },
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
