import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError, PreconditionFailedError } from '../../src/core/errors.js';
import type { BlobChangeFeed, BlobStore } from '../../src/ports/blobStore.js';

export interface BlobStoreHarness {
  readonly store: BlobStore;
  /** A new instance over the same location; when given, durability is checked through it. */
  readonly reopen?: () => Promise<BlobStore>;
  /** Releases whatever `make` created (instances, temp dirs); containers may be left behind. */
  readonly cleanup: () => Promise<void>;
}

const suffix = (): string => randomBytes(5).toString('hex');

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer | string>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** A Readable that yields `data` in `chunkSize` pieces, so a put has to consume a real stream. */
function chunked(data: Buffer, chunkSize = 64 * 1024): Readable {
  let offset = 0;
  return new Readable({
    read() {
      if (offset >= data.length) return void this.push(null);
      this.push(data.subarray(offset, offset + chunkSize));
      offset += chunkSize;
    },
  });
}

function isChangeFeed(store: BlobStore): store is BlobStore & BlobChangeFeed {
  return typeof (store as Partial<BlobChangeFeed>).changesSince === 'function';
}

/** The BlobStore contract (see src/ports/blobStore.ts), run against any adapter. Change-feed tests run when the store has `changesSince`. */
export function blobStoreContract(name: string, make: () => Promise<BlobStoreHarness>): void {
  describe(`BlobStore contract: ${name}`, () => {
    let harness: BlobStoreHarness;
    let store: BlobStore;
    beforeAll(async () => {
      harness = await make();
      store = harness.store;
    });
    afterAll(async () => harness.cleanup());

    const freshContainer = async (): Promise<string> => {
      const container = `ct-${suffix()}`;
      await store.ensureContainer(container);
      return container;
    };
    const text = async (container: string, blob: string): Promise<string> =>
      (await readAll((await store.get(container, blob)).stream)).toString('utf8');

    it('ensureContainer is idempotent', async () => {
      const container = await freshContainer();
      await store.ensureContainer(container);
      const put = await store.put(container, 'x.txt', 'hello');
      expect(put.size).toBe(5);
    });

    it('put returns the properties that head and get report, for string, Buffer and Uint8Array bodies', async () => {
      const c = await freshContainer();
      const before = Date.now();
      const a = await store.put(c, 'dir/a.txt', 'héllo', {
        contentType: 'text/plain',
        metadata: { source: 'test', n_rows: '3' },
      });
      expect(a).toMatchObject({
        container: c,
        name: 'dir/a.txt',
        size: Buffer.byteLength('héllo'),
        contentType: 'text/plain',
      });
      expect(a.metadata).toEqual({ source: 'test', n_rows: '3' });
      expect(a.etag).toEqual(expect.any(String));
      expect(a.etag.length).toBeGreaterThan(0);
      expect(a.lastModified).toBeInstanceOf(Date);
      expect(Math.abs(a.lastModified.getTime() - before)).toBeLessThan(60_000);
      const head = await store.head(c, 'dir/a.txt');
      expect(head).toMatchObject({ etag: a.etag, size: a.size, contentType: 'text/plain', metadata: a.metadata });
      const got = await store.get(c, 'dir/a.txt');
      expect(got.properties.etag).toBe(a.etag);
      expect((await readAll(got.stream)).toString('utf8')).toBe('héllo');
      await store.put(c, 'b.bin', Buffer.from([0, 1, 2, 255]));
      await store.put(c, 'u.bin', new Uint8Array([9, 8, 7]));
      expect([...(await readAll((await store.get(c, 'b.bin')).stream))]).toEqual([0, 1, 2, 255]);
      expect([...(await readAll((await store.get(c, 'u.bin')).stream))]).toEqual([9, 8, 7]);
    });

    it('streams a multi-MB body in and out unchanged', async () => {
      const c = await freshContainer();
      const data = randomBytes(6 * 1024 * 1024 + 123);
      const put = await store.put(c, 'big/input.bin', chunked(data), { contentType: 'application/octet-stream' });
      expect(put.size).toBe(data.length);
      const got = await store.get(c, 'big/input.bin');
      expect(got.properties.size).toBe(data.length);
      const back = await readAll(got.stream);
      expect(back.length).toBe(data.length);
      expect(createHash('sha256').update(back).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    });

    it('overwriting changes the content and the etag', async () => {
      const c = await freshContainer();
      const first = await store.put(c, 'f.txt', 'one');
      const second = await store.put(c, 'f.txt', 'two!');
      expect(second.etag).not.toBe(first.etag);
      expect(second.size).toBe(4);
      expect(await text(c, 'f.txt')).toBe('two!');
    });

    it("ifNoneMatch '*' creates only once, and a failed create leaves the blob untouched", async () => {
      const c = await freshContainer();
      const created = await store.put(c, 'once.txt', 'first', { ifNoneMatch: '*' });
      await expect(store.put(c, 'once.txt', 'second', { ifNoneMatch: '*' })).rejects.toBeInstanceOf(
        PreconditionFailedError,
      );
      expect(await text(c, 'once.txt')).toBe('first');
      expect((await store.head(c, 'once.txt'))?.etag).toBe(created.etag);
    });

    it('concurrent conditional creates: exactly one wins', async () => {
      const c = await freshContainer();
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) => store.put(c, 'race.txt', `writer-${i}`, { ifNoneMatch: '*' })),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      for (const r of lost) expect(r.reason).toBeInstanceOf(PreconditionFailedError);
      const winner = won[0] as PromiseFulfilledResult<{ etag: string }>;
      expect((await store.head(c, 'race.txt'))?.etag).toBe(winner.value.etag);
    });

    it('ifMatch replaces on the current etag and fails, leaving the blob untouched, on a stale one', async () => {
      const c = await freshContainer();
      const v1 = await store.put(c, 'm.txt', 'v1', { metadata: { rev: '1' } });
      const v2 = await store.put(c, 'm.txt', 'v2', { ifMatch: v1.etag, metadata: { rev: '2' } });
      expect(v2.etag).not.toBe(v1.etag);
      await expect(store.put(c, 'm.txt', 'v3', { ifMatch: v1.etag, metadata: { rev: '3' } })).rejects.toBeInstanceOf(
        PreconditionFailedError,
      );
      expect(await text(c, 'm.txt')).toBe('v2');
      expect(await store.head(c, 'm.txt')).toMatchObject({ etag: v2.etag, metadata: { rev: '2' } });
    });

    it('get of a missing blob throws NotFoundError; head returns undefined; delete throws NotFoundError', async () => {
      const c = await freshContainer();
      await expect(store.get(c, 'missing.txt')).rejects.toBeInstanceOf(NotFoundError);
      expect(await store.head(c, 'missing.txt')).toBeUndefined();
      await expect(store.delete(c, 'missing.txt')).rejects.toBeInstanceOf(NotFoundError);
      await expect(store.setMetadata(c, 'missing.txt', { a: 'b' })).rejects.toBeInstanceOf(NotFoundError);
    });

    it('a put into a container that does not exist throws NotFoundError, and closes a stream body', async () => {
      await expect(store.put(`nc-${suffix()}`, 'x.txt', 'x')).rejects.toBeInstanceOf(NotFoundError);
      const body = chunked(randomBytes(256 * 1024));
      await expect(store.put(`nc-${suffix()}`, 'x.bin', body)).rejects.toBeInstanceOf(NotFoundError);
      expect(body.destroyed, 'the refused put left its body stream open').toBe(true);
    });

    // A stream body can fail before the store starts reading it (a local file removed under it:
    // two finishes of one video job, the first removing the job's files). That must reject the put,
    // never surface as an error event nobody listens to, which ends the process.
    it('a body stream that fails before the put reads it rejects the put and leaves no blob', async () => {
      const c = await freshContainer();
      const body = new Readable({ read() {} });
      process.nextTick(() => body.destroy(new Error('source gone before the read')));
      await expect(store.put(c, 'early.bin', body)).rejects.toThrow(/source gone before the read/);
      expect(await store.head(c, 'early.bin')).toBeUndefined();
    });

    it('a body stream that fails midway rejects the put and leaves the blob it would replace untouched', async () => {
      const c = await freshContainer();
      await store.put(c, 'mid.bin', 'before');
      let sent = 0;
      const body = new Readable({
        read() {
          if (sent++ < 3) this.push(randomBytes(64 * 1024));
          else this.destroy(new Error('source failed midway'));
        },
      });
      await expect(store.put(c, 'mid.bin', body)).rejects.toThrow(/source failed midway/);
      expect(await text(c, 'mid.bin')).toBe('before');
    });

    it('list yields blobs by prefix in lexicographic order of name', async () => {
      const c = await freshContainer();
      const names = ['b/2', 'a/sub/x', 'a/10', 'ab', 'a/2', 'a/1', 'a'];
      for (const n of names) await store.put(c, n, `content of ${n}`);
      expect((await collect(store.list(c, 'a/'))).map((p) => p.name)).toEqual(['a/1', 'a/10', 'a/2', 'a/sub/x']);
      const all = await collect(store.list(c));
      expect(all.map((p) => p.name)).toEqual([...names].sort());
      expect(all.find((p) => p.name === 'ab')).toMatchObject({
        container: c,
        size: Buffer.byteLength('content of ab'),
      });
      expect(await collect(store.list(c, 'zzz'))).toEqual([]);
    });

    it('a blob and a virtual directory of the same name coexist', async () => {
      const c = await freshContainer();
      await store.put(c, 'x', 'file');
      await store.put(c, 'x/y', 'nested');
      expect(await text(c, 'x')).toBe('file');
      expect(await text(c, 'x/y')).toBe('nested');
    });

    it('setMetadata replaces the metadata, not the content, changes the etag and honours ifMatch', async () => {
      const c = await freshContainer();
      const put = await store.put(c, 'meta.txt', 'body', {
        contentType: 'text/plain',
        metadata: { old_key: 'x', keep: 'y' },
      });
      const updated = await store.setMetadata(c, 'meta.txt', { keep: 'z', added: '1' });
      expect(updated.etag).not.toBe(put.etag);
      expect(updated.metadata).toEqual({ keep: 'z', added: '1' });
      await expect(store.setMetadata(c, 'meta.txt', { stale: '1' }, { ifMatch: put.etag })).rejects.toBeInstanceOf(
        PreconditionFailedError,
      );
      const head = await store.head(c, 'meta.txt');
      expect(head).toMatchObject({
        etag: updated.etag,
        metadata: { keep: 'z', added: '1' },
        size: 4,
        contentType: 'text/plain',
      });
      const again = await store.setMetadata(c, 'meta.txt', {}, { ifMatch: updated.etag });
      expect(again.metadata).toEqual({});
      expect(await text(c, 'meta.txt')).toBe('body');
    });

    it('delete removes the blob and honours ifMatch', async () => {
      const c = await freshContainer();
      const put = await store.put(c, 'gone.txt', 'bye');
      await store.put(c, 'stays.txt', 'hi');
      await expect(store.delete(c, 'gone.txt', { ifMatch: 'not-the-etag' })).rejects.toBeInstanceOf(
        PreconditionFailedError,
      );
      expect(await store.head(c, 'gone.txt')).toBeDefined();
      await store.delete(c, 'gone.txt', { ifMatch: put.etag });
      expect(await store.head(c, 'gone.txt')).toBeUndefined();
      await expect(store.get(c, 'gone.txt')).rejects.toBeInstanceOf(NotFoundError);
      expect((await collect(store.list(c))).map((p) => p.name)).toEqual(['stays.txt']);
    });

    it('rejects bad blob and container names with an error naming them', async () => {
      const c = await freshContainer();
      for (const bad of ['../escape.txt', 'a/../../b', '/abs.txt']) {
        await expect(store.put(c, bad, 'x')).rejects.toThrow(bad);
      }
      await expect(store.put(c, '', 'x')).rejects.toThrow();
      await expect(store.ensureContainer('Bad_Name')).rejects.toThrow('Bad_Name');
      await expect(store.ensureContainer('ab')).rejects.toThrow('ab');
    });

    it('readers see the old content or the new, never a mix', async () => {
      const c = await freshContainer();
      const size = 256 * 1024;
      await store.put(c, 'atomic.bin', Buffer.alloc(size, 0));
      let writing = true;
      const writer = (async () => {
        for (let i = 1; i <= 12; i++) await store.put(c, 'atomic.bin', chunked(Buffer.alloc(size, i), 16 * 1024));
        writing = false;
      })();
      const seen = new Set<number>();
      while (writing) {
        const bytes = await readAll((await store.get(c, 'atomic.bin')).stream);
        expect(bytes.length).toBe(size);
        const first = bytes[0] ?? -1;
        expect(bytes.every((b) => b === first)).toBe(true);
        seen.add(first);
      }
      await writer;
      expect((await readAll((await store.get(c, 'atomic.bin')).stream)).equals(Buffer.alloc(size, 12))).toBe(true);
      expect(seen.size).toBeGreaterThan(0);
    });

    it('state is durable: a new instance over the same location sees it', async (ctx) => {
      if (harness.reopen === undefined) return ctx.skip();
      const c = await freshContainer();
      const put = await store.put(c, 'durable/a.txt', 'persisted', { metadata: { k: 'v' }, contentType: 'text/csv' });
      const other = await harness.reopen();
      expect(await other.head(c, 'durable/a.txt')).toMatchObject({
        etag: put.etag,
        metadata: { k: 'v' },
        contentType: 'text/csv',
      });
      expect((await readAll((await other.get(c, 'durable/a.txt')).stream)).toString()).toBe('persisted');
      expect((await collect(other.list(c))).map((p) => p.name)).toEqual(['durable/a.txt']);
      if (isChangeFeed(store) && isChangeFeed(other)) {
        expect(await other.changesSince(c, undefined)).toEqual(await store.changesSince(c, undefined));
      }
    });

    it('change feed: every successful put appends one change in order; a cursor resumes after it', async (ctx) => {
      if (!isChangeFeed(store)) return ctx.skip();
      const feed = store;
      const c = await freshContainer();
      const other = await freshContainer();
      const a1 = await feed.put(c, 'a', '1');
      const b1 = await feed.put(c, 'b', '1');
      await feed.put(other, 'elsewhere', '1');
      await expect(feed.put(c, 'a', 'x', { ifNoneMatch: '*' })).rejects.toBeInstanceOf(PreconditionFailedError);
      await feed.setMetadata(c, 'b', { k: 'v' });
      const a2 = await feed.put(c, 'a', '2', { ifMatch: a1.etag });
      await feed.delete(c, 'b');
      const all = await feed.changesSince(c, undefined);
      expect(all.map((ch) => [ch.name, ch.etag])).toEqual([
        ['a', a1.etag],
        ['b', b1.etag],
        ['a', a2.etag],
      ]);
      const [first, second, third] = all;
      expect(await feed.changesSince(c, first?.cursor)).toEqual([second, third]);
      expect(await feed.changesSince(c, third?.cursor)).toEqual([]);
      expect(await feed.changesSince(c, undefined, 2)).toEqual([first, second]);
      const b2 = await feed.put(c, 'b', 'again');
      expect(await feed.changesSince(c, third?.cursor)).toEqual([
        expect.objectContaining({ name: 'b', etag: b2.etag }),
      ]);
      expect((await feed.changesSince(other, undefined)).map((ch) => ch.name)).toEqual(['elsewhere']);
    });
  });
}
