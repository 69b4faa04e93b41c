/**
 * Calls the jobs API through any fetch (the local server's, the Functions handlers', in-process)
 * and holds every JSON answer to the OpenAPI document: the status expected, the body's schema.
 */
import { expect } from 'vitest';
import { routeById } from '../../src/hosting/api/apiRoutes.js';
import type { ApiFetch } from '../../src/hosting/api/inProcessFetch.js';
import { assertMatchesOpenApi } from './openapiValidator.js';

export interface ApiCaller {
  /** Calls `operationId` at `path` (below /api, with its query), expects `status`, validates and returns the JSON body. */
  json<T = Record<string, unknown>>(
    operationId: string,
    path: string,
    status: number,
    init?: { body?: string | Buffer; headers?: Record<string, string> },
  ): Promise<T>;
  /** Calls a route that answers bytes; returns them and the response. */
  bytes(operationId: string, path: string): Promise<{ body: Buffer; response: Response }>;
}

export function apiCaller(fetch: ApiFetch, base: string, headers: Record<string, string> = {}): ApiCaller {
  const request = (
    operationId: string,
    path: string,
    init: { body?: string | Buffer; headers?: Record<string, string> } = {},
  ) => {
    const route = routeById(operationId);
    return fetch(`${base}/api${path}`, {
      method: route.method,
      headers: { ...headers, ...init.headers },
      ...(init.body === undefined ? {} : { body: init.body }),
    });
  };
  return {
    async json<T>(operationId: string, path: string, status: number, init = {}) {
      const response = await request(operationId, path, init);
      const text = await response.text();
      expect(response.status, `${operationId} ${path}: ${text.slice(0, 500)}`).toBe(status);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      const body = JSON.parse(text) as unknown;
      assertMatchesOpenApi(operationId, status, body);
      return body as T;
    },
    async bytes(operationId, path) {
      const response = await request(operationId, path);
      const body = Buffer.from(await response.arrayBuffer());
      expect(response.status, `${operationId} ${path}: ${body.toString('utf8', 0, 300)}`).toBe(200);
      return { body, response };
    },
  };
}
