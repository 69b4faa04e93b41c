import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ensureError, InputError } from '../core/errors.js';
import type { EventLog } from '../ports/eventLog.js';
import type { Logger } from '../ports/logger.js';
import { readCappedBody } from './readCappedBody.js';
import { readingPartitionKey } from './readingEvent.js';

export interface HttpIngestOptions {
  readonly log: EventLog;
  /** Default 127.0.0.1: loopback only. */
  readonly host?: string;
  /** Default 0: an ephemeral port (see the returned `port`). */
  readonly port?: number;
  /** Hard cap on a request body; above it the answer is 413 and the rest is not read. Default 4 MiB. */
  readonly maxBodyBytes?: number;
  readonly logger: Logger;
}

export interface HttpIngest {
  /** `http://host:port`, without a trailing slash. */
  readonly url: string;
  readonly port: number;
  /** Stops listening and closes open connections; the event log stays open (the caller owns it). */
  close(): Promise<void>;
}

export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

/**
 * The local runtime's HTTP producer endpoint, on node:http: its request handler, which
 * `tessera up`'s server mounts too.
 * - `POST /events`: the body (one reading, or a batch of them, as JSON) is appended as it is, one event per
 *   request, keyed by its (first) reading's `deviceId`; a body that does not parse goes in keyless and the
 *   consumer dead-letters it. Answers 202 `{ partition, sequenceNumber }`; 413 over `maxBodyBytes`;
 *   400 for a body that is not UTF-8 (the log stores text); 503 when the append fails.
 * - `GET /healthz`: 200. Other paths: 404; other methods: 405 with `Allow`.
 */
export function ingestRequestHandler(
  options: Pick<HttpIngestOptions, 'log' | 'logger' | 'maxBodyBytes'>,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { log, logger } = options;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1) {
    throw new InputError('maxBodyBytes', `must be a positive integer, got ${maxBodyBytes}`);
  }
  const decoder = new TextDecoder('utf-8', { fatal: true });

  const postEvent = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const read = await readCappedBody(req, maxBodyBytes);
    if (!read.ok) {
      if (read.reason === 'aborted') return;
      reply(res, 413, { error: `body over ${maxBodyBytes} bytes` }, { connection: 'close' });
      return;
    }
    let body: string;
    try {
      body = decoder.decode(read.body);
    } catch {
      reply(res, 400, { error: 'body is not UTF-8 text' });
      return;
    }
    const partitionKey = readingPartitionKey(body);
    const [record] = await log.append(partitionKey, [{ body }]);
    if (record === undefined) throw new Error('the event log appended nothing');
    logger.debug('event ingested', {
      partition: record.partition,
      sequenceNumber: record.sequenceNumber,
      bytes: read.body.length,
    });
    reply(res, 202, { partition: record.partition, sequenceNumber: record.sequenceNumber });
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://ingest').pathname;
    if (path === '/events') {
      if (req.method === 'POST') return postEvent(req, res);
      return reply(res, 405, { error: 'use POST' }, { allow: 'POST', connection: 'close' });
    }
    if (path === '/healthz') {
      if (req.method === 'GET' || req.method === 'HEAD') return reply(res, 200, { status: 'ok' });
      return reply(res, 405, { error: 'use GET' }, { allow: 'GET, HEAD', connection: 'close' });
    }
    reply(res, 404, { error: `no route ${path}` }, { connection: 'close' });
  };
  return route;
}

/** The endpoint on a server of its own (see `ingestRequestHandler` for the routes). */
export async function startHttpIngest(options: HttpIngestOptions): Promise<HttpIngest> {
  const { log, logger } = options;
  const host = options.host ?? '127.0.0.1';
  const route = ingestRequestHandler(options);
  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      const e = ensureError(error);
      logger.error('http ingest failed', { method: req.method, url: req.url, error: e.message });
      if (!res.headersSent) reply(res, 503, { error: 'the event could not be stored; retry' });
      else res.destroy();
    });
  });
  server.requestTimeout = 60_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info('http ingest listening', { url, log: log.name });

  return {
    url,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function reply(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
