import { inputWhitelist } from '../../video/ffmpeg/inputs.js';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../config/config.js';
import { parseTimestamp } from '../../core/timestamps.js';
import { ocsvmModelTrainer } from '../../training/ocsvmModelTrainer.js';
import { trainModels } from '../../usecases/trainModels.js';
import { runTool, trimStderr } from '../../video/ffmpeg/tool.js';
import { fileLogger, withLocalContext } from '../context.js';
import { println, type CliIo } from '../io.js';
import { runCommand } from './jobs.js';
import { printTrainReport } from './train.js';

const SAMPLE = join(packageRoot(), 'samples', 'sensor_data.csv');

/** The folder of the nearest package.json above this module: the same from src/ and from the compiled dist/src/. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  return dir;
}

/**
 * The main job on a fresh clone: trains one one-class SVM per (device, tag) on the first two
 * hours of the sample readings, then scores the whole file on the embedded runtime and prints
 * where the results are and how many anomalies were found.
 */
export async function demoCommand(args: string[], io: CliIo): Promise<number> {
  if (args[0] === 'video') return videoDemo(args[1] ?? 'tessera-demo-video', io);
  const out = args[0] ?? 'tessera-demo-results';
  if (!existsSync(SAMPLE)) throw new Error(`the sample readings are missing: ${SAMPLE}`);
  const config = loadConfig();
  println(io, `1/2 training ocsvm models on ${SAMPLE} (windows before 2018-08-29T01:00:00Z)`);
  const report = await withLocalContext(
    (ctx) =>
      trainModels(
        { stream: createReadStream(SAMPLE), name: 'samples/sensor_data.csv' },
        {
          sink: { add: async (name, bytes, opts) => (await ctx.registry.add(name, bytes, opts)).record },
          trainer: ocsvmModelTrainer,
        },
        {
          windowSeconds: 60,
          nu: 0.05,
          gamma: 'scale',
          trainUntil: parseTimestamp('2018-08-29T01:00:00Z'),
          modelPattern: config.modelPattern,
          tags: ['demo'],
        },
        fileLogger(config, 'cli'),
      ),
    config,
  );
  printTrainReport(io, report);
  println(io, `2/2 scoring ${SAMPLE} on the embedded runtime (${config.workers} workers, state in ${config.home})`);
  const code = await runCommand([SAMPLE, '--out', out], io);
  println(
    io,
    code === 0
      ? `done: see ${out}/anomalies.csv`
      : 'the job did not succeed; see "tessera status" and the logs in ' + `${config.home}/logs`,
  );
  return code;
}

/**
 * The video demo from the repository alone: ffmpeg makes a 4-second test clip with a tone
 * (nothing from ../shared), and the built-in toon model styles it on the embedded runtime.
 */
async function videoDemo(out: string, io: CliIo): Promise<number> {
  await mkdir(out, { recursive: true });
  const clip = join(out, 'demo-clip.mp4');
  println(io, `1/2 making a 4 s test clip with ffmpeg: ${clip}`);
  const made = await runTool('ffmpeg', [
    '-v',
    'error',
    '-y',
    ...inputWhitelist('file', ['lavfi']),
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=320x240:rate=25',
    ...inputWhitelist('file', ['lavfi']),
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:sample_rate=48000',
    '-t',
    '4',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-shortest',
    clip,
  ]);
  if (made.code !== 0) throw new Error(`ffmpeg could not make the demo clip: ${trimStderr(made.stderr)}`);
  println(io, '2/2 styling it with the built-in toon model on the embedded runtime');
  const code = await runCommand([clip, '--model', 'toon', '--out', out], io);
  println(
    io,
    code === 0 ? `done: see ${join(out, 'demo-clip.styled.mp4')}` : 'the job did not succeed; see "tessera status"',
  );
  return code;
}
