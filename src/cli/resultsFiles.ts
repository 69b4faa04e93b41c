import { createWriteStream } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { CONTAINERS, RESULT_FILES, resultBlobName } from '../core/jobNaming.js';
import type { BlobStore } from '../ports/blobStore.js';

/** Copies a job's result files into `dir`, keeping their names. Returns the paths written. */
export async function writeResults(blobs: BlobStore, jobId: string, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const file of RESULT_FILES) {
    const props = await blobs.head(CONTAINERS.results, resultBlobName(jobId, file));
    if (!props) continue;
    const { stream } = await blobs.get(CONTAINERS.results, resultBlobName(jobId, file));
    const target = resolve(join(dir, file));
    // Written aside and renamed into place: a crash never leaves a truncated result file.
    await pipeline(stream, createWriteStream(`${target}.partial`));
    await rename(`${target}.partial`, target);
    written.push(target);
  }
  return written;
}
