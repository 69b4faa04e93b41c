import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { PermanentError, TransientError } from '../core/errors.js';
import { missingTool, spawnTool, trimStderr } from './ffmpeg/tool.js';

/** Turns a batch of `n` rgb24 frames into as many rgb24 frames (the style model, or nothing). */
export type FrameTransform = (frames: Uint8Array, n: number) => Promise<Uint8Array>;

export interface PipelineTimings {
  /** Time the model spent on frames. */
  modelMs: number;
  /** Time spent waiting for the decoder to deliver frames. */
  decodeWaitMs: number;
  /** Time spent waiting for the encoder to take frames. */
  encodeWaitMs: number;
}

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
}

function watch(child: ChildProcess, tool: 'ffmpeg'): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => { stderr = (stderr + c.toString('utf8')).slice(-32_000); });
  return new Promise((resolve, reject) => {
    child.once('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT' ? missingTool(tool, e) : e));
    child.once('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

/**
 * decoder (ffmpeg → raw rgb24) → transform in batches → encoder (raw rgb24 → ffmpeg). The three
 * stages overlap: the decoder reads ahead up to two batches while the model runs, and the encoder
 * drains while the next batch is transformed. Memory stays bounded by a few batches, whatever the
 * length of the video. The decoder must deliver exactly `frames` frames.
 */
export async function runFramePipeline(o: FramePipelineOptions): Promise<PipelineTimings> {
  const decoder = spawnTool('ffmpeg', o.decodeArgs, ['ignore', 'pipe', 'pipe']);
  const encoder = spawnTool('ffmpeg', o.encodeArgs, ['pipe', 'ignore', 'pipe']);
  const decoded = watch(decoder, 'ffmpeg');
  const encoded = watch(encoder, 'ffmpeg');
  // Destroying the decoder's stdout matters: with the read-ahead full it is paused, and its
  // 'close' would never come, leaving the shard hanging after an error or an abort.
  const kill = () => { decoder.kill('SIGKILL'); encoder.kill('SIGKILL'); decoder.stdout?.destroy(); };
  o.signal?.addEventListener('abort', kill, { once: true });
  const timings: PipelineTimings = { modelMs: 0, decodeWaitMs: 0, encodeWaitMs: 0 };
  try {
    const batchBytes = o.batch * o.frameBytes;
    let done = 0;
    let encoderBroken: Error | undefined;
    encoder.stdin?.on('error', (e) => { encoderBroken = e; });
    let encoderExited = false;
    void encoded.then(() => { encoderExited = true; }, () => { encoderExited = true; });
    const encodeFailure = async () => {
      const e = await encoded;
      return new TransientError(`${o.label}: ffmpeg could not encode the segment: ${trimStderr(e.stderr) || encoderBroken?.message || `exit ${e.code ?? e.signal}`}`);
    };
    const frames = readFrames(decoder, o.frameBytes, o.batch * 2);
    for (;;) {
      const waitStart = performance.now();
      const batch = await frames.take(o.batch);
      timings.decodeWaitMs += performance.now() - waitStart;
      if (batch.n === 0) break;
      if (done + batch.n > o.frames) throw new PermanentError(`${o.label}: the decoder delivered more than the ${o.frames} frames planned`);
      const modelStart = performance.now();
      const out = o.transform ? await o.transform(batch.data, batch.n) : batch.data;
      timings.modelMs += performance.now() - modelStart;
      if (out.length !== batch.n * o.frameBytes) throw new PermanentError(`${o.label}: the model returned ${out.length} bytes for ${batch.n} frames of ${o.frameBytes}`);
      o.signal?.throwIfAborted();
      if (encoderBroken || encoderExited) throw await encodeFailure();
      if (!encoder.stdin?.write(out) && (encoder.stdin?.writableLength ?? 0) > batchBytes) {
        const drainStart = performance.now();
        await Promise.race([once(encoder.stdin!, 'drain').catch(() => undefined), encoded]);
        timings.encodeWaitMs += performance.now() - drainStart;
      }
      done += batch.n;
      o.onFrames?.(done);
    }
    encoder.stdin?.end();
    const [d, e] = await Promise.all([decoded, encoded]);
    o.signal?.throwIfAborted();
    if (d.code !== 0) throw new PermanentError(`${o.label}: ffmpeg could not decode the frames: ${trimStderr(d.stderr) || `exit ${d.code ?? d.signal}`}`, { code: 'DecodeFailed' });
    if (e.code !== 0 || encoderBroken) throw await encodeFailure();
    if (done !== o.frames) throw new PermanentError(`${o.label}: decoded ${done} frames, expected ${o.frames} (truncated or corrupt video?)`, { code: 'FrameCountMismatch' });
    return timings;
  } catch (error) {
    kill();
    await Promise.allSettled([decoded, encoded]);
    throw error;
  } finally {
    o.signal?.removeEventListener('abort', kill);
  }
}

/** Whole frames from a decoder's stdout, read ahead up to `readAhead` frames. */
function readFrames(decoder: ChildProcess, frameBytes: number, readAhead: number) {
  const stdout = decoder.stdout!;
  const ready: Buffer[] = [];
  let partial: Buffer[] = [];
  let partialBytes = 0;
  let ended = false;
  let wake: (() => void) | undefined;
  const notify = () => { wake?.(); wake = undefined; };
  stdout.on('data', (chunk: Buffer) => {
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(frameBytes - partialBytes, chunk.length - offset);
      partial.push(chunk.subarray(offset, offset + take));
      partialBytes += take;
      offset += take;
      if (partialBytes === frameBytes) {
        ready.push(partial.length === 1 ? partial[0]! : Buffer.concat(partial));
        partial = [];
        partialBytes = 0;
      }
    }
    if (ready.length >= readAhead) stdout.pause();
    notify();
  });
  stdout.once('end', () => { ended = true; notify(); });
  stdout.once('error', () => { ended = true; notify(); });
  return {
    async take(max: number): Promise<{ data: Uint8Array; n: number }> {
      while (ready.length < max && !ended) {
        await new Promise<void>((resolve) => { wake = resolve; });
      }
      const n = Math.min(max, ready.length);
      const data = n === 1 ? ready[0]! : Buffer.concat(ready.slice(0, n));
      ready.splice(0, n);
      if (ready.length < readAhead) stdout.resume();
      return { data: n === 0 ? new Uint8Array(0) : data, n };
    },
  };
}
