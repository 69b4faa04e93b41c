import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { responseOf } from '../../src/hosting/api/inProcessFetch.js';

describe('responseOf: a streamed API response as a fetch Response', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-response-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('hands on every byte of a file read in 1 MiB chunks, with the status and content type', async () => {
    const bytes = Buffer.alloc(5 * (1 << 20) + 123);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) & 0xff;
    const file = join(dir, 'scores.csv');
    writeFileSync(file, bytes);
    const response = responseOf({
      status: 200,
      contentType: 'text/csv',
      stream: createReadStream(file, { highWaterMark: 1 << 20 }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv');
    expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('a stream that fails midway fails the body with its error, not a short read', async () => {
    const source = new PassThrough();
    const response = responseOf({ status: 200, contentType: 'text/csv', stream: source });
    source.write(Buffer.from('device,tag\n'));
    setImmediate(() => source.destroy(new Error('disk read failed')));
    await expect(response.text()).rejects.toThrow('disk read failed');
  });

  it('cancelling the body destroys the stream (its file is closed)', async () => {
    const source = Readable.from(
      (function* () {
        for (;;) yield Buffer.alloc(65_536);
      })(),
    );
    const response = responseOf({ status: 200, contentType: 'application/octet-stream', stream: source });
    const reader = response.body!.getReader();
    await reader.read();
    await reader.cancel(new Error('client went away'));
    expect(source.destroyed).toBe(true);
  });
});
