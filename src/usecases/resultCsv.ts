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

/** The results' names, as summaries link them. */
export function resultLinks(jobId: string): { scores: string; anomalies: string } {
  return {
    scores: `${CONTAINERS.results}/${resultBlobName(jobId, 'scores.csv')}`,
    anomalies: `${CONTAINERS.results}/${resultBlobName(jobId, 'anomalies.csv')}`,
  };
}
