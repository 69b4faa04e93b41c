import { InputError, NotFoundError, PreconditionFailedError, TransientError } from '../../core/errors.js';
import { NotAvailableError } from '../../usecases/operator/notAvailableError.js';
import { json, type ApiPorts, type ApiRequest, type ApiResponse, type ApiRoute } from './apiTypes.js';
import { getModel, listModels, listStreamRuns } from './catalogRoutes.js';
import { getJobLogs, getJobSeries, getJobThumbnail, getJobThumbnails } from './jobInsightRoutes.js';
import { cancelJobRoute, getJob, getJobFile, listJobs, retryJobRoute, submitJobRoute } from './jobRoutes.js';
import { OPENAPI } from './openapi.js';
import {
  listDeadLetteredEventsRoute,
  listDeadLetters,
  redriveDeadLetteredEventsRoute,
  redriveDeadLettersRoute,
} from './queueRoutes.js';

const getOpenApi: ApiRoute = {
  operationId: 'getOpenApi',
  method: 'GET',
  path: '/openapi.json',
  handle: () => Promise.resolve(json(200, OPENAPI)),
};

/** The jobs API, once: every server (the local runtime's, the Functions app's triggers) serves these. */
export const API_ROUTES: readonly ApiRoute[] = [
  listJobs,
  submitJobRoute,
  getJob,
  cancelJobRoute,
  retryJobRoute,
  getJobFile,
  getJobLogs,
  getJobSeries,
  getJobThumbnails,
  getJobThumbnail,
  listDeadLetters,
  redriveDeadLettersRoute,
  listDeadLetteredEventsRoute,
  redriveDeadLetteredEventsRoute,
  listModels,
  getModel,
  listStreamRuns,
  getOpenApi,
];

export function routeById(operationId: string): ApiRoute {
  const route = API_ROUTES.find((r) => r.operationId === operationId);
  if (!route) throw new Error(`no API route ${operationId}`);
  return route;
}

/** The path's parameters when `template` (`/jobs/{jobId}`) matches it, else undefined. */
export function matchPath(template: string, path: string): Record<string, string> | undefined {
  const want = template.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of want.entries()) {
    const value = got[i] ?? '';
    if (part.startsWith('{') && part.endsWith('}')) {
      if (value === '') return undefined;
      try {
        params[part.slice(1, -1)] = decodeURIComponent(value);
      } catch {
        return undefined;
      }
    } else if (part !== value) return undefined;
  }
  return params;
}

/**
 * Maps a typed error onto its response, the body naming the input and the reason: InputError → 400,
 * NotFoundError → 404, PreconditionFailedError → 409, NotAvailableError → 501, TransientError → 503
 * with Retry-After. Anything else is rethrown: the server answers 500 and logs it.
 */
export function errorResponse(thrown: unknown): ApiResponse {
  if (thrown instanceof InputError) {
    const prefix = `${thrown.input}: `;
    const reason = thrown.message.startsWith(prefix) ? thrown.message.slice(prefix.length) : thrown.message;
    return json(400, { error: { input: thrown.input, reason } });
  }
  if (thrown instanceof NotFoundError) return json(404, { error: { reason: thrown.message } });
  if (thrown instanceof PreconditionFailedError) return json(409, { error: { reason: thrown.message } });
  if (thrown instanceof NotAvailableError) return json(501, { error: { reason: thrown.message } });
  if (thrown instanceof TransientError) return json(503, { error: { reason: thrown.message } }, { 'Retry-After': '5' });
  throw thrown;
}

/** Runs one route, mapping typed errors onto responses. */
export async function runRoute(route: ApiRoute, ports: ApiPorts, request: ApiRequest, params: Record<string, string>) {
  try {
    return await route.handle(ports, request, params);
  } catch (error) {
    return errorResponse(error);
  }
}

/** Routes a request by method and path (below `/api`): 404 for no such path, 405 for another method. */
export async function handleApiRequest(ports: ApiPorts, request: ApiRequest): Promise<ApiResponse> {
  const matches = API_ROUTES.map((route) => ({ route, params: matchPath(route.path, request.path) })).filter(
    (m) => m.params !== undefined,
  );
  const match = matches.find((m) => m.route.method === request.method);
  if (match) return runRoute(match.route, ports, request, match.params ?? {});
  if (matches.length > 0)
    return json(
      405,
      { error: { reason: `use ${matches.map((m) => m.route.method).join(' or ')}` } },
      {
        Allow: matches.map((m) => m.route.method).join(', '),
      },
    );
  return json(404, { error: { reason: `no route ${request.method} ${request.path}` } });
}
