/**
 * Model registry on the BlobStore port (container 'models'): immutable, numbered versions with a
 * JSON manifest each (see modelVersion.ts for the layout).
 *
 * - `add` claims the next version number by creating its manifest with `ifNoneMatch: '*'`; when a
 *   concurrent writer took that number it retries with the next one. The bytes go to a
 *   content-addressed blob first, so a visible manifest always has its bytes.
 * - Deduplication: adding bytes whose sha256 equals the LATEST version's, with the same user meta and
 *   tags, returns that version (`created: false`); anything else creates a new version.
 * - `resolve` accepts 'name' (latest), 'name@3', 'name@v3', 'name@latest' and 'name@tag'; a tag
 *   names the newest version carrying it. Unknown references are NotFoundError.
 * - `loadBytes` verifies the sha256 of what it read: a mismatch is PermanentError 'ModelChecksumMismatch'.
 * - `optimize` registers the SVM-rewritten graph as a new version with meta optimized_from=name@v.
 * - `add` infers settings from the model's own metadata (inferredMeta.ts) and refuses a one-class
 *   SVM without a window length (windowLength.ts): an InputError that names `--meta window_seconds=N`.
 */
import { NotFoundError, PermanentError, PreconditionFailedError } from '../core/errors.js';
import { decodeOrThrow, inspectModel, sha256Hex } from '../onnx/modelInfo.js';
import { encodeModel } from '../onnx/onnxProto.js';
import { rewriteSvm } from '../onnx/svmRewrite.js';
import type { BlobStore } from '../ports/blobStore.js';
import { inferMeta } from './inferredMeta.js';
import { formatRef, parseModelRef, validateMeta, validateModelName, validateTags } from './modelRef.js';
import { readAll } from './readAll.js';
import { requireWindowLength } from './windowLength.js';
import {
  manifestBlob,
  manifestPrefix,
  modelBlob,
  MODELS_CONTAINER,
  parseVersion,
  serializeVersion,
  versionOfBlob,
  type ModelVersion,
} from './modelVersion.js';

export interface AddModelOptions {
  readonly meta?: Readonly<Record<string, string>>;
  readonly tags?: readonly string[];
}

export interface AddModelResult {
  readonly record: ModelVersion;
  /** False when the latest version already had these bytes, meta and tags. */
  readonly created: boolean;
}

export interface OptimizeResult extends AddModelResult {
  /** ML nodes rewritten; 0 means nothing to optimize and `record` is the source version. */
  readonly rewritten: number;
}

export interface ModelRegistry {
  add(name: string, bytes: Uint8Array, options?: AddModelOptions): Promise<AddModelResult>;
  resolve(ref: string): Promise<ModelVersion>;
  /** Every version of `name`, or of every model, oldest first per name. */
  list(name?: string): Promise<ModelVersion[]>;
  loadBytes(record: ModelVersion): Promise<Uint8Array>;
  optimize(ref: string, options?: { readonly tags?: readonly string[] }): Promise<OptimizeResult>;
}

export interface ModelRegistryOptions {
  readonly container?: string;
  readonly now?: () => Date;
  /** Version numbers tried per `add` before giving up (concurrent writers). Default 100. */
  readonly maxAttempts?: number;
}

export function createModelRegistry(store: BlobStore, options: ModelRegistryOptions = {}): ModelRegistry {
  const container = options.container ?? MODELS_CONTAINER;
  const now = options.now ?? (() => new Date());
  const maxAttempts = options.maxAttempts ?? 100;
  const manifests = new Map<string, ModelVersion>(); // immutable once written: safe to cache
  let ready: Promise<void> | undefined;
  const ensure = (): Promise<void> => (ready ??= store.ensureContainer(container));

  async function versionNumbers(name: string): Promise<number[]> {
    await ensure();
    const out: number[] = [];
    for await (const blob of store.list(container, manifestPrefix(name))) {
      const v = versionOfBlob(name, blob.name);
      if (v !== undefined) out.push(v);
    }
    return out.sort((a, b) => a - b);
  }

  async function readVersion(name: string, version: number): Promise<ModelVersion> {
    const blob = manifestBlob(name, version);
    const cached = manifests.get(blob);
    if (cached) return cached;
    const download = await store.get(container, blob);
    const record = parseVersion(blob, (await readAll(download.stream)).toString('utf8'));
    manifests.set(blob, record);
    return record;
  }

  async function add(name: string, bytes: Uint8Array, addOptions: AddModelOptions = {}): Promise<AddModelResult> {
    validateModelName(name);
    const meta = validateMeta(addOptions.meta ?? {});
    const tags = validateTags(addOptions.tags ?? []);
    const info = inspectModel(bytes);
    const inferred = inferMeta(info.metadata);
    const metadata = { ...inferred, ...info.metadata, ...meta };
    requireWindowLength(name, info.operators, metadata);
    const existing = await versionNumbers(name);
    const latest = existing.at(-1);
    if (latest !== undefined) {
      const record = await readVersion(name, latest);
      if (record.sha256 === info.sha256 && sameJson(record.meta, meta) && sameJson(record.tags, tags))
        return { record, created: false };
    }
    const blob = modelBlob(info.sha256);
    try {
      await store.put(container, blob, Buffer.from(bytes), {
        ifNoneMatch: '*',
        contentType: 'application/octet-stream',
      });
    } catch (error) {
      if (!(error instanceof PreconditionFailedError)) throw error;
      // The blob is named by its sha256, so it should hold these bytes; repair it if storage corrupted it.
      const stored = await store.get(container, blob);
      if (sha256Hex(await readAll(stored.stream)) !== info.sha256) {
        await store.put(container, blob, Buffer.from(bytes), {
          ifMatch: stored.properties.etag,
          contentType: 'application/octet-stream',
        });
      }
    }
    let version = (latest ?? 0) + 1;
    for (let attempt = 0; attempt < maxAttempts; attempt++, version++) {
      const record: ModelVersion = {
        name,
        version,
        ref: formatRef(name, version),
        sha256: info.sha256,
        size: info.size,
        blob,
        inputs: info.inputs,
        outputs: info.outputs,
        opsets: info.opsets,
        producer: info.producer,
        modelMetadata: info.metadata,
        meta,
        inferred,
        metadata,
        tags,
        createdAt: now().toISOString(),
      };
      try {
        await store.put(container, manifestBlob(name, version), serializeVersion(record), {
          ifNoneMatch: '*',
          contentType: 'application/json',
        });
      } catch (error) {
        if (error instanceof PreconditionFailedError) continue; // a concurrent add took this number
        throw error;
      }
      manifests.set(manifestBlob(name, version), record);
      return { record, created: true };
    }
    throw new PreconditionFailedError(`model ${name}: no free version number after ${maxAttempts} attempts`);
  }

  async function resolve(ref: string): Promise<ModelVersion> {
    const { name, selector } = parseModelRef(ref);
    const versions = await versionNumbers(name);
    if (selector.kind === 'version') {
      if (!versions.includes(selector.version)) throw new NotFoundError(`model ${ref}`);
      return readVersion(name, selector.version);
    }
    if (selector.kind === 'latest') {
      const latest = versions.at(-1);
      if (latest === undefined) throw new NotFoundError(`model ${ref}`);
      return readVersion(name, latest);
    }
    for (const v of [...versions].reverse()) {
      const record = await readVersion(name, v);
      if (record.tags.includes(selector.tag)) return record;
    }
    throw new NotFoundError(`model ${ref}`);
  }

  async function list(name?: string): Promise<ModelVersion[]> {
    await ensure();
    if (name !== undefined) {
      validateModelName(name);
      return Promise.all((await versionNumbers(name)).map((v) => readVersion(name, v)));
    }
    const names = new Set<string>();
    for await (const blob of store.list(container, 'manifests/')) {
      const modelName = blob.name.split('/')[1];
      if (modelName) names.add(modelName);
    }
    const all = await Promise.all([...names].sort().map((n) => list(n)));
    return all.flat();
  }

  async function loadBytes(record: ModelVersion): Promise<Uint8Array> {
    await ensure();
    const bytes = await readAll((await store.get(container, record.blob)).stream);
    const sha = sha256Hex(bytes);
    if (sha !== record.sha256) {
      throw new PermanentError(`model ${record.ref}: stored bytes have sha256 ${sha}, manifest says ${record.sha256}`, {
        code: 'ModelChecksumMismatch',
      });
    }
    return bytes;
  }

  async function optimize(
    ref: string,
    optimizeOptions: { readonly tags?: readonly string[] } = {},
  ): Promise<OptimizeResult> {
    const source = await resolve(ref);
    const { model, rewritten } = rewriteSvm(decodeOrThrow(await loadBytes(source), source.sha256));
    if (rewritten === 0) return { record: source, created: false, rewritten };
    const bytes = encodeModel(model);
    const sha = sha256Hex(bytes);
    const from = source.ref;
    const previous = (await list(source.name)).find((r) => r.meta.optimized_from === from && r.sha256 === sha);
    if (previous) return { record: previous, created: false, rewritten };
    const added = await add(source.name, bytes, {
      meta: { ...source.meta, optimized_from: from },
      tags: optimizeOptions.tags ?? [],
    });
    return { ...added, rewritten };
  }

  return { add, resolve, list, loadBytes, optimize };
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
