/**
 * An onnxruntime session on a worker thread of its own (styleSessionWorker.ts). onnxruntime-node
 * runs a session on the calling thread, so on the main thread a batch of style frames would block
 * the event loop for its whole run (about a second per 720x720 frame on a 2-core CPU): no pipe I/O
 * to ffmpeg, no lock renewal, no timers. Here the run happens off the main thread; frames travel
 * as transferred ArrayBuffers (the input is copied once, so the caller keeps its array, unless the
 * caller gives it up).
 *
 * The thread holds the process open only while a request is in flight. Compiled (dist/), the thread
 * runs styleSessionWorker.js; from the TypeScript sources it registers tsx, a development
 * dependency, itself, since a worker thread does not inherit loaders; unless
 * TESSERA_COMPILED_CHILDREN is set (by the test suite, which builds dist/ from these sources before
 * it runs): then it runs that build's styleSessionWorker.js, which starts in a fraction of the time.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { InferenceSession } from 'onnxruntime-node';
import type { SessionReply, SessionRequest, SessionWorkerData } from './styleSessionProtocol.js';

export interface SessionOutput {
  readonly data: Uint8Array;
  readonly dims: readonly number[];
  /** Time spent in onnxruntime's run, on the worker thread. */
  readonly ms: number;
}

export interface StyleSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** False once the thread has exited or failed (or was released): every run then rejects. */
  readonly alive: boolean;
  /**
   * Runs uint8 `data` of shape `dims` as `input`, returning `output`'s bytes. Runs go one after
   * another. `data` is copied to the thread, unless `give` is set and it spans its whole buffer:
   * then the buffer itself moves there, and the caller's array is left empty.
   */
  run(input: string, output: string, data: Uint8Array, dims: readonly number[], give?: boolean): Promise<SessionOutput>;
  /** Writes the profile that `enableProfiling` started. */
  endProfiling(): Promise<void>;
  /** Frees the session and ends the thread. */
  release(): Promise<void>;
}

type Pending = { resolve: (reply: SessionReply) => void; reject: (error: Error) => void };

/** Creates the session; onnxruntime's reason for refusing the bytes or options is the rejection's message. */
export async function openStyleSession(
  bytes: Uint8Array,
  options: InferenceSession.SessionOptions,
): Promise<StyleSession> {
  const workerData: SessionWorkerData = { bytes, options };
  const worker = startWorker(workerData);
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let broken: Error | undefined;
  const fail = (error: Error) => {
    broken ??= error;
    for (const p of pending.values()) p.reject(broken);
    pending.clear();
  };
  const ready = new Promise<{ inputNames: string[]; outputNames: string[] }>((resolve, reject) => {
    worker.on('message', (reply: SessionReply) => {
      if (reply.type === 'ready') return resolve(reply);
      if (reply.type === 'failed') return reject(new Error(reply.message));
      const p = pending.get(reply.id);
      if (!p) return;
      pending.delete(reply.id);
      if (pending.size === 0) worker.unref();
      p.resolve(reply);
    });
    worker.on('error', (error) => {
      reject(error);
      fail(error);
    });
    worker.on('exit', (code) => {
      const error = new Error(`the style session's thread exited (code ${code})`);
      reject(error);
      fail(error);
    });
  });
  let names;
  try {
    names = await ready;
  } catch (error) {
    await worker.terminate();
    throw error;
  }
  worker.unref();

  function request(message: SessionRequest, transfer: ArrayBuffer[] = []): Promise<SessionReply> {
    if (broken) return Promise.reject(broken);
    return new Promise((resolve, reject) => {
      if (pending.size === 0) worker.ref();
      pending.set(message.id, { resolve, reject });
      worker.postMessage(message, transfer);
    }).then((reply) => {
      const r = reply as SessionReply;
      if (r.type === 'error') throw new Error(r.message);
      return r;
    });
  }

  return {
    inputNames: names.inputNames,
    outputNames: names.outputNames,
    get alive() {
      return broken === undefined;
    },
    async run(input, output, data, dims, give = false) {
      const whole =
        data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer;
      const sent = give && whole ? data : new Uint8Array(data); // a copy leaves the caller's array usable
      const reply = await request({ type: 'run', id: nextId++, input, output, data: sent, dims }, [
        sent.buffer as ArrayBuffer,
      ]);
      if (reply.type !== 'result') throw new Error(`unexpected reply ${reply.type} to a run`);
      return { data: reply.data, dims: reply.dims, ms: reply.ms };
    },
    async endProfiling() {
      await request({ type: 'endProfiling', id: nextId++ });
    },
    async release() {
      if (!broken) await request({ type: 'release', id: nextId++ }).catch(() => undefined);
      await worker.terminate();
    },
  };
}

function startWorker(workerData: SessionWorkerData): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./styleSessionWorker.js', here), { workerData });
  if (process.env.TESSERA_COMPILED_CHILDREN === '1') {
    // Only from the sources (src/ to dist/src/). Named apart from `new URL(...)`, so the Functions package's
    // module graph does not take it for a worker script of the compiled file, which has none at this path.
    const compiled = '../../../dist/src/video/style/styleSessionWorker.js';
    return new Worker(new URL(compiled, here), { workerData });
  }
  // Sources run as TypeScript: the thread registers tsx's loader, then imports the entry.
  const entry = new URL('./styleSessionWorker.ts', here).href;
  const code = `import(${JSON.stringify(tsxApi())}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(code, { eval: true, workerData });
}

let tsxApiUrl: string | undefined;

/** tsx's ESM API (`tsx/esm/api`, import condition), resolved through tsx's own exports map. */
function tsxApi(): string {
  if (tsxApiUrl) return tsxApiUrl;
  const manifest = createRequire(import.meta.url).resolve('tsx/package.json');
  const exports = (
    JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, { import?: { default?: string } }> }
  ).exports;
  const target = exports['./esm/api']?.import?.default;
  if (!target) throw new Error(`tsx at ${path.dirname(manifest)} exports no ./esm/api for import`);
  tsxApiUrl = pathToFileURL(path.join(path.dirname(manifest), target)).href;
  return tsxApiUrl;
}
