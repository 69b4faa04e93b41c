/**
 * In-memory BlobStore and BlobChangeFeed: a test fake that follows the port's contract (conditional
 * puts, NotFound on missing blobs and containers, lexicographic listing, ETag changes on every
 * write) and records every call. Not durable, so never the embedded default.
 */
import { Readable } from 'node:stream';
import { InputError, NotFoundError, PreconditionFailedError } from '../../src/core/errors.js';
import type {
  BlobBody,
  BlobChange,
  BlobChangeFeed,
  BlobDownload,
  BlobProperties,
  BlobStore,
  PutBlobOptions,
} from '../../src/ports/blobStore.js';
import { puttingBody } from '../../src/adapters/streamBody.js';

interface StoredBlob {
  readonly content: Buffer;
  readonly properties: BlobProperties;
}

export interface RecordedCall {
  readonly op: 'ensureContainer' | 'put' | 'get' | 'head' | 'list' | 'setMetadata' | 'delete';
  readonly container: string;
  readonly name?: string;
  readonly outcome: 'ok' | 'notFound' | 'preconditionFailed';
}

const CONTAINER = /^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$/;
const META_KEY = /^[a-z0-9_]+$/;

export class MemoryBlobStore implements BlobStore, BlobChangeFeed {
  readonly calls: RecordedCall[] = [];
  private readonly containers = new Map<string, Map<string, StoredBlob>>();
  private readonly feeds = new Map<string, BlobChange[]>();
  private etagCounter = 0;

  async ensureContainer(container: string): Promise<void> {
    if (!CONTAINER.test(container)) throw new InputError('container', `invalid container name '${container}'`);
    if (!this.containers.has(container)) {
      this.containers.set(container, new Map());
      this.feeds.set(container, []);
    }
    this.record('ensureContainer', container, undefined, 'ok');
    return Promise.resolve();
  }

  put(container: string, name: string, body: BlobBody, options: PutBlobOptions = {}): Promise<BlobProperties> {
    return puttingBody(body, () => this.putNow(container, name, body, options));
  }

  private async putNow(
    container: string,
    name: string,
    body: BlobBody,
    options: PutBlobOptions,
  ): Promise<BlobProperties> {
    const blobs = this.containerOf('put', container, name);
    validateName(name);
    for (const key of Object.keys(options.metadata ?? {})) {
      if (!META_KEY.test(key)) throw new InputError('metadata', `invalid metadata key '${key}'`);
    }
    const content = await toBuffer(body);
    const current = blobs.get(name);
    if (
      (options.ifNoneMatch === '*' && current) ||
      (options.ifMatch !== undefined && current?.properties.etag !== options.ifMatch)
    ) {
      this.record('put', container, name, 'preconditionFailed');
      throw new PreconditionFailedError(`${container}/${name}`);
    }
    const properties: BlobProperties = {
      container,
      name,
      etag: this.nextEtag(),
      size: content.byteLength,
      contentType: options.contentType,
      lastModified: new Date(),
      metadata: { ...(options.metadata ?? {}) },
    };
    blobs.set(name, { content, properties });
    const feed = this.feeds.get(container) ?? [];
    feed.push({ cursor: String(feed.length + 1), name, etag: properties.etag });
    this.record('put', container, name, 'ok');
    return properties;
  }

  async get(container: string, name: string): Promise<BlobDownload> {
    const blob = this.blobOf('get', container, name);
    this.record('get', container, name, 'ok');
    return Promise.resolve({ properties: blob.properties, stream: Readable.from([Buffer.from(blob.content)]) });
  }

  async head(container: string, name: string): Promise<BlobProperties | undefined> {
    const blob = this.containerOf('head', container, name).get(name);
    this.record('head', container, name, blob ? 'ok' : 'notFound');
    return Promise.resolve(blob?.properties);
  }

  async *list(container: string, prefix = ''): AsyncIterable<BlobProperties> {
    const blobs = this.containerOf('list', container, prefix);
    this.record('list', container, prefix, 'ok');
    const names = [...blobs.keys()].filter((n) => n.startsWith(prefix)).sort();
    for (const name of names) {
      const blob = blobs.get(name);
      if (blob) yield await Promise.resolve(blob.properties);
    }
  }

  async setMetadata(
    container: string,
    name: string,
    metadata: Readonly<Record<string, string>>,
    options: { readonly ifMatch?: string } = {},
  ): Promise<BlobProperties> {
    const blob = this.blobOf('setMetadata', container, name);
    if (options.ifMatch !== undefined && blob.properties.etag !== options.ifMatch) {
      this.record('setMetadata', container, name, 'preconditionFailed');
      throw new PreconditionFailedError(`${container}/${name}`);
    }
    const properties = {
      ...blob.properties,
      etag: this.nextEtag(),
      lastModified: new Date(),
      metadata: { ...metadata },
    };
    this.containers.get(container)?.set(name, { content: blob.content, properties });
    this.record('setMetadata', container, name, 'ok');
    return Promise.resolve(properties);
  }

  async delete(container: string, name: string, options: { readonly ifMatch?: string } = {}): Promise<void> {
    const blob = this.blobOf('delete', container, name);
    if (options.ifMatch !== undefined && blob.properties.etag !== options.ifMatch) {
      this.record('delete', container, name, 'preconditionFailed');
      throw new PreconditionFailedError(`${container}/${name}`);
    }
    this.containers.get(container)?.delete(name);
    this.record('delete', container, name, 'ok');
    return Promise.resolve();
  }

  async changesSince(container: string, cursor: string | undefined, limit = 1000): Promise<BlobChange[]> {
    const feed = this.feeds.get(container);
    if (!feed) throw new NotFoundError(`container ${container}`);
    const from = cursor === undefined ? 0 : Number(cursor);
    return Promise.resolve(feed.slice(from, from + limit));
  }

  /** Test hook: replaces a blob's bytes behind the store's back (simulates corruption). */
  tamper(container: string, name: string, content: Uint8Array): void {
    const blob = this.containers.get(container)?.get(name);
    if (!blob) throw new NotFoundError(`${container}/${name}`);
    this.containers
      .get(container)
      ?.set(name, { content: Buffer.from(content), properties: { ...blob.properties, size: content.byteLength } });
  }

  private containerOf(op: RecordedCall['op'], container: string, name: string | undefined): Map<string, StoredBlob> {
    const blobs = this.containers.get(container);
    if (!blobs) {
      this.record(op, container, name, 'notFound');
      throw new NotFoundError(`container ${container}`);
    }
    return blobs;
  }

  private blobOf(op: RecordedCall['op'], container: string, name: string): StoredBlob {
    const blob = this.containerOf(op, container, name).get(name);
    if (!blob) {
      this.record(op, container, name, 'notFound');
      throw new NotFoundError(`blob ${container}/${name}`);
    }
    return blob;
  }

  private nextEtag(): string {
    return `"0x${(++this.etagCounter).toString(16).padStart(8, '0')}"`;
  }

  private record(
    op: RecordedCall['op'],
    container: string,
    name: string | undefined,
    outcome: RecordedCall['outcome'],
  ): void {
    this.calls.push(name === undefined ? { op, container, outcome } : { op, container, name, outcome });
  }
}

function validateName(name: string): void {
  if (name.length === 0 || name.startsWith('/') || name.split('/').includes('..')) {
    throw new InputError('blob name', `invalid blob name '${name}'`);
  }
}

async function toBuffer(body: BlobBody): Promise<Buffer> {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body);
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}
