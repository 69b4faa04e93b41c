import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submitFile } from '../../src/cli/submitFile.js';
import type { LocalContext } from '../../src/composition/local/localContext.js';
import { registryCatalog } from '../../src/adapters/models/registryModels.js';
import { InputError, PermanentError } from '../../src/core/errors.js';
import { decodeModel, encodeModel } from '../../src/onnx/onnxProto.js';
import { createModelRegistry } from '../../src/registry/modelRegistry.js';
import { manifestBlob, serializeVersion } from '../../src/registry/modelVersion.js';
import { identityStyleModel } from '../support/video/jobs.js';
import { ocsvmModelPath, readOcsvmManifest } from '../support/fixtures.js';
import { openContext, tempHome, writeTemp } from '../support/localHarness.js';
import { MemoryBlobStore } from '../support/memoryBlobStore.js';

/** The oracle's first one-class SVM with its own metadata (features, window_seconds) removed. */
function svmWithoutWindow(): Uint8Array {
  const model = decodeModel(readFileSync(ocsvmModelPath(readOcsvmManifest().models[0]!)));
  return encodeModel({ ...model, metadataProps: [] });
}

function rejection(thrown: () => Promise<unknown>): Promise<unknown> {
  return thrown().then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('the window length of an anomaly model', () => {
  it('a one-class SVM without window_seconds is refused at registration, naming --meta window_seconds=N', async () => {
    const registry = createModelRegistry(new MemoryBlobStore());
    const error = await rejection(() => registry.add('ocsvm-1-1', svmWithoutWindow()));
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(/^model ocsvm-1-1: .*no window_seconds.*--meta window_seconds=N/);
    expect(await registry.list('ocsvm-1-1')).toEqual([]);
  });

  it('given with --meta, it registers and is pinned with that length', async () => {
    const registry = createModelRegistry(new MemoryBlobStore());
    await registry.add('ocsvm-1-1', svmWithoutWindow(), { meta: { window_seconds: '3600' } });
    expect(await registryCatalog(registry).latest('ocsvm-1-1')).toMatchObject({ version: 1, windowSeconds: 3600 });
  });

  it('a window_seconds that is not a positive whole number is refused, for any model', async () => {
    const registry = createModelRegistry(new MemoryBlobStore());
    for (const bad of ['0', '-60', '1.5', 'sixty', ''])
      await expect(registry.add('ocsvm-1-1', svmWithoutWindow(), { meta: { window_seconds: bad } })).rejects.toThrow(
        /window_seconds must be a positive whole number of seconds/,
      );
    await expect(registry.add('style', identityStyleModel('w'), { meta: { window_seconds: 'x' } })).rejects.toThrow(
      InputError,
    );
  });

  it('a model that is not an SVM (a style model) needs none', async () => {
    const registry = createModelRegistry(new MemoryBlobStore());
    expect((await registry.add('style', identityStyleModel('no-window'))).created).toBe(true);
  });

  it('a version registered before it was required cannot be pinned: the job gets the reason, not 60 s windows', async () => {
    const store = new MemoryBlobStore();
    const { record } = await createModelRegistry(store).add('ocsvm-1-1', svmWithoutWindow(), {
      meta: { window_seconds: '3600' },
    });
    // The manifest as an older Tessera wrote it: no window length anywhere.
    const legacy = { ...record, meta: {}, metadata: {} };
    await store.put('models', manifestBlob('ocsvm-1-1', 1), serializeVersion(legacy));
    const error = await rejection(() => registryCatalog(createModelRegistry(store)).latest('ocsvm-1-1'));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).toMatchObject({ code: 'ModelWithoutWindow' });
    expect((error as Error).message).toMatch(
      /^model ocsvm-1-1@1 has no window length \(metadata window_seconds\): register it again with --meta window_seconds=N/,
    );
  });
});

describe('an anomaly job whose series model has no window length', () => {
  const home = tempHome();
  let ctx: LocalContext;
  beforeAll(async () => {
    ctx = openContext(home.config);
    await ctx.ensureContainers();
  });
  afterAll(async () => {
    await ctx?.close();
    home.cleanup();
  });

  it('fails at planning naming the model and the fix, instead of scoring it on 60 s windows', async () => {
    // As an older Tessera registered it (through a registry of its own: ctx's caches manifests).
    const { record } = await createModelRegistry(ctx.blobs).add('ocsvm-1-1', svmWithoutWindow(), {
      meta: { window_seconds: '3600' },
    });
    await ctx.blobs.put(
      'models',
      manifestBlob('ocsvm-1-1', 1),
      serializeVersion({ ...record, meta: {}, metadata: {} }),
    );
    const csv = [
      'TS,Device,Tag,Value',
      ...Array.from({ length: 30 }, (_, i) => `2018-01-01T00:${String(i).padStart(2, '0')}:00,1,1,${i % 7}`),
    ];
    const job = await submitFile(ctx, writeTemp(home.dir, 'readings.csv', `${csv.join('\n')}\n`));
    await ctx.dispatch({ kind: 'plan', jobId: job.jobId });
    const planned = await ctx.ledger.getJob(job.jobId);
    expect(planned?.state).toBe('failed');
    expect(planned?.error).toMatch(/model ocsvm-1-1@1 has no window length .*--meta window_seconds=N/);
  });
});
