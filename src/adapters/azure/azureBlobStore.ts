/**
 * BlobStore on Azure Blob Storage (block blobs).
 *
 * - Conditional writes use the service's own conditions (`If-None-Match: *`, `If-Match`), so they are
 *   atomic across processes. A Readable body is streamed with `uploadStream` (staged blocks, then
 *   one conditional commit), so readers never see a partial blob.
 * - SDK errors are mapped by azureErrors.ts: 404 → NotFoundError; 409 BlobAlreadyExists and 412 →
 *   PreconditionFailedError; network failures, 408, 429, 5xx → TransientError; else PermanentError.
 * - Names are checked before any call (InputError naming the bad name).
 */
import { Readable, Transform, pipeline } from 'node:stream';
import type { TokenCredential } from '@azure/core-auth';
import { BlobServiceClient, type BlobRequestConditions, type BlockBlobClient } from '@azure/storage-blob';
import { InputError, NotFoundError, PermanentError } from '../../core/errors.js';
import type { BlobBody, BlobDownload, BlobProperties, BlobStore, PutBlobOptions } from '../../ports/blobStore.js';
import { callAzure as call } from './azureErrors.js';
import { puttingBody } from '../streamBody.js';

export interface AzureBlobStoreOptions {
  readonly serviceClient: BlobServiceClient;
  /** Block size for streamed uploads (default 8 MiB). */
  readonly uploadBlockSize?: number;
  /** Blocks uploaded in parallel for streamed uploads (default 4). */
  readonly uploadConcurrency?: number;
}

/** Content type Azure reports for a blob written without one. */
const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

export function createAzureBlobStore(options: AzureBlobStoreOptions): BlobStore {
  const { serviceClient } = options;
  const blockSize = options.uploadBlockSize ?? 8 * 1024 * 1024;
  const concurrency = options.uploadConcurrency ?? 4;
  const blob = (container: string, name: string): BlockBlobClient => {
    checkContainer(container);
    checkBlobName(name);
    return serviceClient.getContainerClient(container).getBlockBlobClient(name);
  };

  const putBody = async (
    container: string,
    name: string,
    body: BlobBody,
    putOptions: PutBlobOptions,
  ): Promise<BlobProperties> => {
    const client = blob(container, name);
    const what = `blob ${container}/${name}`;
    const conditions = toConditions(putOptions);
    const contentType = putOptions.contentType;
    const common = {
      conditions,
      metadata: { ...putOptions.metadata },
      ...(contentType === undefined ? {} : { blobHTTPHeaders: { blobContentType: contentType } }),
    };
    let size = 0;
    const response = await call(what, async () => {
      if (body instanceof Readable) {
        const counted = countBytes(body);
        const result = await client.uploadStream(counted.stream, blockSize, concurrency, common);
        size = counted.size();
        return result;
      }
      const data = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
      size = data.byteLength;
      return client.upload(data, data.byteLength, common);
    });
    return {
      container,
      name,
      etag: required(response.etag, what, 'etag'),
      size,
      contentType: contentType ?? DEFAULT_CONTENT_TYPE,
      lastModified: required(response.lastModified, what, 'lastModified'),
      metadata: { ...putOptions.metadata },
    };
  };

  return {
    async ensureContainer(container) {
      checkContainer(container);
      await call(`container ${container}`, () => serviceClient.getContainerClient(container).createIfNotExists());
    },

    put: (container, name, body, putOptions = {}) =>
      puttingBody(body, () => putBody(container, name, body, putOptions)),

    async get(container, name): Promise<BlobDownload> {
      const client = blob(container, name);
      const what = `blob ${container}/${name}`;
      const response = await call(what, () => client.download());
      const body = response.readableStreamBody;
      if (!body) throw new PermanentError(`${what}: download returned no stream (not running on Node?)`);
      const stream = body instanceof Readable ? body : new Readable().wrap(body);
      return {
        stream,
        properties: {
          container,
          name,
          etag: required(response.etag, what, 'etag'),
          size: response.contentLength ?? 0,
          contentType: response.contentType,
          lastModified: required(response.lastModified, what, 'lastModified'),
          metadata: { ...response.metadata },
        },
      };
    },

    async head(container, name) {
      const client = blob(container, name);
      try {
        return await getProperties(client, container, name);
      } catch (error) {
        if (error instanceof NotFoundError) return undefined;
        throw error;
      }
    },

    async *list(container, prefix) {
      checkContainer(container);
      const what = `container ${container}`;
      const pages = serviceClient
        .getContainerClient(container)
        .listBlobsFlat({ includeMetadata: true, ...(prefix ? { prefix } : {}) });
      const iterator = pages[Symbol.asyncIterator]();
      for (;;) {
        const next = await call(what, () => iterator.next());
        if (next.done) return;
        const item = next.value;
        yield {
          container,
          name: item.name,
          etag: required(item.properties.etag, what, 'etag'),
          size: item.properties.contentLength ?? 0,
          contentType: item.properties.contentType,
          lastModified: item.properties.lastModified,
          metadata: { ...item.metadata },
        };
      }
    },

    async setMetadata(container, name, metadata, setOptions = {}) {
      const client = blob(container, name);
      const what = `blob ${container}/${name}`;
      const conditions = setOptions.ifMatch === undefined ? {} : { ifMatch: setOptions.ifMatch };
      const response = await call(what, () => client.setMetadata({ ...metadata }, { conditions }));
      // Size and content type come from a read after the write; the ETag, time and metadata are ours.
      const current = await getProperties(client, container, name);
      return {
        ...current,
        etag: required(response.etag, what, 'etag'),
        lastModified: required(response.lastModified, what, 'lastModified'),
        metadata: { ...metadata },
      };
    },

    async delete(container, name, deleteOptions = {}) {
      const client = blob(container, name);
      const conditions = deleteOptions.ifMatch === undefined ? {} : { ifMatch: deleteOptions.ifMatch };
      await call(`blob ${container}/${name}`, () => client.delete({ conditions }));
    },
  };
}

/** Production: identity-based access (managed identity, workload identity, Azure CLI...). */
export function azureBlobStoreFromEndpoint(endpoint: string, credential: TokenCredential): BlobStore {
  return createAzureBlobStore({ serviceClient: new BlobServiceClient(endpoint, credential) });
}

/**
 * Local emulators only (Azurite in tests and demos). Production storage accounts disable
 * shared-key access; use `azureBlobStoreFromEndpoint` with a TokenCredential there.
 */
export function azureBlobStoreFromConnectionString(connectionString: string): BlobStore {
  return createAzureBlobStore({ serviceClient: BlobServiceClient.fromConnectionString(connectionString) });
}

async function getProperties(client: BlockBlobClient, container: string, name: string): Promise<BlobProperties> {
  const what = `blob ${container}/${name}`;
  const p = await call(what, () => client.getProperties());
  return {
    container,
    name,
    etag: required(p.etag, what, 'etag'),
    size: p.contentLength ?? 0,
    contentType: p.contentType,
    lastModified: required(p.lastModified, what, 'lastModified'),
    metadata: { ...p.metadata },
  };
}

function toConditions(options: PutBlobOptions): BlobRequestConditions {
  return {
    ...(options.ifNoneMatch === '*' ? { ifNoneMatch: '*' } : {}),
    ...(options.ifMatch === undefined ? {} : { ifMatch: options.ifMatch }),
  };
}

/** Passes the stream through, counting bytes; source errors destroy the counted stream. */
function countBytes(source: Readable): { stream: Readable; size: () => number } {
  let size = 0;
  const counter = new Transform({
    transform(chunk: Buffer | string, _encoding, done) {
      size += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
      done(null, chunk);
    },
  });
  pipeline(source, counter, () => {});
  return { stream: counter, size: () => size };
}

const CONTAINER_NAME = /^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$/;

function checkContainer(container: string): void {
  if (!CONTAINER_NAME.test(container))
    throw new InputError(`container ${container}`, 'must be 3-63 chars of [a-z0-9-]');
}

function checkBlobName(name: string): void {
  if (name === '' || name.startsWith('/') || name.split('/').includes('..')) {
    throw new InputError(`blob name ${JSON.stringify(name)}`, 'must be non-empty, without a leading / or .. segments');
  }
}

function required<T>(value: T | undefined, what: string, field: string): T {
  if (value === undefined) throw new PermanentError(`${what}: service response lacks ${field}`);
  return value;
}
