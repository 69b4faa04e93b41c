import { createWriteStream } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { CONTAINERS } from '../core/jobNaming.js';
import type { BlobStore } from '../ports/blobStore.js';

/** Copies a job's result files (everything under `results/<jobId>/`) into `dir`, keeping their names. */
export async function writeResults(blobs: BlobStore, jobId: string, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for await (const blob of blobs.list(CONTAINERS.results, `${jobId}/`)) {
    const relative = blob.name.slice(jobId.length + 1);
    if (relative === '' || relative.includes('/')) continue;
    const { stream } = await blobs.get(CONTAINERS.results, blob.name);
    const target = resolve(join(dir, relative));
    // Written aside and renamed into place: a crash never leaves a truncated result file.
    await pipeline(stream, createWriteStream(`${target}.partial`));
    await rename(`${target}.partial`, target);
    written.push(target);
  }
  return written;
}
