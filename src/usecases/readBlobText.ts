import type { BlobStore } from '../ports/blobStore.js';

/** Reads a whole (small) blob as UTF-8 text. */
export async function readBlobText(blobs: BlobStore, container: string, name: string): Promise<string> {
  const { stream } = await blobs.get(container, name);
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}
