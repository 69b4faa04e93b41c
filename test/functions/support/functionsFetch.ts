/**
 * A fetch answered by the Functions app's HTTP handlers, called as the host calls them: an
 * HttpRequest from @azure/functions and an InvocationContext, with the principal header App
 * Service authentication adds. What the CLI's remote client and the contract test speak to.
 */
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { API_ROUTES, matchPath } from '../../../src/hosting/api/apiRoutes.js';
import { API_ROOT } from '../../../src/hosting/api/links.js';
import type { ApiFetch } from '../../../src/hosting/api/inProcessFetch.js';
import type { AzureWorld } from './azureWorld.js';

type Handler = (request: HttpRequest, invocation: InvocationContext) => Promise<HttpResponseInit>;
const functionsDir = join(import.meta.dirname, '../../../functions/src/functions');

async function handlerOf(operationId: string): Promise<Handler> {
  const name = `${operationId}Http`;
  const mod = (await import(join(functionsDir, `${name}.ts`))) as Record<string, Handler>;
  const handler = mod[name];
  if (!handler) throw new Error(`functions/src/functions/${name}.ts exports no ${name}`);
  return handler;
}

async function bodyBytes(body: RequestInit['body']): Promise<Buffer | undefined> {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || body instanceof Uint8Array) return Buffer.from(body);
  const chunks: Buffer[] = [];
  const stream = body instanceof Readable ? body : Readable.fromWeb(body as never);
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

function toResponse(result: HttpResponseInit): Response {
  const headers = new Headers(result.headers);
  if (result.jsonBody !== undefined) {
    headers.set('content-type', 'application/json');
    return new Response(JSON.stringify(result.jsonBody), { status: result.status ?? 200, headers });
  }
  const body =
    result.body instanceof Readable
      ? (Readable.toWeb(result.body) as unknown as ReadableStream)
      : (result.body as ConstructorParameters<typeof Response>[0]);
  return new Response(body ?? null, { status: result.status ?? 200, headers });
}

/** `principal: false` leaves out the header Easy Auth would add (a request that never went through it). */
export function functionsFetch(world: AzureWorld, options: { principal?: boolean } = {}): ApiFetch {
  return async (url, init = {}) => {
    const parsed = new URL(url, 'http://localhost');
    const path = parsed.pathname.slice(API_ROOT.length);
    const method = init.method ?? 'GET';
    const route = API_ROUTES.find((r) => r.method === method && matchPath(r.path, path));
    if (!route) return new Response(JSON.stringify({ error: { reason: 'no such function' } }), { status: 404 });
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    if (options.principal !== false) headers['x-ms-client-principal-id'] = 'test-principal';
    const body = await bodyBytes(init.body);
    const request = new HttpRequest({
      method,
      url: `http://localhost${parsed.pathname}${parsed.search}`,
      headers,
      params: matchPath(route.path, path) ?? {},
      ...(body === undefined ? {} : { body: { bytes: body } }),
    });
    const handler = await handlerOf(route.operationId);
    return toResponse(await handler(request, world.invocation(`${route.operationId}Http`)));
  };
}
