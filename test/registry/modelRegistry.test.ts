import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputError, NotFoundError, PermanentError } from '../../src/core/errors.js';
import { decodeModel } from '../../src/onnx/onnxProto.js';
import { createModelRegistry, type ModelRegistry } from '../../src/registry/modelRegistry.js';
import { blobStoreContract } from '../contracts/blobStore.contract.js';
import { MemoryBlobStore } from '../support/memoryBlobStore.js';
import { ocsvmModelPath, readOcsvmManifest } from '../support/fixtures.js';

const manifest = readOcsvmManifest();
const modelBytes = manifest.models.map((m) => readFileSync(ocsvmModelPath(m)));
const A = modelBytes[0]!;
const B = modelBytes[1]!;
const C = modelBytes[2]!;

// The fake the registry tests run on must keep the port's contract (not durable: no reopen).
blobStoreContract('memoryBlobStore (test fake)', () =>
  Promise.resolve({ store: new MemoryBlobStore(), cleanup: () => Promise.resolve() }),
);

function setup(): { store: MemoryBlobStore; registry: ModelRegistry } {
  const store = new MemoryBlobStore();
  let tick = 0;
  const registry = createModelRegistry(store, { now: () => new Date(Date.UTC(2024, 0, 1, 0, 0, tick++)) });
  return { store, registry };
}

describe('model registry', () => {
  it('stores numbered versions with a manifest', async () => {
    const { store, registry } = setup();
    const first = await registry.add('sensor', A, { meta: { window_seconds: '30', owner: 'ops' }, tags: ['prod'] });
    expect(first.created).toBe(true);
    const v1 = first.record;
    expect(v1).toMatchObject({
      name: 'sensor',
      version: 1,
      ref: 'sensor@1',
      sha256: manifest.models[0]!.sha256,
      size: A.byteLength,
      tags: ['prod'],
      createdAt: '2024-01-01T00:00:00.000Z',
      modelMetadata: { features: 'mean,std,min,max', window_seconds: '60' },
      meta: { owner: 'ops', window_seconds: '30' },
      metadata: { features: 'mean,std,min,max', window_seconds: '30', owner: 'ops' },
      opsets: { 'ai.onnx': 17, 'ai.onnx.ml': 3 },
    });
    expect(v1.inputs).toEqual([{ name: 'float_input', elemType: 'float32', shape: [null, 4] }]);
    expect(v1.outputs.map((o) => o.name)).toEqual(['label', 'scores']);
    const v2 = (await registry.add('sensor', B)).record;
    expect(v2.version).toBe(2);
    const stored = await store.head('models', 'manifests/sensor/v2.json');
    expect(stored?.contentType).toBe('application/json');
    expect(Buffer.from(await registry.loadBytes(v2)).equals(B)).toBe(true);
  });

  it('resolves name, name@N, name@vN, name@latest and name@tag (tags move to the newest tagged version)', async () => {
    const { registry } = setup();
    await registry.add('sensor', A, { tags: ['prod'] });
    await registry.add('sensor', B, { tags: ['canary'] });
    await registry.add('sensor', C);
    expect((await registry.resolve('sensor')).version).toBe(3);
    expect((await registry.resolve('sensor@latest')).version).toBe(3);
    expect((await registry.resolve('sensor@2')).version).toBe(2);
    expect((await registry.resolve('sensor@v1')).version).toBe(1);
    expect((await registry.resolve('sensor@prod')).version).toBe(1);
    await registry.add('sensor', A, { tags: ['prod'] });
    expect((await registry.resolve('sensor@prod')).version).toBe(4);
    expect((await registry.resolve('sensor@canary')).version).toBe(2);
  });

  it.each(['sensor@9', 'sensor@nightly', 'other', 'other@1'])(
    'unknown reference %s is NotFoundError naming it',
    async (ref) => {
      const { registry } = setup();
      await registry.add('sensor', A);
      const error = await registry.resolve(ref).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(NotFoundError);
      expect((error as Error).message).toBe(`model ${ref} not found`);
    },
  );

  it.each(['Sensor', '-x', 'a/b', '', 'x y', 'a@b@c', 'sensor@', 'sensor@0'])(
    'refuses the name or reference %j with InputError',
    async (ref) => {
      const { registry } = setup();
      await expect(registry.resolve(ref)).rejects.toBeInstanceOf(InputError);
    },
  );

  it('validates names, tags and meta on add, and refuses bytes that are not a model', async () => {
    const { store, registry } = setup();
    await expect(registry.add('Bad Name', A)).rejects.toBeInstanceOf(InputError);
    await expect(registry.add('ok', A, { tags: ['v3'] })).rejects.toBeInstanceOf(InputError);
    await expect(registry.add('ok', A, { tags: ['latest'] })).rejects.toBeInstanceOf(InputError);
    await expect(registry.add('ok', A, { meta: { 'bad key': 'x' } })).rejects.toBeInstanceOf(InputError);
    await expect(registry.add('ok', Buffer.from('not a model'))).rejects.toBeInstanceOf(PermanentError);
    expect(store.calls.filter((c) => c.op === 'put')).toEqual([]);
  });

  it('returns the latest version for identical bytes, meta and tags; anything else is a new version', async () => {
    const { registry } = setup();
    const v1 = await registry.add('sensor', A, { tags: ['prod'] });
    const again = await registry.add('sensor', A, { tags: ['prod'] });
    expect(again).toEqual({ record: v1.record, created: false });
    expect((await registry.add('sensor', A)).record.version).toBe(2);
    expect((await registry.add('sensor', A, { meta: { note: 'x' } })).record.version).toBe(3);
    expect((await registry.list('sensor')).map((r) => r.version)).toEqual([1, 2, 3]);
  });

  it('never gives two concurrent adds the same version', async () => {
    const { store } = setup();
    const writers = [0, 1, 2, 3].map(() => createModelRegistry(store));
    const results = await Promise.all(writers.map((r, i) => r.add('sensor', modelBytes[i]!)));
    expect(results.map((r) => r.record.version).sort()).toEqual([1, 2, 3, 4]);
    const listed = await createModelRegistry(store).list('sensor');
    expect(listed.map((r) => r.sha256).sort()).toEqual(
      manifest.models
        .slice(0, 4)
        .map((m) => m.sha256)
        .sort(),
    );
    expect(
      store.calls.some((c) => c.op === 'put' && c.outcome === 'preconditionFailed' && c.name?.startsWith('manifests/')),
    ).toBe(true);
  });

  it('lists every model, oldest version first', async () => {
    const { registry } = setup();
    await registry.add('b-model', A);
    await registry.add('a-model', B);
    await registry.add('b-model', C);
    expect((await registry.list()).map((r) => r.ref)).toEqual(['a-model@1', 'b-model@1', 'b-model@2']);
    expect(await registry.list('nothing')).toEqual([]);
  });

  it('loadBytes refuses bytes whose sha256 is not the manifest one', async () => {
    const { store, registry } = setup();
    const { record } = await registry.add('sensor', A);
    store.tamper('models', record.blob, B);
    const error = await registry.loadBytes(record).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as PermanentError).code).toBe('ModelChecksumMismatch');
  });

  it('adding the same bytes again repairs a stored model that storage corrupted', async () => {
    const { store, registry } = setup();
    const { record } = await registry.add('sensor', A);
    store.tamper('models', record.blob, B);
    const again = await registry.add('other-name', A);
    expect(again.record.blob).toBe(record.blob);
    expect(Buffer.from(await registry.loadBytes(record)).equals(A)).toBe(true);
  });

  it('optimize registers the rewritten graph as a new version, once', async () => {
    const { registry } = setup();
    await registry.add('sensor', A, { meta: { owner: 'ops' }, tags: ['prod'] });
    const optimized = await registry.optimize('sensor@prod');
    expect(optimized.created).toBe(true);
    expect(optimized.rewritten).toBe(2);
    expect(optimized.record).toMatchObject({
      version: 2,
      meta: { owner: 'ops', optimized_from: 'sensor@1' },
      tags: [],
      opsets: { 'ai.onnx': 17 },
    });
    expect(optimized.record.modelMetadata).toEqual({ features: 'mean,std,min,max', window_seconds: '60' });
    expect(optimized.record.outputs).toEqual((await registry.resolve('sensor@1')).outputs);
    const again = await registry.optimize('sensor@1');
    expect(again).toMatchObject({ created: false, rewritten: 2, record: { version: 2 } });
    const noop = await registry.optimize('sensor@2');
    expect(noop).toMatchObject({ created: false, rewritten: 0, record: { version: 2 } });
    const graph = decodeModel(await registry.loadBytes(optimized.record)).graph!;
    expect(graph.node!.some((n) => n.domain === 'ai.onnx.ml')).toBe(false);
  });
});
