import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { handleApiRequest } from './apiRoutes.js';
import type { ApiPorts, ApiResponse } from './apiTypes.js';
import { API_ROOT } from './links.js';

/** A fetch that answers from the API's handlers in this process: what the CLI uses over the local runtime's files. */
export type ApiFetch = (url: string, init?: RequestInit) => Promise<Response>;

/** A request body as a stream, whatever fetch was given. */
export function bodyStream(body: RequestInit['body']): Readable {
  if (body === undefined || body === null) return Readable.from([]);
  if (typeof body === 'string' || body instanceof Uint8Array) return Readable.from([Buffer.from(body)]);
  if (body instanceof Readable) return body;
  if (typeof (body as { getReader?: unknown }).getReader === 'function')
    return Readable.fromWeb(body as unknown as WebReadableStream<Uint8Array>);
  throw new TypeError('unsupported request body');
}

/** An ApiResponse as a fetch Response. */
export function responseOf(response: ApiResponse): Response {
  const headers = new Headers(response.headers);
  if ('json' in response) {
    headers.set('content-type', 'application/json; charset=utf-8');
    return new Response(JSON.stringify(response.json), { status: response.status, headers });
  }
  headers.set('content-type', response.contentType);
  return new Response(webStreamOf(response.stream), { status: response.status, headers });
}

/**
 * A Node stream as a web stream that hands its chunks on as they are. `Readable.toWeb` (Node 20)
 * spent about as long again as the copy itself on a 92 MB result download, in its data handler. An
 * error of the stream errors the web stream; cancelling it destroys the stream.
 */
function webStreamOf(stream: Readable): ReadableStream<Uint8Array> {
  const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await chunks.next();
      if (next.done) controller.close();
      else controller.enqueue(typeof next.value === 'string' ? Buffer.from(next.value) : next.value);
    },
    async cancel(reason) {
      await chunks.return?.(reason);
    },
  });
}

export function inProcessFetch(ports: ApiPorts): ApiFetch {
  return async (url, init = {}) => {
    const parsed = new URL(url, 'http://in-process');
    const headers = new Headers(init.headers);
    const response = await handleApiRequest(ports, {
      method: init.method ?? 'GET',
      path: parsed.pathname.startsWith(API_ROOT) ? parsed.pathname.slice(API_ROOT.length) : parsed.pathname,
      query: parsed.searchParams,
      header: (name) => headers.get(name) ?? undefined,
      body: () => bodyStream(init.body),
    });
    return responseOf(response);
  };
}
