import { inputWhitelist } from '../../video/ffmpeg/inputs.js';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseTimestamp } from '../../core/timestamps.js';
import { ocsvmModelTrainer } from '../../training/ocsvmModelTrainer.js';
import { trainModels } from '../../usecases/trainModels.js';
import { runTool, trimStderr } from '../../video/ffmpeg/tool.js';
import { packageRoot } from '../packageRoot.js';
import type { Command } from 'commander';
import type { CliEnv } from '../cliEnv.js';
import { fileLogger } from '../context.js';
import { println } from '../io.js';
import { runFile } from './jobCommands.js';
import { printTrainReport } from './trainCommand.js';

const SAMPLE = join(packageRoot(), 'samples', 'sensor_data.csv');

/**
 * The main job on a fresh clone: trains one one-class SVM per (device, tag) on the first two
 * hours of the sample readings, then scores the whole file on the embedded runtime and prints
 * where the results are and how many anomalies were found.
 */
async function anomalyDemo(env: CliEnv, out: string): Promise<void> {
  const { io } = env;
  if (!existsSync(SAMPLE)) throw new Error(`the sample readings are missing: ${SAMPLE}`);
  const config = env.config();
  const ctx = await env.local();
  println(io, `1/2 training ocsvm models on ${SAMPLE} (windows before 2018-08-29T01:00:00Z)`);
  const report = await trainModels(
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
  );
  printTrainReport(io, report);
  println(io, `2/2 scoring ${SAMPLE} on the embedded runtime (${config.workers} workers, state in ${config.home})`);
  await runFile(env, SAMPLE, { out });
  println(
    io,
    env.exitCode === 0
      ? `done: see ${out}/anomalies.csv`
      : 'the job did not succeed; see "tessera status" and the logs in ' + `${config.home}/logs`,
  );
}

export function registerDemoCommand(program: Command, env: CliEnv): void {
  const demo = program
    .command('demo')
    .description('train the sample models and score the sample readings on the embedded runtime; results in DIR')
    .argument('[dir]', 'where the results go', 'tessera-demo-results')
    .action((dir: string) => anomalyDemo(env, dir));
  demo
    .command('video')
    .description('style an ffmpeg-generated test clip with the built-in toon model; the styled clip goes in DIR')
    .argument('[dir]', 'where the clip and its styled copy go', 'tessera-demo-video')
    .action((dir: string) => videoDemo(env, dir));
}

/**
 * The video demo from the repository alone: ffmpeg makes a 4-second test clip with a tone
 * (nothing from ../shared), and the built-in toon model styles it on the embedded runtime.
 */
async function videoDemo(env: CliEnv, out: string): Promise<void> {
  const { io } = env;
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
  await runFile(env, clip, { model: 'toon', out });
  println(
    io,
    env.exitCode === 0
      ? `done: see ${join(out, 'demo-clip.styled.mp4')}`
      : 'the job did not succeed; see "tessera status"',
  );
}
