import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { PermanentError, TransientError } from '../core/errors.js';
import { missingTool, spawnTool, trimStderr } from './ffmpeg/tool.js';
import type { FrameTransform, PipelineTimings } from '../ports/video.js';

export type { FrameTransform, PipelineTimings } from '../ports/video.js';

export interface FramePipelineOptions {
  readonly decodeArgs: readonly string[];
  readonly encodeArgs: readonly string[];
  readonly frameBytes: number;
  /** Frames the decoder must deliver, exactly. */
  readonly frames: number;
  readonly batch: number;
  readonly transform?: FrameTransform;
  readonly label: string;
  readonly signal?: AbortSignal;
  readonly onFrames?: (done: number) => void;
  /** Called once, when the decoder has delivered the last of the `frames` and they go to the transform. */
  readonly onLastBatch?: () => void;
}

function watch(
  child: ChildProcess,
  tool: 'ffmpeg',
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString('utf8')).slice(-32_000);
  });
  return new Promise((resolve, reject) => {
    child.once('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT' ? missingTool(tool, e) : e));
    child.once('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

/**
 * decoder (ffmpeg → raw rgb24) → transform in batches → encoder (raw rgb24 → ffmpeg). The stages
 * overlap: the decoder reads ahead up to two batches; the next batch goes to the transform before
 * the one in it returns (a style session queues it, so the model never waits on this loop); the
 * encoder drains while the model runs. Memory stays bounded by a few batches, whatever the length
 * of the video. The decoder must deliver exactly `frames` frames.
 */
export async function runFramePipeline(o: FramePipelineOptions): Promise<PipelineTimings> {
  const decoder = spawnTool('ffmpeg', o.decodeArgs, ['ignore', 'pipe', 'pipe']);
  const encoder = spawnTool('ffmpeg', o.encodeArgs, ['pipe', 'ignore', 'pipe']);
  const decoded = watch(decoder, 'ffmpeg');
  const encoded = watch(encoder, 'ffmpeg');
  // Destroying the decoder's stdout matters: with the read-ahead full it is paused, and its
  // 'close' would never come, leaving the shard hanging after an error or an abort.
  const kill = () => {
    decoder.kill('SIGKILL');
    encoder.kill('SIGKILL');
    decoder.stdout?.destroy();
  };
  o.signal?.addEventListener('abort', kill, { once: true });
  const timings: PipelineTimings = { modelMs: 0, decodeWaitMs: 0, encodeWaitMs: 0 };
  // A transform still running when the loop fails: settled before the error leaves, never unhandled.
  let inTransform: Promise<unknown> | undefined;
  try {
    const batchBytes = o.batch * o.frameBytes;
    let decodedFrames = 0;
    let done = 0;
    let encoderBroken: Error | undefined;
    encoder.stdin?.on('error', (e) => {
      encoderBroken = e;
    });
    let encoderExited = false;
    void encoded.then(
      () => {
        encoderExited = true;
      },
      () => {
        encoderExited = true;
      },
    );
    const encodeFailure = async () => {
      const e = await encoded;
      return new TransientError(
        `${o.label}: ffmpeg could not encode the segment: ${trimStderr(e.stderr) || encoderBroken?.message || `exit ${e.code ?? e.signal}`}`,
      );
    };
    /** Hands a transformed batch to the encoder, waiting while its pipe is full. */
    const encode = async (out: Uint8Array, n: number) => {
      if (out.length !== n * o.frameBytes)
        throw new PermanentError(
          `${o.label}: the model returned ${out.length} bytes for ${n} frames of ${o.frameBytes}`,
        );
      o.signal?.throwIfAborted();
      if (encoderBroken || encoderExited) throw await encodeFailure();
      if (!encoder.stdin?.write(out) && (encoder.stdin?.writableLength ?? 0) > batchBytes) {
        const drainStart = performance.now();
        await Promise.race([once(encoder.stdin!, 'drain').catch(() => undefined), encoded]);
        timings.encodeWaitMs += performance.now() - drainStart;
      }
      done += n;
      o.onFrames?.(done);
    };
    /** Starts a batch's transform; its time counts from its start, or from the previous one's end. */
    let modelFreeAt = 0;
    const transform = (data: Uint8Array, n: number): Promise<{ out: Uint8Array; n: number }> => {
      const queuedAt = performance.now();
      const run = (o.transform ? o.transform(data, n) : Promise.resolve(data)).then((out) => {
        const end = performance.now();
        timings.modelMs += end - Math.max(queuedAt, modelFreeAt);
        modelFreeAt = end;
        return { out, n };
      });
      inTransform = run.catch(() => undefined);
      return run;
    };
    const batches = readBatches(decoder, o.frameBytes, o.batch, 2);
    let previous: Promise<{ out: Uint8Array; n: number }> | undefined;
    for (;;) {
      const waitStart = performance.now();
      const batch = await batches.next();
      timings.decodeWaitMs += performance.now() - waitStart;
      o.signal?.throwIfAborted(); // woken by the kill: no more model runs for an abandoned range
      if (batch.n === 0) break;
      decodedFrames += batch.n;
      if (decodedFrames > o.frames)
        throw new PermanentError(`${o.label}: the decoder delivered more than the ${o.frames} frames planned`);
      if (decodedFrames === o.frames) o.onLastBatch?.();
      const current = transform(batch.data, batch.n);
      if (previous) {
        const { out, n } = await previous;
        await encode(out, n);
      }
      previous = current;
    }
    if (previous) {
      const { out, n } = await previous;
      await encode(out, n);
    }
    encoder.stdin?.end();
    const [d, e] = await Promise.all([decoded, encoded]);
    o.signal?.throwIfAborted();
    if (d.code !== 0)
      throw new PermanentError(
        `${o.label}: ffmpeg could not decode the frames: ${trimStderr(d.stderr) || `exit ${d.code ?? d.signal}`}`,
        { code: 'DecodeFailed' },
      );
    if (e.code !== 0 || encoderBroken) throw await encodeFailure();
    if (done !== o.frames)
      throw new PermanentError(
        `${o.label}: decoded ${done} frames, expected ${o.frames} (truncated or corrupt video?)`,
        { code: 'FrameCountMismatch' },
      );
    return timings;
  } catch (error) {
    kill();
    await Promise.allSettled([decoded, encoded, inTransform]);
    throw error;
  } finally {
    o.signal?.removeEventListener('abort', kill);
  }
}

/**
 * The decoder's stdout cut into batches of `batch` whole frames (the last may hold fewer), read
 * ahead up to `readAhead` batches. Each batch is assembled straight into a buffer of its own, so
 * it is copied once from the pipe and can be handed to another thread without a second copy.
 * Bytes of a frame the stream ends in the middle of are dropped (the caller counts frames).
 */
function readBatches(decoder: ChildProcess, frameBytes: number, batch: number, readAhead: number) {
  const stdout = decoder.stdout!;
  const batchBytes = frameBytes * batch;
  const ready: Buffer[] = [];
  let filling: Buffer | undefined;
  let filled = 0;
  let ended = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  stdout.on('data', (chunk: Buffer) => {
    let offset = 0;
    while (offset < chunk.length) {
      filling ??= Buffer.allocUnsafeSlow(batchBytes);
      const take = Math.min(batchBytes - filled, chunk.length - offset);
      chunk.copy(filling, filled, offset, offset + take);
      filled += take;
      offset += take;
      if (filled === batchBytes) {
        ready.push(filling);
        filling = undefined;
        filled = 0;
      }
    }
    if (ready.length >= readAhead) stdout.pause();
    notify();
  });
  const end = () => {
    if (ended) return;
    const whole = Math.floor(filled / frameBytes) * frameBytes;
    if (filling && whole > 0) ready.push(filling.subarray(0, whole));
    filling = undefined;
    ended = true;
    notify();
  };
  stdout.once('end', end);
  stdout.once('error', end);
  // A destroyed stream (the pipeline killed on an abort or an error) emits only 'close': a loop
  // waiting for the next batch must wake then too, or it waits forever.
  stdout.once('close', end);
  return {
    /** The next batch, or n = 0 at the end of the stream. */
    async next(): Promise<{ data: Uint8Array; n: number }> {
      while (ready.length === 0 && !ended) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      const data = ready.shift();
      if (ready.length < readAhead) stdout.resume();
      return data ? { data, n: data.length / frameBytes } : { data: new Uint8Array(0), n: 0 };
    },
  };
}
