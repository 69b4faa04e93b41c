/**
 * The worker thread of a style session (styleSession.ts): owns one onnxruntime session and runs it
 * on request, so a run never blocks the main thread's event loop. Messages are answered in order:
 * - on start, the session is created from `workerData` and the thread answers `ready` or `failed`;
 * - `run`: uint8 frames in, the output tensor's bytes out (both transferred, not copied);
 * - `endProfiling` writes the profile started by `enableProfiling`; `release` frees the session.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import type { SessionReply, SessionRequest, SessionWorkerData } from './styleSessionProtocol.js';

if (!parentPort) throw new Error('styleSessionWorker runs in a worker thread');
const port = parentPort;
const { bytes, options } = workerData as SessionWorkerData;

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

let session: ort.InferenceSession | undefined;
try {
  session = await ort.InferenceSession.create(bytes, options);
  port.postMessage({
    type: 'ready',
    inputNames: [...session.inputNames],
    outputNames: [...session.outputNames],
  } satisfies SessionReply);
} catch (error) {
  port.postMessage({ type: 'failed', message: reason(error) } satisfies SessionReply);
  port.close();
}

if (session) {
  const open = session;
  port.on('message', (request: SessionRequest) => {
    void handle(open, request).then(
      (reply) => port.postMessage(reply.reply, reply.transfer),
      (error: unknown) =>
        port.postMessage({ type: 'error', id: request.id, message: reason(error) } satisfies SessionReply),
    );
  });
}

async function handle(
  session: ort.InferenceSession,
  request: SessionRequest,
): Promise<{ reply: SessionReply; transfer: ArrayBuffer[] }> {
  switch (request.type) {
    case 'run': {
      const started = performance.now();
      const result = await session.run({ [request.input]: new ort.Tensor('uint8', request.data, request.dims) }, [
        request.output,
      ]);
      const ms = performance.now() - started;
      const tensor = result[request.output];
      if (!tensor) throw new Error(`the session returned no ${request.output}`);
      const data = tensor.data as Uint8Array;
      // The binding copies outputs into an ArrayBuffer of their own: hand it over, never copy it twice.
      const owned = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : data.slice();
      return {
        reply: { type: 'result', id: request.id, data: owned, dims: [...tensor.dims], ms },
        transfer: [owned.buffer as ArrayBuffer],
      };
    }
    case 'endProfiling':
      session.endProfiling();
      return { reply: { type: 'done', id: request.id }, transfer: [] };
    case 'release':
      await session.release();
      port.close();
      return { reply: { type: 'done', id: request.id }, transfer: [] };
  }
}
