import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Why a request is refused before its body is read: status, message, extra headers. */
export interface Refusal {
  readonly status: number;
  readonly error: string;
  readonly headers?: Record<string, string>;
}

/** True for an address only this machine can reach: 127.0.0.0/8, ::1, localhost. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/**
 * The origins that are the endpoint itself: its URL, and on loopback the other loopback names of the
 * same port (a browser page served from them is this machine's own). Any other `Origin` is another
 * site's page, and so is `null` (a sandboxed frame, a file): a browser sends `Origin` with every POST,
 * so a page elsewhere, DNS rebinding included, cannot post readings.
 */
export function ownOrigins(host: string, port: number): ReadonlySet<string> {
  const names = isLoopback(host) ? ['127.0.0.1', 'localhost', '[::1]'] : [host.includes(':') ? `[${host}]` : host];
  return new Set(names.map((name) => `http://${name}:${port}`));
}

/**
 * The checks a POST of readings must pass before its body is read, in order: no foreign `Origin` (403;
 * no CORS headers are ever sent, so a browser's preflight fails too), the bearer token when one is
 * set (401), and `Content-Type: application/json` (415; a browser's cross-site "simple" POST is
 * text/plain or a form).
 */
export function refuseRequest(
  req: IncomingMessage,
  origins: ReadonlySet<string>,
  token: string | undefined,
): Refusal | undefined {
  const origin = req.headers.origin;
  if (origin !== undefined && !origins.has(origin.toLowerCase()))
    return { status: 403, error: `cross-origin requests are refused (Origin: ${origin.slice(0, 100)})` };
  if (token !== undefined && !bearerMatches(req.headers.authorization, token))
    return {
      status: 401,
      error: 'a bearer token is required (Authorization: Bearer <TESSERA_INGEST_TOKEN>)',
      headers: { 'www-authenticate': 'Bearer realm="tessera-ingest"' },
    };
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json')
    return {
      status: 415,
      error: `Content-Type must be application/json, got ${type === '' ? 'none' : `"${type.slice(0, 100)}"`}`,
      headers: { accept: 'application/json' },
    };
  return undefined;
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer[ \t]+(\S+)\s*$/i.exec(header ?? '');
  if (m === null) return false;
  // Compared as digests: equal lengths, and no early exit that would time the token out.
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(m[1]!), digest(token));
}
