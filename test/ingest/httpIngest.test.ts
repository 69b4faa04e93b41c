import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { partitionForKey } from '../../src/adapters/local/partitionHash.js';
import { openSqliteEventLog } from '../../src/adapters/local/sqliteEventLog.js';
import { startHttpIngest, type HttpIngest } from '../../src/ingest/httpIngest.js';
import type { EventLog } from '../../src/ports/eventLog.js';
import { createRecordingLogger } from '../../src/hosting/logger.js';

const MAX = 16 * 1024;
const reading = (deviceId: string, value: number) =>
  JSON.stringify({
    schema: 'tessera.reading/v1',
    id: `${deviceId}-${value}`,
    deviceId,
    tag: 't',
    ts: '2024-01-01T00:00:00Z',
    value,
  });

describe('startHttpIngest', () => {
  let dir: string;
  let log: EventLog;
  let ingest: HttpIngest;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tessera-ingest-'));
    log = openSqliteEventLog({ file: join(dir, 'events.sqlite'), name: 'readings', partitions: 4 });
    ingest = await startHttpIngest({
      log,
      host: '127.0.0.1',
      port: 0,
      maxBodyBytes: MAX,
      logger: createRecordingLogger(),
    });
  });
  afterEach(async () => {
    await ingest.close();
    await log.close();
    await rm(dir, { recursive: true, force: true });
  });

  const post = (body: string | Uint8Array, path = '/events') =>
    fetch(`${ingest.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

  it('listens on loopback and answers health checks', async () => {
    expect(ingest.url).toBe(`http://127.0.0.1:${ingest.port}`);
    expect(ingest.port).toBeGreaterThan(0);
    const res = await fetch(`${ingest.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('appends a reading as it is, keyed by its deviceId, and answers 202 with its position', async () => {
    const body = `  ${reading('dev-1', 1)}\n`;
    const res = await post(body);
    expect(res.status).toBe(202);
    const position = (await res.json()) as { partition: number; sequenceNumber: number };
    expect(position).toEqual({ partition: partitionForKey('dev-1', 4), sequenceNumber: 0 });
    const [record] = await log.read(position.partition, 0, 10);
    expect(record).toMatchObject({ sequenceNumber: 0, partitionKey: 'dev-1', body });
  });

  it('keys a batch by its first reading, and appends a body that does not parse without a key', async () => {
    const batch = `[${reading('dev-2', 1)},${reading('dev-9', 2)}]`;
    const wrapped = JSON.stringify({ readings: [JSON.parse(reading('dev-3', 1))] });
    const partitionOf = async (body: string) => ((await (await post(body)).json()) as { partition: number }).partition;
    expect(await partitionOf(batch)).toBe(partitionForKey('dev-2', 4));
    expect(await partitionOf(wrapped)).toBe(partitionForKey('dev-3', 4));
    const res = await post('{"deviceId": oops');
    expect(res.status).toBe(202);
    const { partition, sequenceNumber } = (await res.json()) as { partition: number; sequenceNumber: number };
    expect(await log.read(partition, sequenceNumber, 1)).toMatchObject([
      { partitionKey: undefined, body: '{"deviceId": oops' },
    ]);
  });

  it("lands one device's events in its partition in the order they were posted, also when posted at once", async () => {
    const sequential = [];
    for (let n = 0; n < 10; n++)
      sequential.push(((await (await post(reading('dev-4', n))).json()) as { sequenceNumber: number }).sequenceNumber);
    expect(sequential).toEqual(Array.from({ length: 10 }, (_, n) => n));
    const concurrent = await Promise.all(
      Array.from(
        { length: 40 },
        async (_, n) => (await post(reading('dev-4', 10 + n))).json() as Promise<{ sequenceNumber: number }>,
      ),
    );
    expect(concurrent.map((r) => r.sequenceNumber).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 40 }, (_, n) => 10 + n),
    );
    const records = await log.read(partitionForKey('dev-4', 4), 0, 100);
    expect(records.map((r) => (JSON.parse(r.body) as { value: number }).value).slice(0, 10)).toEqual(sequential);
    expect(records).toHaveLength(50);
  });

  it('answers 413 to a body over the cap, declared or streamed, and appends nothing', async () => {
    const exact = `"${'x'.repeat(MAX - 2)}"`;
    expect((await post(exact)).status).toBe(202);
    const declared = await post(`"${'x'.repeat(MAX - 1)}"`);
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as { error: string }).error).toContain(`${MAX} bytes`);

    const streamed = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${ingest.url}/events`,
        { method: 'POST', headers: { 'transfer-encoding': 'chunked' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
          req.destroy();
        },
      );
      req.on('error', reject);
      req.write('x'.repeat(MAX / 2));
      req.write('x'.repeat(MAX / 2));
      req.write('x'.repeat(10)); // past the cap: the server answers without waiting for the end
    });
    expect(streamed).toBe(413);
    const lasts = await Promise.all([0, 1, 2, 3].map((p) => log.lastSequenceNumber(p)));
    expect(lasts.reduce((n, last) => n + last + 1, 0)).toBe(1);
  });

  it('answers 400 to a body that is not UTF-8', async () => {
    expect((await post(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]))).status).toBe(400);
  });

  it('answers 404 for other paths and 405 for other methods', async () => {
    expect((await fetch(`${ingest.url}/nope`)).status).toBe(404);
    expect((await post('{}', '/events/extra')).status).toBe(404);
    const get = await fetch(`${ingest.url}/events`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    const put = await fetch(`${ingest.url}/events`, { method: 'PUT', body: '{}' });
    expect(put.status).toBe(405);
    const health = await post('{}', '/healthz');
    expect(health.status).toBe(405);
    expect(health.headers.get('allow')).toBe('GET, HEAD');
  });

  it('answers 503 when the log cannot store the event, and stops listening on close', async () => {
    await log.close();
    expect((await post(reading('dev-5', 1))).status).toBe(503);
    await ingest.close();
    await expect(fetch(`${ingest.url}/healthz`)).rejects.toThrow();
    ingest = await startHttpIngest({ log, logger: createRecordingLogger() }); // for afterEach
    expect(ingest.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});
