import { mkdir, mkdtemp, readdir, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createFsBlobStore, type FsBlobStore } from '../../../src/adapters/local/fsBlobStore.js';
import { InputError, PreconditionFailedError } from '../../../src/core/errors.js';
import { blobStoreContract } from '../../contracts/blobStore.contract.js';
import { lastJsonLine, runTsxScript } from '../../support/runTsxScript.js';

const tempRoot = (): Promise<string> => mkdtemp(join(tmpdir(), 'tessera-fsblob-'));

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

blobStoreContract('fsBlobStore', async () => {
  const root = await tempRoot();
  const opened: FsBlobStore[] = [createFsBlobStore({ root })];
  return {
    store: opened[0]!,
    reopen: () => {
      const store = createFsBlobStore({ root });
      opened.push(store);
      return Promise.resolve(store);
    },
    cleanup: async () => {
      for (const store of opened) await store.close();
      await rm(root, { recursive: true, force: true });
    },
  };
});

describe('fsBlobStore (local specifics)', () => {
  const roots: string[] = [];
  const stores: FsBlobStore[] = [];
  const open = async (): Promise<{ root: string; store: FsBlobStore }> => {
    const root = await tempRoot();
    roots.push(root);
    const store = createFsBlobStore({ root });
    stores.push(store);
    await store.ensureContainer('data');
    return { root, store };
  };
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
  });

  it('streams a Readable body to disk as it arrives instead of buffering it whole', async () => {
    const { root, store } = await open();
    const chunk = Buffer.alloc(1024 * 1024, 7);
    let bytesOnDiskMidStream = 0;
    async function* body(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 4; i++) yield chunk;
      await new Promise((resolve) => setTimeout(resolve, 20));
      const temps = await readdir(join(root, '.tmp'));
      for (const t of temps) bytesOnDiskMidStream += (await stat(join(root, '.tmp', t))).size;
      for (let i = 0; i < 4; i++) yield chunk;
    }
    const put = await store.put('data', 'streamed.bin', Readable.from(body()));
    expect(put.size).toBe(8 * chunk.length);
    expect(bytesOnDiskMidStream).toBeGreaterThanOrEqual(3 * chunk.length);
    expect(await readdir(join(root, '.tmp'))).toEqual([]);
  });

  it('a download opened before an overwrite still reads the old content whole', async () => {
    const { store } = await open();
    await store.put('data', 'f.bin', Buffer.alloc(300_000, 1));
    const before = await store.get('data', 'f.bin');
    await store.put('data', 'f.bin', Buffer.alloc(300_000, 2));
    expect((await readAll(before.stream)).equals(Buffer.alloc(300_000, 1))).toBe(true);
    expect((await readAll((await store.get('data', 'f.bin')).stream)).equals(Buffer.alloc(300_000, 2))).toBe(true);
  });

  it('keeps content under <container>/<name path> and removes replaced files', async () => {
    const { root, store } = await open();
    await store.put('data', 'dir/sub/a.csv', 'one');
    await store.put('data', 'dir/sub/a.csv', 'two');
    const files = await readdir(join(root, 'data', 'dir', 'sub'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^a\.csv~[0-9a-f]{32}$/);
    await store.delete('data', 'dir/sub/a.csv');
    expect(await readdir(join(root, 'data', 'dir', 'sub'))).toEqual([]);
  });

  it('ifMatch on a missing blob fails with PreconditionFailedError', async () => {
    const { store } = await open();
    await expect(store.put('data', 'nope.txt', 'x', { ifMatch: 'abc' })).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );
    expect(await store.head('data', 'nope.txt')).toBeUndefined();
  });

  it('rejects "." segments, empty segments, bad metadata keys and foreign cursors with InputError', async () => {
    const { store } = await open();
    await expect(store.put('data', 'a/./b', 'x')).rejects.toThrow(/"a\/\.\/b"/);
    await expect(store.put('data', 'a//b', 'x')).rejects.toBeInstanceOf(InputError);
    await expect(store.put('data', 'trailing/', 'x')).rejects.toBeInstanceOf(InputError);
    await expect(store.put('data', 'ok.txt', 'x', { metadata: { 'Bad-Key': 'v' } })).rejects.toThrow('Bad-Key');
    await expect(store.changesSince('data', 'not-a-cursor')).rejects.toBeInstanceOf(InputError);
    expect(await store.head('data', 'ok.txt')).toBeUndefined();
  });

  it('several processes creating the same blobs conditionally: each blob is created exactly once', async () => {
    const { root, store } = await open();
    const count = 60;
    const barrier = await mkdtemp(join(tmpdir(), 'tessera-barrier-'));
    roots.push(barrier);
    const tags = ['w1', 'w2', 'w3'];
    const outputs = await Promise.all(
      tags.map((tag) =>
        runTsxScript('blobCreator.ts', [root, 'data', String(count), tag, barrier, String(tags.length)]),
      ),
    );
    const wonBy = outputs.map((out) => lastJsonLine<string[]>(out));
    const allWon = wonBy.flat();
    expect(allWon).toHaveLength(count);
    expect(new Set(allWon).size).toBe(count);
    for (const names of wonBy) expect(names.length).toBeGreaterThan(0); // the writers really overlapped
    for (const [i, names] of wonBy.entries()) {
      for (const name of names)
        expect((await readAll((await store.get('data', name)).stream)).toString()).toBe(tags[i]);
    }
    expect(await store.changesSince('data', undefined)).toHaveLength(count);
  });

  it('takes in files copied into a container directory by hand, and says why it leaves others', async () => {
    const { root, store } = await open();
    const dir = join(root, 'data');
    const byHand = async (name: string, content: string, ageMs = 10_000) => {
      const path = join(dir, ...name.split('/'));
      await mkdir(join(path, '..'), { recursive: true });
      await writeFile(path, content);
      const at = (Date.now() - ageMs) / 1000;
      await utimes(path, at, at);
      return path;
    };
    await store.put('data', 'kept.csv', 'put through the store');
    const [before] = (await store.changesSince('data', undefined)).slice(-1);
    await byHand('report.csv', 'TS,Device,Tag,Value\n');
    await byHand('sub/nested.csv', 'nested');
    await byHand('.report.csv.partial', 'a copy in progress');
    await byHand('fresh.csv', 'still being written', 0);
    await symlink('/etc/hostname', join(dir, 'link.csv'));

    const first = await store.adoptStrayFiles('data');
    expect(first.adopted.map((b) => b.name)).toEqual(['report.csv', 'sub/nested.csv']);
    expect(first.skipped).toEqual([
      { name: '.report.csv.partial', reason: expect.stringContaining('a hidden file') as string },
      { name: 'link.csv', reason: expect.stringContaining('not a regular file') as string },
    ]);
    expect((await store.changesSince('data', before!.cursor)).map((c) => c.name)).toEqual([
      'report.csv',
      'sub/nested.csv',
    ]);
    expect((await readAll((await store.get('data', 'sub/nested.csv')).stream)).toString()).toBe('nested');
    expect((await store.head('data', 'report.csv'))?.metadata.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect((await readdir(dir)).filter((f) => !f.includes('~')).sort()).toEqual([
      '.report.csv.partial',
      'fresh.csv',
      'link.csv',
      'sub',
    ]);
    // The fresh file is taken once it has been left alone; the store's own files never are.
    await utimes(join(dir, 'fresh.csv'), new Date(Date.now() - 10_000), new Date(Date.now() - 10_000));
    expect((await store.adoptStrayFiles('data')).adopted.map((b) => b.name)).toEqual(['fresh.csv']);
    expect((await store.adoptStrayFiles('data')).adopted).toEqual([]);
    expect(new Set((await store.changesSince('data', before!.cursor)).map((c) => c.name)).size).toBe(3);
  });

  it('a file adopted before a crash removed it is only removed: no second version, no second change', async () => {
    const { root, store } = await open();
    await writeFile(join(root, 'data', 'once.csv'), 'same content');
    await utimes(join(root, 'data', 'once.csv'), new Date(0), new Date(0));
    const [blob] = (await store.adoptStrayFiles('data')).adopted;
    await writeFile(join(root, 'data', 'once.csv'), 'same content'); // as if the unlink never happened
    await utimes(join(root, 'data', 'once.csv'), new Date(0), new Date(0));
    expect((await store.adoptStrayFiles('data')).adopted).toEqual([]);
    expect((await store.head('data', 'once.csv'))?.etag).toBe(blob!.etag);
    expect(await store.changesSince('data', undefined)).toHaveLength(1);
    expect((await readdir(join(root, 'data'))).filter((f) => !f.includes('~'))).toEqual([]);
  });
});
