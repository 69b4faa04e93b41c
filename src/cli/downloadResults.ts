import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InputError } from '../core/errors.js';
import type { ApiClient } from './apiClient.js';

/**
 * Downloads a job's result files through the API into `dir`, keeping their names. Each is written
 * aside and renamed into place: an interrupted download never leaves a truncated result file.
 */
export async function downloadResults(client: ApiClient, jobId: string, dir: string): Promise<string[]> {
  const detail = await client.getJob(jobId);
  if (detail.files.length === 0)
    throw new InputError(jobId, `has no result files (it is ${detail.job.state}; files come when it ends)`);
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const file of detail.files) {
    const target = resolve(join(dir, file.name));
    const body = await client.download(jobId, file.name);
    try {
      await pipeline(Readable.fromWeb(body), createWriteStream(`${target}.partial`));
      await rename(`${target}.partial`, target);
    } finally {
      await rm(`${target}.partial`, { force: true });
    }
    written.push(target);
  }
  return written;
}
