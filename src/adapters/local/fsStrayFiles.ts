import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobProperties, BlobStore } from '../../ports/blobStore.js';
import { validateBlobName } from './blobNames.js';

/** What adopting a container's stray files did: the blobs made, and the files left, each with why. */
export interface AdoptResult {
  readonly adopted: readonly BlobProperties[];
  readonly skipped: readonly { readonly name: string; readonly reason: string }[];
}

/** A blob's data file: `<name>~<contentId>` (fsBlobStore.ts); never a stray, even while its put is in flight. */
const DATA_FILE = /~[0-9a-f]{32}$/;

/**
 * Files copied into a container's directory by hand (not through `put`, so the index and the change
 * feed know nothing of them) become blobs: each is put under its path in the container (with its
 * sha256 in the metadata, as `tessera submit` does), then its file removed, so it shows in the change
 * feed like any upload; one named like an existing blob replaces it, as an upload would. A file
 * changed within `minAgeMs` may still be being copied and waits for a later call. A file whose
 * content the blob of that name already has (adopted before a crash removed the file) is only removed. Left alone, with the
 * reason: hidden files (a copy in progress, an editor's), names that are not valid blob names, and
 * what is not a regular file (symbolic links are never followed).
 */
export async function adoptStrayFiles(
  store: Pick<BlobStore, 'put' | 'head'>,
  root: string,
  container: string,
  minAgeMs: number,
): Promise<AdoptResult> {
  const adopted: BlobProperties[] = [];
  const skipped: { name: string; reason: string }[] = [];
  for await (const { name, path } of walk(join(root, container), '')) {
    if (DATA_FILE.test(name)) continue;
    const info = await lstat(path).catch(() => undefined);
    if (info === undefined) continue; // gone meanwhile
    const reason = strayProblem(name, info.isFile());
    if (reason !== undefined) {
      skipped.push({ name, reason });
      continue;
    }
    if (Date.now() - info.mtimeMs < minAgeMs) continue;
    const sha256 = await digest(createReadStream(path));
    if ((await store.head(container, name))?.metadata.sha256 !== sha256)
      adopted.push(await store.put(container, name, createReadStream(path), { metadata: { sha256 } }));
    await unlink(path).catch(() => undefined);
  }
  return { adopted, skipped };
}

function strayProblem(name: string, regular: boolean): string | undefined {
  if (!regular) return 'not a regular file (symbolic links, sockets and devices are never read)';
  if (name.split('/').some((s) => s.startsWith('.')))
    return 'a hidden file (its name starts with "."): a copy in progress or an editor\'s; rename it to submit it';
  try {
    validateBlobName(name);
  } catch (error) {
    return (error as Error).message;
  }
  return undefined;
}

/** Every entry under `dir` that is not a directory, depth first, with its name relative to the container. */
async function* walk(dir: string, prefix: string): AsyncGenerator<{ name: string; path: string }> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = join(dir, entry.name);
    const name = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) yield* walk(path, name);
    else yield { name, path };
  }
}

async function digest(stream: AsyncIterable<Buffer | string>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk);
  return hash.digest('hex');
}
