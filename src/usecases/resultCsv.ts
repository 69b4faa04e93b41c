import { once } from 'node:events';
import { PassThrough, Readable } from 'node:stream';
import { CONTAINERS, resultBlobName, type ResultFile } from '../core/jobNaming.js';
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

/** A `work` blob whose bytes up to `split` go to one result file, and the rest to another. */
export interface SplitBlob {
  readonly name: string;
  readonly split: number;
}

/**
 * Writes two result files of a job at once, each `header` then its part of every blob in order:
 * the bytes before each blob's `split` go to `files[0]`, the rest to `files[1]`. Each blob is read
 * once, chunk by chunk (never a line at a time, never whole in memory), and both files are streamed
 * as it is read.
 */
export async function writeSplitResults(
  blobs: BlobStore,
  jobId: string,
  files: readonly ['scores.csv', 'anomalies.csv'],
  header: string,
  sources: readonly SplitBlob[],
): Promise<void> {
  const outs = [new PassThrough(), new PassThrough()] as const;
  const puts = outs.map((out, i) =>
    blobs.put(CONTAINERS.results, resultBlobName(jobId, files[i] as ResultFile), out, { contentType: 'text/csv' }),
  );
  const write = async (out: PassThrough, bytes: Buffer) => {
    if (bytes.length > 0 && !out.write(bytes)) await once(out, 'drain');
  };
  try {
    for (const out of outs) await write(out, Buffer.from(header));
    for (const source of sources) {
      const { stream } = await blobs.get(CONTAINERS.work, source.name);
      let at = 0;
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        const cut = Math.min(chunk.length, Math.max(0, source.split - at));
        at += chunk.length;
        await write(outs[0], cut === chunk.length ? chunk : chunk.subarray(0, cut));
        await write(outs[1], chunk.subarray(cut));
      }
    }
    for (const out of outs) out.end();
  } catch (error) {
    for (const out of outs) out.destroy(error as Error);
    await Promise.allSettled(puts);
    throw error;
  }
  await Promise.all(puts);
}

/** The results' names, as summaries link them. */
export function resultLinks(jobId: string): { scores: string; anomalies: string } {
  return {
    scores: `${CONTAINERS.results}/${resultBlobName(jobId, 'scores.csv')}`,
    anomalies: `${CONTAINERS.results}/${resultBlobName(jobId, 'anomalies.csv')}`,
  };
}
