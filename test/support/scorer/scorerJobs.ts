/**
 * Inputs and read-backs for the scorer end-to-end test: slices of the sensor fixture, a trimmed
 * section of the skyline clip, the oracle models registered on Azurite, jobs awaited in the
 * ledger, and results read back.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AzureContext } from '../../../src/composition/azure/azureContext.js';
import { CONTAINERS, resultBlobName, type ResultFile } from '../../../src/core/jobNaming.js';
import { TERMINAL_JOB_STATES } from '../../../src/ports/jobLedger.js';
import { getJobProgress, type JobProgress } from '../../../src/usecases/jobStatus.js';
import { readBlobText } from '../../../src/usecases/readBlobText.js';
import { fixturesDir, ocsvmDir, readOcsvmManifest } from '../fixtures.js';

const run = promisify(execFile);
export const SENSOR_CSV = join(fixturesDir, 'sensors/batchai-sensor_data.csv');
export const SKYLINE = join(fixturesDir, 'video/skyline-360p.mp4');

/** The header and the first `rows` data rows of the sensor fixture that `keep` accepts. */
export function sensorSlice(
  rows: number,
  keep: (device: string, tag: string) => boolean = () => true,
): { csv: string; rows: string[][] } {
  const [header = '', ...lines] = readFileSync(SENSOR_CSV, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l !== '');
  const kept = lines
    .slice(0, rows)
    .map((l) => l.split(','))
    .filter((c) => keep(c[1] ?? '', c[2] ?? ''));
  return { csv: `${[header, ...kept.map((c) => c.join(','))].join('\n')}\n`, rows: kept };
}

/** Distinct (device, tag, minute) windows of rows `TS,Device,Tag,Value` (timestamps UTC). */
export function expectedWindows(rows: readonly string[][], windowSeconds = 60): Set<string> {
  const out = new Set<string>();
  for (const [ts = '', device, tag] of rows) {
    const seconds = Math.floor(Date.parse(`${ts.replace(' ', 'T')}Z`) / 1000);
    out.add(
      `${device},${tag},${new Date((seconds - (seconds % windowSeconds)) * 1000).toISOString().replace('.000Z', 'Z')}`,
    );
  }
  return out;
}

export async function registerOracleModels(ctx: Pick<AzureContext, 'registry'>): Promise<void> {
  for (const m of readOcsvmManifest().models)
    await ctx.registry.add(`ocsvm-${m.device}-${m.tag}`, readFileSync(join(ocsvmDir, m.model)));
}

/** The first `seconds` of the skyline clip, copied (no re-encode). */
export async function skylineSection(out: string, seconds: number): Promise<string> {
  await run('ffmpeg', [
    '-hide_banner',
    '-v',
    'error',
    '-nostdin',
    '-y',
    '-i',
    SKYLINE,
    '-t',
    String(seconds),
    '-map',
    '0',
    '-c',
    'copy',
    out,
  ]);
  return out;
}

/** Video packets (= frames) of a file, counted by ffprobe. */
export async function videoFrames(file: string): Promise<number> {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-count_packets',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=nb_read_packets',
    '-of',
    'csv=p=0',
    file,
  ]);
  return Number(stdout.trim());
}

export async function waitForJob(
  ctx: Pick<AzureContext, 'ledger'>,
  jobId: string,
  timeoutMs: number,
): Promise<JobProgress> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const progress = await getJobProgress(ctx.ledger, jobId);
    if (progress && TERMINAL_JOB_STATES.includes(progress.job.state)) return progress;
    if (Date.now() > deadline)
      throw new Error(
        `job ${jobId} did not end within ${timeoutMs} ms: ${progress?.job.state} ${JSON.stringify(progress?.shards)}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A result file's data lines (header dropped). */
export async function resultLines(
  ctx: Pick<AzureContext, 'blobs'>,
  jobId: string,
  file: ResultFile,
): Promise<string[]> {
  const text = await readBlobText(ctx.blobs, CONTAINERS.results, resultBlobName(jobId, file));
  return text
    .split('\n')
    .filter((l) => l !== '')
    .slice(1);
}
