import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ensureError, InputError } from '../core/errors.js';
import { DEFAULT_MAX_BYTES, decodeReadings, type DecodeLimits } from '../core/stream/readingSchema.js';
import type { EventLog } from '../ports/eventLog.js';
import type { Logger } from '../ports/logger.js';
import { readCappedBody } from './readCappedBody.js';
import { isLoopback, ownOrigins, refuseRequest } from './requestGuards.js';

export interface HttpIngestOptions {
  readonly log: EventLog;
  /** Default 127.0.0.1: loopback only. Any other address needs `token`. */
  readonly host?: string;
  /** Default 0: an ephemeral port (see the returned `port`). */
  readonly port?: number;
  /**
   * The consumer's decoding limits: what they reject is refused here with 400 instead of being
   * stored and dead-lettered later, and `maxBytes` (default 1 MiB) is the body limit (413 above it).
   */
  readonly limits: Omit<DecodeLimits, 'nowMs'>;
  /** A bearer token every POST must carry (`Authorization: Bearer …`); required beyond loopback. */
  readonly token?: string;
  /** The clock the time limits are judged by; default Date.now. */
  readonly now?: () => number;
  readonly logger: Logger;
}

export interface HttpIngest {
  /** `http://host:port`, without a trailing slash. */
  readonly url: string;
  readonly port: number;
  /** Stops listening and closes open connections; the event log stays open (the caller owns it). */
  close(): Promise<void>;
}

/**
/**
 * The local runtime's HTTP producer endpoint, on node:http: its request handler, which `tessera
 * up`'s server mounts too.
 * - `POST /events`: the body (one reading, or a batch of them, as `tessera.reading/v1` JSON) is
 *   checked as the consumer will check it and, when every reading passes, appended as it is, one
 *   event per request, keyed by its first reading's `deviceId`: 202 `{ partition, sequenceNumber }`.
 *   Refused, with nothing stored: 403 a foreign `Origin` (one not in `origins()`), 401 a missing or
 *   wrong bearer token (when one is set), 415 a Content-Type other than application/json, 413 a
 *   body over the decoder's limit, 400 a body that is not UTF-8 or not a valid message (`rejects`
 *   lists each bad reading by index with its reason). What needs the stream's state (lateness,
 *   duplicates) is judged later by the aggregator. 503 when the append fails.
 * - `GET /healthz`: 200. Other paths: 404; other methods: 405 with `Allow`. No CORS headers, ever.
 */
export function ingestRequestHandler(
  options: Pick<HttpIngestOptions, 'log' | 'logger' | 'limits' | 'token' | 'now'> & {
    /** The origins that are the serving endpoint itself (known once it listens). */
    readonly origins: () => ReadonlySet<string>;
  },
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { log, logger, limits } = options;
  const token = options.token === '' ? undefined : options.token;
  const maxBodyBytes = limits.maxBytes ?? DEFAULT_MAX_BYTES;
  const now = options.now ?? Date.now;
  const decoder = new TextDecoder('utf-8', { fatal: true });

  const postEvent = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const refused = refuseRequest(req, options.origins(), token);
    if (refused)
      return reply(res, refused.status, { error: refused.error }, { ...refused.headers, connection: 'close' });
    const read = await readCappedBody(req, maxBodyBytes);
    if (!read.ok) {
      if (read.reason === 'aborted') return;
      return reply(res, 413, { error: `body over the limit of ${maxBodyBytes} bytes` }, { connection: 'close' });
    }
    let body: string;
    try {
      body = decoder.decode(read.body);
    } catch {
      return reply(res, 400, { error: 'body is not UTF-8 text' });
    }
    const decoded = decodeReadings(body, { ...limits, nowMs: now() });
    if (decoded.rejects.length > 0) {
      const whole = decoded.rejects[0]!.index === null;
      return reply(res, 400, {
        error: whole
          ? `not a reading message: ${decoded.rejects[0]!.reason}`
          : `${decoded.rejects.length} reading(s) rejected; nothing was stored`,
        rejects: decoded.rejects,
      });
    }
    const first = decoded.readings[0];
    if (first === undefined) return reply(res, 400, { error: 'the batch has no readings', rejects: [] });
    const [record] = await log.append(first.deviceId, [{ body }]);
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
  const token = options.token === '' ? undefined : options.token;
  if (!isLoopback(host) && token === undefined)
    throw new InputError(
      'TESSERA_INGEST_TOKEN',
      `the ingest endpoint would listen on ${host}, beyond loopback, with no bearer token: set one, or listen on 127.0.0.1`,
    );
  let origins: ReadonlySet<string> = new Set();
  const route = ingestRequestHandler({ ...options, origins: () => origins });
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
  origins = ownOrigins(host, port);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info('http ingest listening', { url, log: log.name, token: token !== undefined });

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
