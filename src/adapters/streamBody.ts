import { Readable } from 'node:stream';
import type { BlobBody } from '../ports/blobStore.js';

/**
 * Runs a put of `body`. A stream body is the put's from the first line: its error is heard at once
 * (the put's own read rethrows it), so a source that fails before the put gets to reading it (a
 * local file removed under it) rejects the put instead of going unheard and ending the process.
 * A put that fails, for whatever reason, closes the stream (no file handle is left open).
 */
export async function puttingBody<T>(body: BlobBody, put: () => Promise<T>): Promise<T> {
  const stream = body instanceof Readable ? body : undefined;
  const heard = () => undefined;
  stream?.on('error', heard);
  try {
    return await put();
  } catch (error) {
    stream?.destroy();
    throw error;
  } finally {
    stream?.off('error', heard);
  }
}
