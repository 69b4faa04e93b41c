import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { BlobServiceClient } from '@azure/storage-blob';
import { describe, expect, inject, it } from 'vitest';
import {
  azureBlobStoreFromConnectionString,
  createAzureBlobStore,
} from '../../../src/adapters/azure/azureBlobStore.js';
import { InputError, NotFoundError, PreconditionFailedError, TransientError } from '../../../src/core/errors.js';
import { blobStoreContract } from '../../contracts/blobStore.contract.js';

const connectionString = inject('azuriteConnectionString');
const uniqueContainer = (): string => `t-${randomUUID().slice(0, 18)}`;

// Each contract test makes its own container; a new instance over the same account is the "reopen".
blobStoreContract('azureBlobStore on Azurite', () =>
  Promise.resolve({
    store: azureBlobStoreFromConnectionString(connectionString),
    reopen: () => Promise.resolve(azureBlobStoreFromConnectionString(connectionString)),
    cleanup: () => Promise.resolve(),
  }),
);

describe('azureBlobStore (Azure-specific, on Azurite)', () => {
  const store = azureBlobStoreFromConnectionString(connectionString);

  it('streams a multi-block Readable and reports what head reports', async () => {
    const small = createAzureBlobStore({
      serviceClient: BlobServiceClient.fromConnectionString(connectionString),
      uploadBlockSize: 64 * 1024,
    });
    const container = uniqueContainer();
    await small.ensureContainer(container);
    await small.ensureContainer(container);
    const chunks = Array.from({ length: 10 }, (_, i) => Buffer.alloc(50_000, 97 + i));
    const put = await small.put(container, 'a/big.bin', Readable.from(chunks), { metadata: { kind: 'x' } });
    expect(put.size).toBe(500_000);
    expect(await small.head(container, 'a/big.bin')).toEqual(put);
    const got = await small.get(container, 'a/big.bin');
    expect(got.properties).toEqual(put);
    expect(Buffer.compare(Buffer.from(await text(got.stream)), Buffer.concat(chunks))).toBe(0);
  });

  it('lets exactly one of several racing clients create a blob', async () => {
    const container = uniqueContainer();
    await store.ensureContainer(container);
    const clients = Array.from({ length: 5 }, () => azureBlobStoreFromConnectionString(connectionString));
    const results = await Promise.allSettled(
      clients.map((c, i) => c.put(container, 'once', `writer ${i}`, { ifNoneMatch: '*' })),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(4);
    for (const e of lost) expect(e).toBeInstanceOf(PreconditionFailedError);
    const winner = won[0]!.value;
    expect((await store.head(container, 'once'))?.etag).toBe(winner.etag);
  });

  it('maps stale ETags to PreconditionFailedError and leaves the blob untouched', async () => {
    const container = uniqueContainer();
    await store.ensureContainer(container);
    const first = await store.put(container, 'x.txt', 'one', { contentType: 'text/plain' });
    const second = await store.put(container, 'x.txt', 'two', { ifMatch: first.etag });
    await expect(store.put(container, 'x.txt', 'three', { ifMatch: first.etag })).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );
    await expect(store.setMetadata(container, 'x.txt', { a: '1' }, { ifMatch: first.etag })).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );
    await expect(store.delete(container, 'x.txt', { ifMatch: first.etag })).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );
    const got = await store.get(container, 'x.txt');
    expect(await text(got.stream)).toBe('two');
    expect(got.properties.etag).toBe(second.etag);

    const meta = await store.setMetadata(container, 'x.txt', { owner_id: 'abc' }, { ifMatch: second.etag });
    expect(meta.etag).not.toBe(second.etag);
    expect(meta).toEqual(await store.head(container, 'x.txt'));
    expect(meta.size).toBe(3);
  });

  it('maps missing blobs and containers to NotFoundError, never an SDK error', async () => {
    const container = uniqueContainer();
    const error = await store.get(container, 'nope').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).not.toHaveProperty('statusCode');
    expect((error as Error).cause).toMatchObject({ name: 'RestError', statusCode: 404 });
    await store.ensureContainer(container);
    await expect(store.get(container, 'nope')).rejects.toBeInstanceOf(NotFoundError);
    expect(await store.head(container, 'nope')).toBeUndefined();
    await expect(store.delete(container, 'nope')).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.setMetadata(container, 'nope', {})).rejects.toBeInstanceOf(NotFoundError);
  });

  it('lists by prefix in name order with metadata', async () => {
    const container = uniqueContainer();
    await store.ensureContainer(container);
    for (const name of ['p/b', 'q/a', 'p/a', 'p/c/d'])
      await store.put(container, name, name, { metadata: { n: name } });
    const listed = [];
    for await (const p of store.list(container, 'p/')) listed.push(p);
    expect(listed.map((p) => p.name)).toEqual(['p/a', 'p/b', 'p/c/d']);
    expect(listed.map((p) => p.metadata['n'])).toEqual(['p/a', 'p/b', 'p/c/d']);
  });

  it('rejects bad names with InputError before calling the service', async () => {
    await expect(store.ensureContainer('Bad_Name')).rejects.toBeInstanceOf(InputError);
    await expect(store.get('good-name', '../escape')).rejects.toBeInstanceOf(InputError);
    await expect(store.put('good-name', '/abs', 'x')).rejects.toBeInstanceOf(InputError);
  });

  it('maps an unreachable service to TransientError', async () => {
    const offline = createAzureBlobStore({
      serviceClient: new BlobServiceClient('http://127.0.0.1:1/devstoreaccount1', undefined, {
        retryOptions: { maxTries: 1 },
      }),
    });
    await expect(offline.head('some-container', 'x')).rejects.toBeInstanceOf(TransientError);
  });
});
