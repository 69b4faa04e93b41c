import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { ApiRequest, ApiResponse } from './apiTypes.js';

/** A node:http request as an ApiRequest; `path` is below `root` (e.g. `/api`). */
export function apiRequestOf(req: IncomingMessage, root: string): ApiRequest {
  const url = new URL(req.url ?? '/', 'http://localhost');
  return {
    method: req.method ?? 'GET',
    path: url.pathname.slice(root.length) || '/',
    query: url.searchParams,
    header: (name) => {
      const value = req.headers[name.toLowerCase()];
      return Array.isArray(value) ? value.join(', ') : value;
    },
    body: () => req,
  };
}

/** Writes an ApiResponse: JSON, or a stream with its type and length. */
export async function writeApiResponse(res: ServerResponse, response: ApiResponse): Promise<void> {
  if ('json' in response) {
    const text = JSON.stringify(response.json);
    res.writeHead(response.status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
      ...response.headers,
    });
    res.end(text);
    return;
  }
  res.writeHead(response.status, {
    'content-type': response.contentType,
    ...(response.size === undefined ? {} : { 'content-length': response.size }),
    ...response.headers,
  });
  await pipeline(response.stream, res);
}
