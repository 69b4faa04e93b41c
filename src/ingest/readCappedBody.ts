import type { IncomingMessage } from 'node:http';

export type CappedBody =
  { readonly ok: true; readonly body: Buffer } | { readonly ok: false; readonly reason: 'too large' | 'aborted' };

/**
 * Reads a request body of at most `maxBytes`. A larger declared Content-Length is refused before a
 * byte is read; a body that grows past the cap stops being read there (the stream is paused, and
 * what was read is dropped).
 */
export function readCappedBody(req: IncomingMessage, maxBytes: number): Promise<CappedBody> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.resolve({ ok: false, reason: 'too large' });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: CappedBody): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onFail);
      req.off('aborted', onFail);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        req.pause();
        chunks.length = 0;
        finish({ ok: false, reason: 'too large' });
      } else chunks.push(chunk);
    };
    const onEnd = (): void => finish({ ok: true, body: Buffer.concat(chunks, size) });
    const onFail = (): void => finish({ ok: false, reason: 'aborted' });
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onFail);
    req.on('aborted', onFail);
  });
}
