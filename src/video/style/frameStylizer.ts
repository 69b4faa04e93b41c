/**
 * Runs an image-to-image style model over rgb24 frames. Three onnxruntime sessions on the same
 * execution provider: PRE (uint8 NHWC → the model's float NCHW, channel order and range), the style
 * model (its bytes loaded unchanged) and POST (back to rgb24: clip, round half to even, cast). No
 * per-pixel JavaScript runs. Frames go through in runs of at most `spec.maxBatch`; a model with a
 * fixed batch dimension gets its last run padded with black frames, which are dropped.
 *
 * The execution provider is proved once per process by the self-test (providerSelfTest.ts) before
 * any session is created: a requested GPU provider that is missing fails here, never on the CPU.
 * Fixed-size models take frames at exactly their size (the decoder scales); dynamic models take any.
 *
 * onnxruntime-node runs a session on the calling thread: a run blocks the event loop for its
 * duration (about 0.4 s per 720x720 frame of the fixtures on a 2-core CPU).
 */
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { PermanentError } from '../../core/errors.js';
import { checkFrames } from './checkFrames.js';
import { buildPostModel, buildPreModel, POST_INPUT, POST_OUTPUT, PRE_INPUT, PRE_OUTPUT } from './conversionModels.js';
import { sessionOptionsFor, type ExecutionProvider } from './executionProvider.js';
import { createProfileDir, profiledProviders } from './profiledProviders.js';
import { verifyExecutionProviderOnce } from './providerSelfTest.js';
import type { StyleSpec } from './styleSpec.js';

export interface FrameStylizerOptions {
  readonly executionProvider: ExecutionProvider;
  /** onnxruntime intra-op threads per session; onnxruntime's default (one per core) when omitted. */
  readonly intraOpThreads?: number;
  /** The model, for messages: e.g. 'mosaic@3'. */
  readonly label: string;
}

/** Cumulative wall time per stage since the stylizer was created. */
export interface StyleTimings {
  readonly frames: number;
  readonly runs: number;
  readonly preMs: number;
  readonly modelMs: number;
  readonly postMs: number;
}

export interface FrameStylizer {
  readonly label: string;
  readonly spec: StyleSpec;
  /** The provider the self-test proved, as onnxruntime names it (e.g. 'CPUExecutionProvider'). */
  readonly executionProvider: string;
  /** `frames`: n × height × width × 3 rgb24, tightly packed. Returns the styled frames, same layout. */
  stylize(frames: Uint8Array, n: number, width: number, height: number): Promise<Uint8Array>;
  readonly timings: StyleTimings;
  /**
   * Node events per provider in the model's first run (onnxruntime's profile), e.g.
   * { CUDAExecutionProvider: 60, CPUExecutionProvider: 2 }; undefined before the first run. A first
   * run with no node on the proved provider fails with 'ExecutionProviderMismatch'.
   */
  readonly placement: Readonly<Record<string, number>> | undefined;
  /** Releases the sessions once the runs in flight finish. */
  dispose(): Promise<void>;
}

export async function createFrameStylizer(bytes: Uint8Array, spec: StyleSpec, options: FrameStylizerOptions): Promise<FrameStylizer> {
  const { label } = options;
  const verified = await verifyExecutionProviderOnce(options.executionProvider);
  const sessionOptions = sessionOptionsFor(options.executionProvider, options.intraOpThreads);
  const profile = await createProfileDir();
  const opened: ort.InferenceSession[] = [];
  let pre: ort.InferenceSession, post: ort.InferenceSession, model: ort.InferenceSession;
  try {
    pre = await open(opened, buildPreModel(spec), sessionOptions, `model ${label}: onnxruntime cannot load its pre-processing graph`);
    post = await open(opened, buildPostModel(spec), sessionOptions, `model ${label}: onnxruntime cannot load its post-processing graph`);
    // Profiled for its first run only: that run shows which provider ran the model's nodes.
    model = await open(opened, bytes, { ...sessionOptions, enableProfiling: true, profileFilePrefix: path.join(profile.dir, 'model') }, `model ${label}: onnxruntime cannot load it`);
    if (!model.inputNames.includes(spec.inputName) || !model.outputNames.includes(spec.outputName)) {
      throw new PermanentError(
        `model ${label}: the session has inputs [${model.inputNames.join(', ')}] and outputs [${model.outputNames.join(', ')}], the spec names ${spec.inputName} → ${spec.outputName}`,
        { code: 'BadStyleModel' },
      );
    }
  } catch (error) {
    await Promise.all([...opened.map((s) => s.release()), profile.remove()]);
    throw error;
  }
  let placement: Readonly<Record<string, number>> | undefined;
  let placementCheck: Promise<void> | undefined;

  /** After the first model run: which provider ran the model's nodes; none on the proved one is a mismatch. */
  async function checkPlacement(): Promise<void> {
    model.endProfiling();
    const counts = await profiledProviders(profile.dir);
    await profile.remove();
    placement = Object.freeze(counts);
    if ((counts[verified.provider] ?? 0) === 0) {
      const ran = Object.entries(counts).map(([p, count]) => `${p} (${count} nodes)`).join(', ') || 'no node events';
      throw new PermanentError(`model ${label}: requested ${verified.provider}, but the model ran on ${ran}`, { code: 'ExecutionProviderMismatch' });
    }
  }

  const timings = { frames: 0, runs: 0, preMs: 0, modelMs: 0, postMs: 0 };
  let inFlight = Promise.resolve();
  let disposed = false;

  async function runBatch(batch: Uint8Array, k: number, width: number, height: number): Promise<Uint8Array> {
    const t0 = performance.now();
    const image = (await pre.run({ [PRE_INPUT]: new ort.Tensor('uint8', batch, [k, height, width, 3]) }))[PRE_OUTPUT]!;
    const t1 = performance.now();
    const styled = (await model.run({ [spec.inputName]: image }, [spec.outputName]))[spec.outputName]!;
    const t2 = performance.now();
    await (placementCheck ??= checkPlacement());
    const want = [k, 3, height, width];
    if (styled.dims.length !== 4 || styled.dims.some((d, i) => d !== want[i])) {
      throw new PermanentError(`model ${label}: output ${spec.outputName} is [${styled.dims.join(',')}] for input [${want.join(',')}]: a style model must keep the size`, {
        code: 'BadStyleModel',
      });
    }
    const out = (await post.run({ [POST_INPUT]: styled }))[POST_OUTPUT]!;
    const t3 = performance.now();
    timings.preMs += t1 - t0;
    timings.modelMs += t2 - t1;
    timings.postMs += t3 - t2;
    timings.runs++;
    return out.data as Uint8Array;
  }

  async function stylizeAll(frames: Uint8Array, n: number, width: number, height: number): Promise<Uint8Array> {
    const frameBytes = width * height * 3;
    const result = new Uint8Array(n * frameBytes);
    const fixedBatch = spec.fixedBatch;
    for (let start = 0; start < n; start += spec.maxBatch) {
      const k = Math.min(spec.maxBatch, n - start);
      const view = frames.subarray(start * frameBytes, (start + k) * frameBytes);
      let batch = view;
      if (fixedBatch !== undefined && k < fixedBatch) {
        batch = new Uint8Array(fixedBatch * frameBytes);
        batch.set(view);
      }
      const out = await runBatch(batch, fixedBatch ?? k, width, height);
      result.set(out.subarray(0, k * frameBytes), start * frameBytes);
      timings.frames += k;
    }
    return result;
  }

  return {
    label,
    spec,
    executionProvider: verified.provider,
    get placement() {
      return placement;
    },
    get timings() {
      return { ...timings };
    },
    async stylize(frames, n, width, height) {
      if (disposed) throw new PermanentError(`model ${label}: the frame stylizer is disposed`, { code: 'StylizerDisposed' });
      checkFrames(spec, label, frames, n, width, height);
      const run = stylizeAll(frames, n, width, height);
      inFlight = inFlight.then(() => run.then(() => undefined, () => undefined));
      return run;
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await inFlight;
      await Promise.all([pre.release(), model.release(), post.release(), profile.remove()]);
    },
  };
}

/** Creates a session and records it in `opened`; a failure is a 'BadModel' PermanentError: `failure (reason)`. */
async function open(opened: ort.InferenceSession[], bytes: Uint8Array, options: ort.InferenceSession.SessionOptions, failure: string): Promise<ort.InferenceSession> {
  try {
    const session = await ort.InferenceSession.create(bytes, options);
    opened.push(session);
    return session;
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    throw new PermanentError(`${failure} (${reason})`, { cause, code: 'BadModel' });
  }
}
