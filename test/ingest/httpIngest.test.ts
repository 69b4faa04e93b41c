import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { partitionForKey } from '../../src/adapters/local/partitionHash.js';
import { openSqliteEventLog } from '../../src/adapters/local/sqliteEventLog.js';
import { DEFAULT_MAX_BYTES } from '../../src/core/stream/readingSchema.js';
import { startHttpIngest, type HttpIngest, type HttpIngestOptions } from '../../src/ingest/httpIngest.js';
import { isLoopback } from '../../src/ingest/requestGuards.js';
import type { EventLog } from '../../src/ports/eventLog.js';
import { createRecordingLogger } from '../../src/hosting/logger.js';

const MAX = 16 * 1024;
const NOW = Date.parse('2024-01-01T01:00:00Z');
const readingOf = (deviceId: string, value: number, extra: Record<string, unknown> = {}) => ({
  schema: 'tessera.reading/v1',
  id: `${deviceId}-${value}`,
  deviceId,
  tag: 't',
  ts: '2024-01-01T00:00:00Z',
  value,
  ...extra,
});
const reading = (deviceId: string, value: number) => JSON.stringify(readingOf(deviceId, value));
const batchOf = (...readings: unknown[]) => JSON.stringify({ schema: 'tessera.reading/v1', readings });

/** Every event in the log's 4 partitions. */
async function stored(log: EventLog): Promise<number> {
  const lasts = await Promise.all([0, 1, 2, 3].map((p) => log.lastSequenceNumber(p)));
  return lasts.reduce((n, last) => n + last + 1, 0);
}

describe('startHttpIngest', () => {
  let dir: string;
  let log: EventLog;
  let ingest: HttpIngest;
  const options = (overrides: Partial<HttpIngestOptions> = {}): HttpIngestOptions => ({
    log,
    host: '127.0.0.1',
    port: 0,
    limits: { maxBytes: MAX },
    now: () => NOW,
    logger: createRecordingLogger(),
    ...overrides,
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tessera-ingest-'));
    log = openSqliteEventLog({ file: join(dir, 'events.sqlite'), name: 'readings', partitions: 4 });
    ingest = await startHttpIngest(options());
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

  it('keys a batch by its first reading', async () => {
    const partitionOf = async (body: string) => ((await (await post(body)).json()) as { partition: number }).partition;
    expect(await partitionOf(batchOf(readingOf('dev-2', 1), readingOf('dev-9', 2)))).toBe(partitionForKey('dev-2', 4));
    expect(await partitionOf(batchOf(readingOf('dev-3', 1)))).toBe(partitionForKey('dev-3', 4));
  });

  it('answers 400 with the reason to a body that is not JSON or not a reading, and stores nothing', async () => {
    for (const [body, reason] of [
      ['{"deviceId": oops', 'malformed json'],
      ['[1, 2]', 'not an object'],
      [JSON.stringify({ deviceId: 'd', tag: 't', ts: '2024-01-01T00:00:00Z' }), 'missing field'],
      [JSON.stringify({ ...readingOf('d', 1), value: 'NaN' }), 'non-finite value'],
      [JSON.stringify({ schema: 'tessera.reading/v9', readings: [] }), 'unknown schema version'],
      [reading('d', 1).replace('2024-01-01T00:00:00Z', '2024-01-01T02:00:00Z'), 'timestamp too far in the future'],
    ] as const) {
      const res = await post(body);
      expect(res.status, body).toBe(400);
      const answer = (await res.json()) as { error: string; rejects: { reason: string }[] };
      expect(answer.rejects.map((r) => r.reason)).toEqual([reason]);
    }
    expect(await stored(log)).toBe(0);
  });

  it('answers 400 to a batch with bad readings, naming each by index, and stores none of it', async () => {
    const res = await post(
      batchOf(readingOf('d', 1), { ...readingOf('d', 2), tag: '' }, readingOf('d', 3), {
        ...readingOf('d', 4),
        ts: 'noon',
      }),
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: '2 reading(s) rejected; nothing was stored',
      rejects: [
        { index: 1, reason: 'invalid device or tag', detail: expect.any(String) },
        { index: 3, reason: 'unparseable timestamp', detail: expect.stringContaining('"noon"') },
      ],
    });
    expect(await stored(log)).toBe(0);
  });

  it('refuses history older than the live horizon, saying how to send it; a reading marked backfill is held to its own horizon', async () => {
    const old = readingOf('d', 1, { ts: '2018-08-28T23:00:05Z' });
    const res = await post(JSON.stringify(old));
    expect(res.status).toBe(400);
    const { rejects } = (await res.json()) as { rejects: { reason: string; detail: string }[] };
    expect(rejects[0]).toMatchObject({
      reason: 'timestamp too far in the past',
      detail: expect.stringContaining('"backfill": true'),
    });
    expect((await post(JSON.stringify({ ...old, backfill: true }))).status).toBe(202);
    const ancient = { ...old, ts: '1980-01-01T00:00:00Z', backfill: true };
    expect((await post(JSON.stringify(ancient))).status).toBe(400); // beyond the backfill horizon (20 years) too
    expect((await post(JSON.stringify({ ...old, backfill: 'yes' }))).status).toBe(400);
    expect(await stored(log)).toBe(1);
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
    const exact = reading('dev-6', 1).padEnd(MAX, ' ');
    expect((await post(exact)).status).toBe(202);
    const declared = await post(`${exact} `);
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as { error: string }).error).toBe(`body over the limit of ${MAX} bytes`);

    const streamed = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${ingest.url}/events`,
        { method: 'POST', headers: { 'transfer-encoding': 'chunked', 'content-type': 'application/json' } },
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
    expect(await stored(log)).toBe(1);
  });

  it("by default the body limit is the decoder's (1 MiB): what the consumer would dead-letter for size is refused at the door", async () => {
    await ingest.close();
    ingest = await startHttpIngest(options({ limits: {} }));
    const exact = reading('dev-7', 1).padEnd(DEFAULT_MAX_BYTES, ' ');
    expect((await post(exact)).status).toBe(202);
    const over = await post(`${exact} `);
    expect(over.status).toBe(413);
    expect(((await over.json()) as { error: string }).error).toBe('body over the limit of 1048576 bytes');
    expect(await stored(log)).toBe(1);
  });

  it('answers 415 to a body that is not declared application/json, and stores nothing', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await fetch(`${ingest.url}/events`, {
        method: 'POST',
        headers: { 'content-type': type },
        body: reading('d', 1),
      });
      expect(res.status, type).toBe(415);
      expect(((await res.json()) as { error: string }).error).toContain('application/json');
    }
    const none = await fetch(`${ingest.url}/events`, { method: 'POST', body: new Blob([reading('d', 1)]) });
    expect(none.status).toBe(415);
    const withCharset = await fetch(`${ingest.url}/events`, {
      method: 'POST',
      headers: { 'content-type': 'Application/JSON; charset=utf-8' },
      body: reading('d', 1),
    });
    expect(withCharset.status).toBe(202);
    expect(await stored(log)).toBe(1);
  });

  it("answers 403 to another site's page (any Origin but the endpoint's own), and never sends CORS headers", async () => {
    const from = (origin: string) =>
      fetch(`${ingest.url}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin },
        body: reading('d', 1),
      });
    for (const origin of ['https://evil.example', 'null', `http://evil.example:${ingest.port}`, 'http://127.0.0.1:1']) {
      const res = await from(origin);
      expect(res.status, origin).toBe(403);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    }
    const preflight = await fetch(`${ingest.url}/events`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(405);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(await stored(log)).toBe(0);
    expect((await from(ingest.url)).status).toBe(202);
    expect((await from(`http://localhost:${ingest.port}`)).status).toBe(202);
  });

  it('with a token, every POST must carry it as a bearer token (401 otherwise); health checks need none', async () => {
    await ingest.close();
    ingest = await startHttpIngest(options({ token: 's3cret-token' }));
    const withAuth = (authorization?: string) =>
      fetch(`${ingest.url}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: reading('d', 1),
      });
    for (const auth of [undefined, 'Bearer wrong', 'Basic czNjcmV0LXRva2Vu', 'Bearer s3cret-token-and-more']) {
      const res = await withAuth(auth);
      expect(res.status, auth).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    expect(await stored(log)).toBe(0);
    expect((await withAuth('Bearer s3cret-token')).status).toBe(202);
    expect((await fetch(`${ingest.url}/healthz`)).status).toBe(200);
  });

  it('refuses to listen beyond loopback without a token, naming the setting', async () => {
    await expect(startHttpIngest(options({ host: '0.0.0.0' }))).rejects.toThrow(
      /TESSERA_INGEST_TOKEN.*0\.0\.0\.0, beyond loopback/,
    );
    await expect(startHttpIngest(options({ host: '192.168.1.10', token: '' }))).rejects.toThrow(/TESSERA_INGEST_TOKEN/);
    expect(['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '::', '10.0.0.1', 'example.com', '128.0.0.1'].some(isLoopback)).toBe(false);
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
    ingest = await startHttpIngest({ log, limits: {}, logger: createRecordingLogger() }); // for afterEach
    expect(ingest.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});
