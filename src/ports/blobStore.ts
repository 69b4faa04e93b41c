import type { Readable } from 'node:stream';

/** What a blob store says about a blob. */
export interface BlobProperties {
  readonly container: string;
  readonly name: string;
  /** Opaque; changes on every write of content or metadata. */
  readonly etag: string;
  readonly size: number;
  readonly contentType: string | undefined;
  readonly lastModified: Date;
  /** User metadata. Keys are lower-case ASCII identifiers ([a-z0-9_]), values are strings. */
  readonly metadata: Readonly<Record<string, string>>;
}

export type BlobBody = Buffer | Uint8Array | string | Readable;

export interface PutBlobOptions {
  /** `'*'`: create only; fail with PreconditionFailedError if the blob exists. */
  readonly ifNoneMatch?: '*';
  /** Replace only if the current ETag equals this; otherwise PreconditionFailedError. */
  readonly ifMatch?: string;
  readonly contentType?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface BlobDownload {
  readonly properties: BlobProperties;
  readonly stream: Readable;
}

/** One entry of a container's change feed: a blob that was created or overwritten. */
export interface BlobChange {
  /** Monotonic position in the container's feed; resume with `changesSince(container, cursor)`. */
  readonly cursor: string;
  readonly name: string;
  readonly etag: string;
}

/**
 * Blob store port (Azure Blob semantics).
 *
 * Contract:
 * - Containers must exist before use; `ensureContainer` is idempotent. Container names are
 *   3-63 chars of [a-z0-9-]. Blob names are non-empty, use `/` as a virtual directory separator,
 *   and never contain `..` segments or a leading `/`.
 * - `put` writes the whole blob atomically: a reader sees the old content or the new, never a mix.
 *   It returns the new ETag. Conditional puts (`ifNoneMatch: '*'`, `ifMatch`) throw
 *   PreconditionFailedError and leave the blob untouched when the condition fails.
 * - A stream body's error rejects the `put` (even one raised before the put reads it), and a `put`
 *   that fails closes its stream body.
 * - `get` and `head` of a missing blob: `get` throws NotFoundError, `head` returns undefined.
 * - `list` yields the blobs whose names start with `prefix`, in lexicographic order of name.
 * - `setMetadata` replaces the user metadata (not the content) and changes the ETag; it honours `ifMatch`.
 * - `delete` removes a blob; deleting a missing blob throws NotFoundError.
 * - All state is durable for durable adapters: a new instance over the same location sees it.
 */
export interface BlobStore {
  ensureContainer(container: string): Promise<void>;
  put(container: string, name: string, body: BlobBody, options?: PutBlobOptions): Promise<BlobProperties>;
  get(container: string, name: string): Promise<BlobDownload>;
  head(container: string, name: string): Promise<BlobProperties | undefined>;
  list(container: string, prefix?: string): AsyncIterable<BlobProperties>;
  setMetadata(
    container: string,
    name: string,
    metadata: Readonly<Record<string, string>>,
    options?: { readonly ifMatch?: string },
  ): Promise<BlobProperties>;
  delete(container: string, name: string, options?: { readonly ifMatch?: string }): Promise<void>;
}

/**
 * Optional change feed (Event Grid's BlobCreated in Azure; a journal locally).
 *
 * Contract: every successful `put` appends one change, in commit order. `changesSince(c, undefined)`
 * starts from the beginning; passing the last returned cursor yields only later changes.
 * Reading the feed never scans the container.
 */
export interface BlobChangeFeed {
  changesSince(container: string, cursor: string | undefined, limit?: number): Promise<BlobChange[]>;
}
