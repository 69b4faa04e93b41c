import type { Readable } from 'node:stream';
import { InputError, PreconditionFailedError } from '../../core/errors.js';
import { CONTAINERS, JOB_OPTION_KEYS } from '../../core/jobNaming.js';
import type { BlobStore } from '../../ports/blobStore.js';

/** An uploaded body, already received whole (spooled), with its digest. */
export interface ReceivedUpload {
  readonly size: number;
  readonly sha256: string;
  open(): Readable;
}

/**
 * Puts an upload into the inbox under `name`, never overwriting an input: the same bytes with the
 * same job options under that name are taken as they are (a retried upload finds its job), other
 * content there is a conflict naming the blob. Job options travel as blob metadata, with `sha256`.
 */
export async function uploadInput(
  blobs: BlobStore,
  name: string,
  upload: ReceivedUpload,
  options: { readonly contentType?: string; readonly jobOptions: Readonly<Record<string, string>> },
): Promise<void> {
  if (upload.size === 0)
    throw new InputError(
      'request body',
      'is empty: upload the file\'s bytes, or POST {"name"} of a blob already in storage',
    );
  const metadata = { ...options.jobOptions, sha256: upload.sha256 };
  try {
    await blobs.put(CONTAINERS.inbox, name, upload.open(), {
      ifNoneMatch: '*',
      metadata,
      ...(options.contentType ? { contentType: options.contentType } : {}),
    });
  } catch (error) {
    if (!(error instanceof PreconditionFailedError)) throw error;
    const existing = await blobs.head(CONTAINERS.inbox, name);
    const same =
      existing?.metadata.sha256 === upload.sha256 &&
      JOB_OPTION_KEYS.every((k) => existing.metadata[k] === options.jobOptions[k]);
    if (!same)
      throw new PreconditionFailedError(
        `${CONTAINERS.inbox}/${name} holds other content (inputs are never overwritten; upload under another name)`,
      );
  }
}
