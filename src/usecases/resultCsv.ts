import { Readable } from 'node:stream';
import { CONTAINERS, resultBlobName } from '../core/jobNaming.js';
import { textLines } from '../lib/textLines.js';
import type { BlobStore } from '../ports/blobStore.js';

/** Lines are written in chunks of about this many characters: one write per line would dominate. */
const CHUNK = 65_536;

/**
 * Writes a job's scores.csv (every line of its shards' outputs, in the order given) and
 * anomalies.csv (the lines `isAnomaly` picks), each under `header`. The outputs are streamed a
 * line at a time, never held whole, so memory does not grow with the job.
 */
export async function writeCsvResults(
  blobs: BlobStore,
  jobId: string,
  outputs: readonly string[],
  header: string,
  isAnomaly: (line: string) => boolean,
): Promise<void> {
  const put = (file: 'scores.csv' | 'anomalies.csv', lines: AsyncIterable<string>) =>
    blobs.put(CONTAINERS.results, resultBlobName(jobId, file), Readable.from(lines), { contentType: 'text/csv' });
  await put(
    'scores.csv',
    outputLines(blobs, outputs, header, () => true),
  );
  await put('anomalies.csv', outputLines(blobs, outputs, header, isAnomaly));
}

async function* outputLines(
  blobs: BlobStore,
  outputs: readonly string[],
  header: string,
  keep: (line: string) => boolean,
): AsyncGenerator<string> {
  let chunk = header;
  for (const name of outputs) {
    const { stream } = await blobs.get(CONTAINERS.work, name);
    for await (const line of textLines(stream, `${CONTAINERS.work}/${name}`)) {
      if (line === '' || !keep(line)) continue;
      chunk += `${line}\n`;
      if (chunk.length >= CHUNK) {
        yield chunk;
        chunk = '';
      }
    }
  }
  yield chunk;
}

/** A byte range of a `work` blob: from `start`, to `end` (exclusive) or the blob's end. */
export interface BlobSlice {
  readonly name: string;
  readonly start: number;
  readonly end?: number;
}

/**
 * Writes one result file of a job: `header`, then the slices of `work` blobs, in order, streamed
 * chunk by chunk (never a line at a time, never a whole blob in memory).
 */
export async function writeConcatenated(
  blobs: BlobStore,
  jobId: string,
  file: 'scores.csv' | 'anomalies.csv',
  header: string,
  slices: readonly BlobSlice[],
): Promise<void> {
  async function* body(): AsyncGenerator<Buffer> {
    yield Buffer.from(header);
    for (const slice of slices) yield* sliceOf(blobs, slice);
  }
  await blobs.put(CONTAINERS.results, resultBlobName(jobId, file), Readable.from(body()), { contentType: 'text/csv' });
}

async function* sliceOf(blobs: BlobStore, slice: BlobSlice): AsyncGenerator<Buffer> {
  const { stream } = await blobs.get(CONTAINERS.work, slice.name);
  const end = slice.end ?? Infinity;
  let at = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const from = Math.max(0, slice.start - at);
      const to = Math.min(chunk.length, end - at);
      at += chunk.length;
      if (to > from) yield from === 0 && to === chunk.length ? chunk : chunk.subarray(from, to);
      if (at >= end) break;
    }
  } finally {
    stream.destroy();
  }
}

/** The results' names, as summaries link them. */
export function resultLinks(jobId: string): { scores: string; anomalies: string } {
  return {
    scores: `${CONTAINERS.results}/${resultBlobName(jobId, 'scores.csv')}`,
    anomalies: `${CONTAINERS.results}/${resultBlobName(jobId, 'anomalies.csv')}`,
  };
}
