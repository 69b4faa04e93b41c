/**
 * The probes' and Prometheus' HTTP endpoint (node:http), on all interfaces: the kubelet probes the
 * pod's IP. GET only.
 * - /healthz: 200 while the process runs (liveness and startup);
 * - /readyz: 200 when `readiness()` names no reason to wait, else 503 with that reason;
 * - /metrics: `metrics` answers (the OpenTelemetry Prometheus exporter's handler, scorerMetrics.ts).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

export interface HealthServerOptions {
  readonly port: number;
  /** Undefined when ready; otherwise why not (e.g. `draining`). */
  readonly readiness: () => string | undefined;
  /** Answers a GET of /metrics in Prometheus' text format. */
  readonly metrics: (request: IncomingMessage, response: ServerResponse) => void;
}

export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const json = (res: ServerResponse, status: number, body: object): void => {
    res
      .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      .end(JSON.stringify(body));
  };
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'method not allowed' });
    if (path === '/healthz') return json(res, 200, { status: 'ok' });
    if (path === '/readyz') {
      const reason = options.readiness();
      return reason === undefined
        ? json(res, 200, { status: 'ready' })
        : json(res, 503, { status: 'not ready', reason });
    }
    if (path === '/metrics') return options.metrics(req, res);
    json(res, 404, { error: 'not found' });
  });
  // Probes must not keep a draining process alive.
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
