/**
 * The jobs API (src/hosting/api) on the Functions host: one HTTP function per route, each a thin
 * adapter from HttpRequest to the shared handler and back. Routes and shapes are defined once, in
 * apiRoutes.ts; this file only translates.
 *
 * Authentication: the functions are `anonymous` to the host and validate no token themselves.
 * App Service authentication (Easy Auth, Entra ID) must front the app: it validates the bearer
 * token (or the dashboard's browser session) before a function runs and passes the caller as
 * `x-ms-client-principal-*` headers. A request without `x-ms-client-principal-id` is refused with
 * 401, so an app deployed without Easy Auth answers nothing by mistake (see functions/README.md:
 * this is no defence on its own, as a client can send that header where Easy Auth is off).
 */
import { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { AzureContext } from '../../src/composition/azure/azureContext.js';
import { BUILTIN_TOON } from '../../src/adapters/models/registryStyles.js';
import { matchPath, routeById, runRoute } from '../../src/hosting/api/apiRoutes.js';
import type { ApiPorts, ApiRequest, ApiResponse } from '../../src/hosting/api/apiTypes.js';
import { API_ROOT } from '../../src/hosting/api/links.js';
import { createFrameGrabber } from '../../src/video/frameGrabber.js';
import { contextFor } from './context.js';
import { tracedHandler } from './tracedHandler.js';

/** Uploads through the API are held by the Functions front end: its request limit (100 MB) bounds them. */
const MAX_UPLOAD_BYTES = 100 * 1024 * 1024;

/** The API's ports over the Functions app's context: both queues' dead letters, no per-job logs (Application Insights has them). */
export function azureApiPorts(ctx: AzureContext): ApiPorts {
  return {
    jobs: ctx.deps,
    queues: { jobs: ctx.queue, control: ctx.control },
    registry: ctx.registry,
    builtinModels: [BUILTIN_TOON],
    ...(ctx.events ? { events: ctx.events } : {}),
    frames: createFrameGrabber(ctx.blobs),
    scratchDir: ctx.settings.scratchDir,
    maxUploadBytes: MAX_UPLOAD_BYTES,
  };
}

function apiRequestOf(request: HttpRequest): ApiRequest {
  const url = new URL(request.url);
  return {
    method: request.method,
    path: url.pathname.startsWith(API_ROOT) ? url.pathname.slice(API_ROOT.length) : url.pathname,
    query: url.searchParams,
    header: (name) => request.headers.get(name) ?? undefined,
    body: () => (request.body ? Readable.fromWeb(request.body as ReadableStream<Uint8Array>) : Readable.from([])),
  };
}

function httpResponseOf(response: ApiResponse): HttpResponseInit {
  if ('json' in response) return { status: response.status, jsonBody: response.json, headers: { ...response.headers } };
  return {
    status: response.status,
    body: response.stream,
    headers: {
      'Content-Type': response.contentType,
      ...(response.size === undefined ? {} : { 'Content-Length': String(response.size) }),
      ...response.headers,
    },
  };
}

/** The handler of one API route, as a Functions HTTP handler named `<operationId>Http`, in its own span. */
export function apiFunction(operationId: string) {
  const route = routeById(operationId);
  const open = operationId === 'getOpenApi';
  const handler = async (request: HttpRequest, invocation: InvocationContext): Promise<HttpResponseInit> => {
    if (!open && !request.headers.get('x-ms-client-principal-id'))
      return {
        status: 401,
        jsonBody: {
          error: { reason: 'no authenticated caller: App Service authentication (Entra ID) must front this app' },
        },
      };
    const api = apiRequestOf(request);
    const params = { ...matchPath(route.path, api.path), ...request.params };
    const ctx = await contextFor(invocation);
    return httpResponseOf(await runRoute(route, azureApiPorts(ctx), api, params));
  };
  return tracedHandler('http', `${operationId}Http`, handler);
}

/** The registration of an API function: the route's method and path, anonymous to the host (see above). */
export function apiRegistration(operationId: string, handler: ReturnType<typeof apiFunction>) {
  const route = routeById(operationId);
  return { methods: [route.method], route: route.path.slice(1), authLevel: 'anonymous' as const, handler };
}
