import { createHash } from 'node:crypto';
import { InputError, PreconditionFailedError } from '../../src/core/errors.js';
import { CONTAINERS, JOB_OPTION_KEYS } from '../../src/core/jobNaming.js';
import type { BlobStore } from '../../src/ports/blobStore.js';

/**
 * Puts an upload into the inbox under `name`, never overwriting an input (as `tessera submit`):
 * the same bytes with the same job options under that name are taken as they are, so a retried
 * upload finds its job; other content under that name is a conflict.
 */
export async function uploadToInbox(
  blobs: BlobStore,
  name: string,
  bytes: Buffer,
  options: { contentType?: string; jobOptions: Readonly<Record<string, string>> },
): Promise<void> {
  if (bytes.byteLength === 0)
    throw new InputError(
      'request body',
      'is empty: upload the file\'s bytes, or POST {"name"} of a blob already in storage',
    );
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const metadata = { ...options.jobOptions, sha256 };
  try {
    await blobs.put(CONTAINERS.inbox, name, bytes, {
      ifNoneMatch: '*',
      metadata,
      ...(options.contentType ? { contentType: options.contentType } : {}),
    });
  } catch (error) {
    if (!(error instanceof PreconditionFailedError)) throw error;
    const existing = await blobs.head(CONTAINERS.inbox, name);
    const same =
      existing?.metadata.sha256 === sha256 &&
      JOB_OPTION_KEYS.every((k) => existing.metadata[k] === options.jobOptions[k]);
    if (!same)
      throw new PreconditionFailedError(
        `${CONTAINERS.inbox}/${name} holds other content (inputs are never overwritten; upload under another name)`,
      );
  }
}
