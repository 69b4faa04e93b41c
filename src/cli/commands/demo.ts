import { createReadStream, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../config/config.js';
import { parseTimestamp } from '../../core/timestamps.js';
import { trainModels } from '../../usecases/trainModels.js';
import { fileLogger, withLocalContext } from '../context.js';
import { println, type CliIo } from '../io.js';
import { runCommand } from './jobs.js';
import { printTrainReport } from './train.js';

const SAMPLE = fileURLToPath(new URL('../../../samples/sensor_data.csv', import.meta.url));

/**
 * The main job on a fresh clone: trains one one-class SVM per (device, tag) on the first two
 * hours of the sample readings, then scores the whole file on the embedded runtime and prints
 * where the results are and how many anomalies were found.
 */
export async function demoCommand(args: string[], io: CliIo): Promise<number> {
  const out = args[0] ?? 'tessera-demo-results';
  if (!existsSync(SAMPLE)) throw new Error(`the sample readings are missing: ${SAMPLE}`);
  const config = loadConfig();
  println(io, `1/2 training ocsvm models on ${SAMPLE} (windows before 2018-08-29T01:00:00Z)`);
  const report = await withLocalContext((ctx) =>
    trainModels(
      { stream: createReadStream(SAMPLE), name: 'samples/sensor_data.csv' },
      { add: async (name, bytes, opts) => (await ctx.registry.add(name, bytes, opts)).record },
      { windowSeconds: 60, nu: 0.05, gamma: 'scale', trainUntil: parseTimestamp('2018-08-29T01:00:00Z'), modelPattern: config.modelPattern, tags: ['demo'] },
      fileLogger(config, 'cli'),
    ), config);
  printTrainReport(io, report);
  println(io, `2/2 scoring ${SAMPLE} on the embedded runtime (${config.workers} workers, state in ${config.home})`);
  const code = await runCommand([SAMPLE, '--out', out], io);
  println(io, code === 0 ? `done: see ${out}/anomalies.csv` : 'the job did not succeed; see "tessera status" and the logs in ' + `${config.home}/logs`);
  return code;
}
