import { mkdirSync, renameSync } from 'node:fs';
import { mkdir, open, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { InputError, NotFoundError } from '../../core/errors.js';
import type {
  BlobBody,
  BlobChangeFeed,
  BlobDownload,
  BlobProperties,
  BlobStore,
  PutBlobOptions,
} from '../../ports/blobStore.js';
import { validateBlobName, validateContainerName, validateMetadata } from './blobNames.js';
import { settle } from './settle.js';
import { puttingBody } from '../streamBody.js';
import { FsBlobIndex, newTag, toProperties, type BlobRow } from './fsBlobIndex.js';
import { adoptStrayFiles, type AdoptResult } from './fsStrayFiles.js';

export interface FsBlobStoreOptions {
  /** Directory holding one sub-directory per container, the index and temp files. */
  readonly root: string;
}

export type FsBlobStore = BlobStore &
  BlobChangeFeed & {
    readonly root: string;
    /** Turns files copied into `container`'s directory by hand into blobs (see fsStrayFiles.ts). */
    adoptStrayFiles(container: string, options?: { readonly minAgeMs?: number }): Promise<AdoptResult>;
    close(): Promise<void>;
  };

const INDEX_FILE = '.tessera-blobs.sqlite';
const TEMP_DIR = '.tmp';
const LIST_PAGE = 500;
const DEFAULT_CHANGES_LIMIT = 1000;
/** A reader that loses the race with an overwrite re-reads the index; this bounds the retries. */
const GET_ATTEMPTS = 20;
/** Bytes a blob stream reads at a time. */
const READ_CHUNK = 1 << 20;

/**
 * The embedded default blob store. Containers are directories under `root`; each blob's content is
 * one file, `<container>/<name>~<contentId>`, and its properties live in a SQLite index
 * (`root/.tessera-blobs.sqlite`) together with the per-container change feed.
 *
 * A put streams the body to a temp file, fsyncs it, then renames it into place and records the new row
 * in one IMMEDIATE transaction; the replaced file is unlinked after the commit. Readers open the file
 * the index names, so they see the old content or the new, never a mix. Several processes may share `root`.
 * A file copied into a container's directory by hand is not a blob until `adoptStrayFiles` takes it in.
 */
export function createFsBlobStore(options: FsBlobStoreOptions): FsBlobStore {
  const root = options.root;
  mkdirSync(join(root, TEMP_DIR), { recursive: true });
  const index = new FsBlobIndex(join(root, INDEX_FILE));
  const dataPath = (row: Pick<BlobRow, 'container' | 'name' | 'content_id'>): string =>
    `${join(root, row.container, ...row.name.split('/'))}~${row.content_id}`;

  const removeQuietly = async (path: string): Promise<void> => {
    await unlink(path).catch((error: unknown) => {
      if (!isCode(error, 'ENOENT')) throw error;
    });
  };

  /** Writes `body` to a temp file, then renames it into place as the index records it. */
  const putBody = async (container: string, name: string, body: BlobBody, putOptions: PutBlobOptions) => {
    validateContainerName(container);
    validateBlobName(name);
    const metadata = putOptions.metadata ?? {};
    validateMetadata(metadata);
    index.requireContainer(container);
    const temp = join(root, TEMP_DIR, `${newTag()}.part`);
    const contentId = newTag();
    let moved = false;
    try {
      const size = await writeFileDurably(temp, body);
      const target = dataPath({ container, name, content_id: contentId });
      const { row, replaced } = index.put(
        container,
        name,
        { ...putOptions, contentId, size, contentType: putOptions.contentType, metadata },
        () => {
          mkdirSync(dirname(target), { recursive: true });
          renameSync(temp, target);
          moved = true;
        },
      );
      if (replaced !== undefined) await removeQuietly(dataPath(replaced));
      return toProperties(row);
    } catch (error) {
      await removeQuietly(moved ? dataPath({ container, name, content_id: contentId }) : temp);
      throw error;
    }
  };

  const store: FsBlobStore = {
    root,

    async ensureContainer(container) {
      validateContainerName(container);
      await mkdir(join(root, container), { recursive: true });
      index.ensureContainer(container);
    },

    async put(container, name, body, putOptions: PutBlobOptions = {}) {
      return puttingBody(body, () => putBody(container, name, body, putOptions));
    },

    async get(container, name): Promise<BlobDownload> {
      validateContainerName(container);
      validateBlobName(name);
      for (let attempt = 0; attempt < GET_ATTEMPTS; attempt++) {
        const row = index.get(container, name);
        if (row === undefined) break;
        let handle: FileHandle;
        try {
          handle = await open(dataPath(row), 'r');
        } catch (error) {
          if (isCode(error, 'ENOENT')) continue; // overwritten or deleted since we read the index
          throw error;
        }
        // 1 MiB reads: a large result (a 90 MB scores.csv) took 16 times as many round trips to the thread pool at 64 KiB.
        return { properties: toProperties(row), stream: handle.createReadStream({ highWaterMark: READ_CHUNK }) };
      }
      throw new NotFoundError(`blob ${container}/${name}`);
    },

    head(container, name) {
      return settle(() => {
        validateContainerName(container);
        validateBlobName(name);
        const row = index.get(container, name);
        return row === undefined ? undefined : toProperties(row);
      });
    },

    async *list(container, prefix = ''): AsyncIterable<BlobProperties> {
      validateContainerName(container);
      index.requireContainer(container);
      let after: string | undefined;
      for (;;) {
        const rows: BlobRow[] = await settle(() => index.page(container, prefix, after, LIST_PAGE));
        for (const row of rows) {
          if (!row.name.startsWith(prefix)) return;
          yield toProperties(row);
        }
        const last = rows.at(-1);
        if (last === undefined || rows.length < LIST_PAGE) return;
        after = last.name;
      }
    },

    setMetadata(container, name, metadata, setOptions) {
      return settle(() => {
        validateContainerName(container);
        validateBlobName(name);
        validateMetadata(metadata);
        return toProperties(index.setMetadata(container, name, metadata, setOptions?.ifMatch));
      });
    },

    async delete(container, name, deleteOptions) {
      validateContainerName(container);
      validateBlobName(name);
      const removed = index.delete(container, name, deleteOptions?.ifMatch);
      await removeQuietly(dataPath(removed));
    },

    changesSince(container, cursor, limit = DEFAULT_CHANGES_LIMIT) {
      return settle(() => {
        validateContainerName(container);
        const after = cursor === undefined ? 0 : Number(cursor);
        if (!Number.isSafeInteger(after) || after < 0 || (cursor !== undefined && !/^\d+$/.test(cursor))) {
          throw new InputError(
            `change feed cursor ${JSON.stringify(cursor)}`,
            'is not a cursor returned by this store',
          );
        }
        if (!Number.isSafeInteger(limit) || limit < 1)
          throw new InputError('change feed limit', 'must be a positive integer');
        return index.changesSince(container, after, limit);
      });
    },

    adoptStrayFiles(container, adoptOptions = {}) {
      validateContainerName(container);
      index.requireContainer(container);
      return adoptStrayFiles(store, root, container, adoptOptions.minAgeMs ?? 2000);
    },

    close() {
      index.close();
      return Promise.resolve();
    },
  };
  return store;
}

/** Writes the body to `path` (which must not exist), streaming a Readable chunk by chunk, then fsyncs. Returns the size. */
async function writeFileDurably(path: string, body: BlobBody): Promise<number> {
  const handle = await open(path, 'wx');
  try {
    let size = 0;
    if (body instanceof Readable) {
      for await (const chunk of body as AsyncIterable<Buffer | string>) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        await writeAll(handle, bytes);
        size += bytes.length;
      }
    } else {
      const bytes = typeof body === 'string' ? Buffer.from(body) : body;
      await writeAll(handle, bytes);
      size = bytes.length;
    }
    await handle.sync();
    return size;
  } finally {
    await handle.close();
  }
}

async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
    offset += bytesWritten;
  }
}

function isCode(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}
