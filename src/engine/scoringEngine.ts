/**
 * The scoring engine: turns verified model bytes into cached onnxruntime sessions and scores
 * float32 feature rows in batches. It does no blob I/O: callers hand it bytes and the sha256 they
 * expect (from the registry's manifest).
 *
 * - `load` verifies the sha256 BEFORE anything is decoded or a session is created; a mismatch is a
 *   PermanentError with code 'ModelChecksumMismatch'. The model must take one float32 [N, F] input,
 *   F being the caller's feature count ('ModelSignatureMismatch' otherwise).
 * - Sessions are cached per name@version and sha256, least recently used first out. An evicted or
 *   released session is closed once its in-flight `score` calls finish; scoring it afterwards is a
 *   TransientError (load it again).
 * - With `optimize` (the default) ai.onnx.ml Scaler/SVMRegressor nodes are rewritten into standard
 *   operators at load (see onnx/svmRewrite.ts), and a label output that is Cast(Sign(score)) is pruned
 *   from the session (labels are then the sign of the score: the same values). The checksum is always
 *   that of the bytes received.
 */
import type { InferenceSession } from 'onnxruntime-node';
import { InputError, PermanentError, TransientError } from '../core/errors.js';
import { decodeOrThrow, describeModel, sha256Hex, type ModelInfo } from '../onnx/modelInfo.js';
import { encodeModel } from '../onnx/onnxProto.js';
import { onnxRuntime } from '../onnx/onnxRuntime.js';
import { pruneToOutputs } from '../onnx/pruneGraph.js';
import { rewriteSvm } from '../onnx/svmRewrite.js';
import { scoreInBatches, type BatchPlan, type ScoreResult } from './batchScorer.js';
import { LruCache } from './lruCache.js';
import { scoringSignature, type ScoringSignature } from './scoringSignature.js';

export type { ScoreResult } from './batchScorer.js';

export interface ScoringEngineOptions {
  /** Rewrite ai.onnx.ml SVM graphs into standard operators at load. Default true. */
  readonly optimize?: boolean;
  /** onnxruntime execution providers. Default ['cpu']. */
  readonly executionProviders?: readonly string[];
  /** Sessions kept open. Default 16. */
  readonly maxCachedSessions?: number;
  /** Rows per session run. Default 4096. */
  readonly batchSize?: number;
  /** Threads per session. Default 1: the graphs are tiny, and parallelism comes from workers. */
  readonly intraOpNumThreads?: number;
}

export interface ModelKey {
  readonly name: string;
  readonly version: number | string;
  /** Hex sha256 the bytes must have. */
  readonly sha256: string;
}

export interface LoadOptions {
  /** Feature count the caller sends; the model's input must be float32 [N, features]. */
  readonly features?: number;
}

export interface ScoringSession {
  /** 'name@version'. */
  readonly label: string;
  readonly key: ModelKey;
  readonly info: ModelInfo;
  readonly signature: ScoringSignature;
  /** ML nodes replaced by the rewrite (0: the graph runs as received). */
  readonly rewritten: number;
}

export interface ScoringEngine {
  load(key: ModelKey, bytes: Uint8Array, options?: LoadOptions): Promise<ScoringSession>;
  score(session: ScoringSession, rows: Float32Array, nRows: number, nFeatures: number): Promise<ScoreResult>;
  /** Drops the session from the cache and closes it once idle. */
  release(session: ScoringSession): void;
  /** Sessions currently cached. */
  readonly cachedSessions: number;
  /** Closes every session; the engine cannot be used afterwards. */
  dispose(): Promise<void>;
}

interface Entry extends ScoringSession {
  readonly cacheKey: string;
  readonly ort: InferenceSession;
  readonly plan: BatchPlan;
  inFlight: number;
  closed: boolean;
  closing: Promise<void> | undefined;
}

export function createScoringEngine(options: ScoringEngineOptions = {}): ScoringEngine {
  const optimize = options.optimize ?? true;
  const batchSize = options.batchSize ?? 4096;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new InputError('batchSize', `must be a positive integer, got ${batchSize}`);
  const sessionOptions: InferenceSession.SessionOptions = {
    executionProviders: [...(options.executionProviders ?? ['cpu'])],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: options.intraOpNumThreads ?? 1,
  };
  const pending = new Map<string, Promise<Entry>>();
  const retired = new Set<Entry>();
  const cache = new LruCache<Entry>(options.maxCachedSessions ?? 16, (_key, entry) => retire(entry));
  let disposed = false;

  function retire(entry: Entry): void {
    entry.closed = true;
    retired.add(entry);
    closeIfIdle(entry);
  }

  function closeIfIdle(entry: Entry): void {
    if (!entry.closed || entry.inFlight > 0 || entry.closing) return;
    entry.closing = entry.ort.release().finally(() => retired.delete(entry));
  }

  async function create(
    key: ModelKey,
    label: string,
    bytes: Uint8Array,
    sha: string,
    features: number | undefined,
  ): Promise<Entry> {
    const model = decodeOrThrow(bytes, sha);
    const info = describeModel(model, bytes.byteLength, sha);
    const signature = scoringSignature(label, info, model, features);
    const { model: rewrittenModel, rewritten } = optimize ? rewriteSvm(model) : { model, rewritten: 0 };
    // Labels that are Cast(Sign(score)) are derived from the scores: the session need not compute them.
    const prune = optimize && signature.labelIsSignOfScore;
    const runnable = prune ? pruneToOutputs(rewrittenModel, [signature.scoreOutput]) : rewrittenModel;
    // Loaded outside the try: a runtime that will not load is this process's fault, not the model's.
    const ort = await onnxRuntime();
    let session: InferenceSession;
    try {
      session = await ort.InferenceSession.create(
        rewritten > 0 || prune ? encodeModel(runnable) : bytes,
        sessionOptions,
      );
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new PermanentError(`model ${label}: onnxruntime cannot load it (${reason})`, { cause, code: 'BadModel' });
    }
    const plan = { batchSize, fetchLabels: !prune };
    return {
      label,
      key,
      info,
      signature,
      rewritten,
      cacheKey: `${label}#${sha}`,
      ort: session,
      plan,
      inFlight: 0,
      closed: false,
      closing: undefined,
    };
  }

  async function load(key: ModelKey, bytes: Uint8Array, loadOptions: LoadOptions = {}): Promise<ScoringSession> {
    if (disposed) throw new PermanentError('scoring engine is disposed', { code: 'EngineDisposed' });
    const label = `${key.name}@${key.version}`;
    const sha = sha256Hex(bytes);
    if (sha !== key.sha256.toLowerCase()) {
      throw new PermanentError(`model ${label}: sha256 of the bytes is ${sha}, expected ${key.sha256}`, {
        code: 'ModelChecksumMismatch',
      });
    }
    const cacheKey = `${label}#${sha}`;
    const cached = cache.get(cacheKey);
    const entry = cached ?? (await loadOnce(cacheKey, key, label, bytes, sha, loadOptions.features));
    const want = loadOptions.features;
    if (want !== undefined && entry.signature.nFeatures !== want) {
      throw new PermanentError(
        `model ${label}: input ${entry.signature.inputName} is float32 [N, ${entry.signature.nFeatures}], expected float32 [N, ${want}]`,
        {
          code: 'ModelSignatureMismatch',
        },
      );
    }
    return entry;
  }

  /** One session per cache key even when loads race. */
  async function loadOnce(
    cacheKey: string,
    key: ModelKey,
    label: string,
    bytes: Uint8Array,
    sha: string,
    features: number | undefined,
  ): Promise<Entry> {
    let creating = pending.get(cacheKey);
    if (!creating) {
      creating = create(key, label, bytes, sha, features).then((entry) => {
        if (disposed) retire(entry);
        else cache.set(cacheKey, entry);
        return entry;
      });
      pending.set(cacheKey, creating);
      void creating.finally(() => pending.delete(cacheKey)).catch(() => undefined);
    }
    return creating;
  }

  async function score(
    session: ScoringSession,
    rows: Float32Array,
    nRows: number,
    nFeatures: number,
  ): Promise<ScoreResult> {
    const entry = session as Entry;
    if (entry.closed) {
      throw new TransientError(`model ${session.label}: session was released (evicted from the cache); load it again`);
    }
    const f = entry.signature.nFeatures;
    if (nFeatures !== f)
      throw new InputError('nFeatures', `model ${session.label} takes ${f} features per row, got ${nFeatures}`);
    if (!Number.isInteger(nRows) || nRows < 0 || rows.length < nRows * f) {
      throw new InputError(
        'rows',
        `expected ${nRows} rows of ${f} features (${nRows * f} values), got ${rows.length} values`,
      );
    }
    entry.inFlight++;
    try {
      return await scoreInBatches(session.label, entry.ort, entry.signature, rows, nRows, entry.plan);
    } finally {
      entry.inFlight--;
      closeIfIdle(entry);
    }
  }

  return {
    load,
    score,
    release: (session) => {
      const entry = session as Entry;
      if (!cache.delete(entry.cacheKey, entry) && !entry.closed) retire(entry);
    },
    get cachedSessions() {
      return cache.size;
    },
    async dispose() {
      disposed = true;
      await Promise.allSettled(pending.values());
      cache.clear();
      await Promise.allSettled([...retired].map((e) => e.closing ?? Promise.resolve()));
    },
  };
}
