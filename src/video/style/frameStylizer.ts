/**
 * Runs an image-to-image style model over rgb24 frames. ONE onnxruntime session on the proved
 * execution provider runs the model wrapped in its conversions (fusedStyleModel.ts): uint8 frames
 * in, PRE (to the model's float NCHW, channel order and range), the model's own nodes unchanged,
 * POST (clip, round half to even, back to rgb24), uint8 frames out. No per-pixel JavaScript runs,
 * no float32 tensor crosses into JavaScript, and one run per batch does it all. Frames go through
 * in runs of at most `spec.maxBatch`; a model with a fixed batch dimension gets its last run
 * padded with black frames, which are dropped.
 *
 * The execution provider is proved once per process by the self-test (providerSelfTest.ts) before
 * the session is created: a requested GPU provider that is missing fails here, never on the CPU.
 * Fixed-size models take frames at exactly their size (the decoder scales); dynamic models take any.
 *
 * The session runs on a worker thread (styleSession.ts): a batch (about 0.4 s per 720x720 frame of
 * the fixtures on a 2-core CPU) never blocks the caller's event loop.
 */
import path from 'node:path';
import { PermanentError } from '../../core/errors.js';
import { checkFrames } from './checkFrames.js';
import { sessionOptionsFor, type ExecutionProvider } from './executionProvider.js';
import { buildFusedStyleModel, WRAPPER_PREFIX, type FusedStyleModel } from './fusedStyleModel.js';
import { createProfileDir, profiledNodes } from './profiledProviders.js';
import { verifyExecutionProviderOnce } from './providerSelfTest.js';
import { openStyleSession, type StyleSession } from './styleSession.js';
import type { StyleSpec } from './styleSpec.js';

export interface FrameStylizerOptions {
  readonly executionProvider: ExecutionProvider;
  /** onnxruntime intra-op threads per session; onnxruntime's default (one per core) when omitted. */
  readonly intraOpThreads?: number;
  /** The model, for messages: e.g. 'mosaic@3'. */
  readonly label: string;
}

/** Cumulative counts since the stylizer was created. */
export interface StyleTimings {
  readonly frames: number;
  readonly runs: number;
  /** Time in onnxruntime's runs (conversions and model together), on the session's thread. */
  readonly modelMs: number;
}

export interface FrameStylizer {
  readonly label: string;
  readonly spec: StyleSpec;
  /** The provider the self-test proved, as onnxruntime names it (e.g. 'CPUExecutionProvider'). */
  readonly executionProvider: string;
  /**
   * `frames`: n × height × width × 3 rgb24, tightly packed. Returns the styled frames, same layout.
   * With `give`, the caller hands `frames` over (it must not use them again): a batch that fits
   * one run then moves to the session's thread without a copy.
   */
  stylize(frames: Uint8Array, n: number, width: number, height: number, give?: boolean): Promise<Uint8Array>;
  readonly timings: StyleTimings;
  /**
   * Node events per provider of the model's own nodes in the first run (onnxruntime's profile), e.g.
   * { CUDAExecutionProvider: 60, CPUExecutionProvider: 2 }; undefined before the first run. A first
   * run with no node on the proved provider fails with 'ExecutionProviderMismatch'. (When the
   * optimizer removed every node of the model, an identity, the conversions' nodes are counted.)
   */
  readonly placement: Readonly<Record<string, number>> | undefined;
  /**
   * The conversions' share of the first run: the time of the PRE and POST nodes over the time of the
   * model's own nodes, from onnxruntime's profile; undefined before the first run.
   */
  readonly conversionShare: number | undefined;
  /** False once disposed, or once its session's thread has died: a holder should make a new one. */
  readonly alive: boolean;
  /** Releases the session once the runs in flight finish. */
  dispose(): Promise<void>;
}

export async function createFrameStylizer(
  bytes: Uint8Array,
  spec: StyleSpec,
  options: FrameStylizerOptions,
): Promise<FrameStylizer> {
  const { label } = options;
  const verified = await verifyExecutionProviderOnce(options.executionProvider);
  let fused: FusedStyleModel;
  try {
    fused = buildFusedStyleModel(bytes, spec);
  } catch (cause) {
    throw new PermanentError(`model ${label}: onnxruntime cannot load it (${firstLine(cause)})`, {
      cause,
      code: 'BadModel',
    });
  }
  const profile = await createProfileDir();
  let session: StyleSession;
  try {
    // Profiled for its first run only: that run shows which provider ran the model's nodes.
    session = await openStyleSession(fused.bytes, {
      ...sessionOptionsFor(options.executionProvider, options.intraOpThreads),
      enableProfiling: true,
      profileFilePrefix: path.join(profile.dir, 'model'),
    });
  } catch (cause) {
    await profile.remove();
    throw new PermanentError(`model ${label}: onnxruntime cannot load it (${firstLine(cause)})`, {
      cause,
      code: 'BadModel',
    });
  }
  let placement: Readonly<Record<string, number>> | undefined;
  let conversionShare: number | undefined;
  let placementCheck: Promise<void> | undefined;
  let firstRun: Promise<unknown> | undefined;

  /** After the first run: which provider ran the model's nodes; none on the proved one is a mismatch. */
  async function checkPlacement(): Promise<void> {
    await session.endProfiling();
    const nodes = await profiledNodes(profile.dir);
    await profile.remove();
    const wrapper = nodes.filter((n) => n.name.startsWith(`${WRAPPER_PREFIX}/`));
    const own = nodes.filter((n) => !n.name.startsWith(`${WRAPPER_PREFIX}/`));
    const counts: Record<string, number> = {};
    for (const n of own.length > 0 ? own : wrapper) counts[n.provider] = (counts[n.provider] ?? 0) + 1;
    placement = Object.freeze(counts);
    const ms = (list: typeof nodes) => list.reduce((sum, n) => sum + n.ms, 0);
    conversionShare = ms(own) > 0 ? ms(wrapper) / ms(own) : undefined;
    if ((counts[verified.provider] ?? 0) === 0) {
      const ran =
        Object.entries(counts)
          .map(([p, count]) => `${p} (${count} nodes)`)
          .join(', ') || 'no node events';
      throw new PermanentError(`model ${label}: requested ${verified.provider}, but the model ran on ${ran}`, {
        code: 'ExecutionProviderMismatch',
      });
    }
  }

  const timings = { frames: 0, runs: 0, modelMs: 0 };
  let inFlight = Promise.resolve();
  let disposed = false;

  async function runBatch(
    batch: Uint8Array,
    k: number,
    width: number,
    height: number,
    give: boolean,
  ): Promise<Uint8Array> {
    // Runs may be queued on the session back to back, but not behind the first: the profile must
    // hold that run alone, so later ones wait until it is written (or, if the first run failed,
    // the next becomes the first).
    while (firstRun && !placementCheck) await firstRun.catch(() => undefined);
    if (placementCheck) await placementCheck;
    const run = session.run(fused.input, fused.output, batch, [k, height, width, 3], give);
    if (!placementCheck) firstRun = run;
    let out;
    try {
      out = await run;
    } catch (error) {
      if (firstRun === run) firstRun = undefined;
      throw error;
    }
    await (placementCheck ??= checkPlacement());
    const want = [k, height, width, 3];
    if (out.dims.length !== 4 || out.dims.some((d, i) => d !== want[i])) {
      throw new PermanentError(
        `model ${label}: output ${spec.outputName} is [${out.dims.join(',')}] (NHWC after conversion) for input [${want.join(',')}]: a style model must keep the size`,
        {
          code: 'BadStyleModel',
        },
      );
    }
    timings.modelMs += out.ms;
    timings.runs++;
    return out.data;
  }

  async function stylizeAll(
    frames: Uint8Array,
    n: number,
    width: number,
    height: number,
    give: boolean,
  ): Promise<Uint8Array> {
    const frameBytes = width * height * 3;
    const fixedBatch = spec.fixedBatch;
    let result: Uint8Array | undefined;
    for (let start = 0; start < n; start += spec.maxBatch) {
      const k = Math.min(spec.maxBatch, n - start);
      const view = frames.subarray(start * frameBytes, (start + k) * frameBytes);
      let batch = view;
      if (fixedBatch !== undefined && k < fixedBatch) {
        batch = new Uint8Array(fixedBatch * frameBytes);
        batch.set(view);
      }
      // Handed over when it is ours (padded) or the caller's and this run takes every frame.
      const out = await runBatch(batch, fixedBatch ?? k, width, height, batch !== view || (give && k === n));
      timings.frames += k;
      // One run for all the frames: its output is the result, no copy.
      if (k === n && out.length === n * frameBytes) return out;
      result ??= new Uint8Array(n * frameBytes);
      result.set(out.subarray(0, k * frameBytes), start * frameBytes);
    }
    return result ?? new Uint8Array(0);
  }

  return {
    label,
    spec,
    executionProvider: verified.provider,
    get placement() {
      return placement;
    },
    get conversionShare() {
      return conversionShare;
    },
    get timings() {
      return { ...timings };
    },
    get alive() {
      return !disposed && session.alive;
    },
    async stylize(frames, n, width, height, give = false) {
      if (disposed)
        throw new PermanentError(`model ${label}: the frame stylizer is disposed`, { code: 'StylizerDisposed' });
      checkFrames(spec, label, frames, n, width, height);
      const run = stylizeAll(frames, n, width, height, give);
      inFlight = inFlight.then(() =>
        run.then(
          () => undefined,
          () => undefined,
        ),
      );
      return run;
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await inFlight;
      await Promise.all([session.release(), profile.remove()]);
    },
  };
}

function firstLine(cause: unknown): string {
  return (cause instanceof Error ? cause.message.split('\n')[0] : String(cause)) ?? '';
}
