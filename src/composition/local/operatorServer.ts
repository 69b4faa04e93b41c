import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { ensureError } from '../../core/errors.js';
import { handleApiRequest } from '../../hosting/api/apiRoutes.js';
import type { ApiPorts } from '../../hosting/api/apiTypes.js';
import { API_ROOT } from '../../hosting/api/links.js';
import { apiRequestOf, writeApiResponse } from '../../hosting/api/nodeHttpApi.js';
import { dashboardFile } from '../../hosting/dashboardFiles.js';
import type { Logger } from '../../ports/logger.js';
import { tokenMatches } from './apiToken.js';

export interface OperatorServerOptions {
  readonly ports: ApiPorts;
  /** The bearer token every API request must carry (or the dashboard's cookie holding it). */
  readonly token: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Default 127.0.0.1: loopback only. */
  readonly host?: string;
  /** Serves the readings endpoint (`POST /events`, `GET /healthz`). */
  readonly ingest: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  /** Prometheus text for `GET /metrics`. */
  readonly metrics: () => Promise<string>;
  readonly log: Logger;
}

export interface OperatorServer {
  /** `http://host:port`, without a trailing slash. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const COOKIE = 'tessera_token';
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

function cookieToken(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === COOKIE) return value.join('=');
  }
  return undefined;
}

function text(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS, ...headers });
  res.end(body);
}

/**
 * `tessera up`'s one HTTP server, on loopback: the dashboard at `/`, the jobs API at `/api`
 * (bearer token, or the cookie `/login?token=` sets for the dashboard), Prometheus text at
 * `/metrics`, and the readings endpoint at `/events`. A request that authenticates by cookie and
 * changes something must come from this origin (the cookie is SameSite=Strict, and other ports of
 * 127.0.0.1 are the same site).
 */
export async function startOperatorServer(options: OperatorServerOptions): Promise<OperatorServer> {
  const host = options.host ?? '127.0.0.1';
  let origin = '';
  const authorized = (req: IncomingMessage): boolean => {
    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (bearer !== undefined) return tokenMatches(bearer, options.token);
    if (!tokenMatches(cookieToken(req), options.token)) return false;
    return req.method === 'GET' || req.method === 'HEAD' || req.headers.origin === origin;
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (path === API_ROOT || path.startsWith(`${API_ROOT}/`)) {
      const open = path === `${API_ROOT}/openapi.json`;
      if (!open && !authorized(req))
        return writeApiResponse(res, {
          status: 401,
          json: { error: { reason: 'send Authorization: Bearer <the token in $TESSERA_HOME/api.token>' } },
          headers: { 'WWW-Authenticate': 'Bearer realm="tessera"' },
        });
      return writeApiResponse(res, await handleApiRequest(options.ports, apiRequestOf(req, API_ROOT)));
    }
    if (path === '/events' || path === '/healthz')
      return options.ingest(req, res).catch((error: unknown) => {
        options.log.error('http ingest failed', { method: req.method, error: ensureError(error).message });
        if (!res.headersSent) text(res, 503, 'the event could not be stored; retry\n');
        else res.destroy();
      });
    if (path === '/metrics')
      return text(res, 200, await options.metrics(), { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    if (path === '/login') {
      if (!tokenMatches(url.searchParams.get('token') ?? undefined, options.token))
        return text(res, 401, 'not a valid token: open the dashboard link "tessera up" printed\n');
      res.writeHead(303, {
        location: '/',
        'set-cookie': `${COOKIE}=${options.token}; HttpOnly; SameSite=Strict; Path=/`,
        ...SECURITY_HEADERS,
      });
      return void res.end();
    }
    const file = req.method === 'GET' || req.method === 'HEAD' ? dashboardFile(path) : undefined;
    if (!file) return text(res, 404, `no such page: ${path}\n`);
    res.writeHead(200, { 'content-type': file.contentType, 'cache-control': 'no-cache', ...SECURITY_HEADERS });
    if (req.method === 'HEAD') return void res.end();
    await pipeline(createReadStream(file.path), res);
  };

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      const e = ensureError(error);
      options.log.error('http request failed', { method: req.method, url: req.url?.split('?')[0], error: e.message });
      if (!res.headersSent) text(res, 500, `internal error: ${e.message}\n`);
      else res.destroy();
    });
  });
  server.requestTimeout = 0; // uploads of large videos take as long as they take
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url: origin,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
