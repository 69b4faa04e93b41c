import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { InputError } from '../../core/errors.js';
import { parseTimestamp } from '../../core/timestamps.js';
import { ocsvmModelTrainer } from '../../training/ocsvmModelTrainer.js';
import { trainModels, type TrainReport } from '../../usecases/trainModels.js';
import { parseCommandArgs, requirePositional } from '../args.js';
import { fileLogger, withLocalContext } from '../context.js';
import { println, type CliIo } from '../io.js';

/** `tessera train ocsvm READINGS.csv [--nu 0.05] [--gamma scale|G] [--window-seconds 60] [--train-until ISO] [--tag T]…` */
export async function trainCommand(args: string[], io: CliIo): Promise<number> {
  const [algorithm, ...rest] = args;
  if (algorithm !== 'ocsvm') throw new InputError('tessera train', `unknown algorithm "${algorithm ?? ''}" (ocsvm)`);
  const { values, positionals } = parseCommandArgs('train ocsvm', rest, {
    nu: { type: 'string', default: '0.05' },
    gamma: { type: 'string', default: 'scale' },
    'window-seconds': { type: 'string', default: '60' },
    'train-until': { type: 'string' },
    tag: { type: 'string', multiple: true },
  });
  const file = requirePositional('train ocsvm', positionals, 0, 'READINGS.csv');
  if (!(await stat(file).catch(() => undefined))?.isFile()) throw new InputError(file, 'no such file');
  const nu = Number(values.nu);
  const gamma = values.gamma === 'scale' ? 'scale' : Number(values.gamma);
  const windowSeconds = Number(values['window-seconds']);
  if (!Number.isInteger(windowSeconds) || windowSeconds <= 0)
    throw new InputError('--window-seconds', `must be a positive integer, got "${values['window-seconds']}"`);
  if (gamma !== 'scale' && !(gamma > 0))
    throw new InputError('--gamma', `must be "scale" or a positive number, got "${values.gamma}"`);
  const until = values['train-until'];
  const trainUntil = until === undefined ? undefined : parseTimestamp(until);
  if (until !== undefined && trainUntil === undefined)
    throw new InputError('--train-until', `not a timestamp: "${until}"`);
  const report = await withLocalContext(async (ctx, config) =>
    trainModels(
      { stream: createReadStream(file), name: file },
      {
        sink: { add: async (name, bytes, opts) => (await ctx.registry.add(name, bytes, opts)).record },
        trainer: ocsvmModelTrainer,
      },
      { windowSeconds, nu, gamma, trainUntil, modelPattern: config.modelPattern, tags: values.tag ?? [] },
      fileLogger(config, 'cli'),
    ),
  );
  printTrainReport(io, report);
  return report.trained.length > 0 ? 0 : 1;
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
