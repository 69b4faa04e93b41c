import type { BlobStore } from '../ports/blobStore.js';

/** Reads a whole (small) blob as UTF-8 text. */
export async function readBlobText(blobs: BlobStore, container: string, name: string): Promise<string> {
  return (await readBlobBytes(blobs, container, name)).toString('utf8');
}

/** Reads a whole (small) blob's bytes. */
export async function readBlobBytes(blobs: BlobStore, container: string, name: string): Promise<Buffer> {
  const { stream } = await blobs.get(container, name);
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}
