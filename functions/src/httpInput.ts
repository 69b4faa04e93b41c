import type { HttpRequest } from '@azure/functions';
import type { AzureContext } from '../../src/composition/azure/azureContext.js';
import { InputError } from '../../src/core/errors.js';
import type { WorkQueue } from '../../src/ports/workQueue.js';

/** The request's JSON body; a body that is not JSON is an InputError naming it. */
export async function jsonBody(request: HttpRequest): Promise<unknown> {
  const text = await request.text();
  if (text.trim() === '') throw new InputError('request body', 'is empty: expected JSON');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new InputError('request body', `is not JSON (${(error as Error).message})`);
  }
}

/** An integer query parameter within [min, max], or `fallback` when absent. */
export function intQuery(request: HttpRequest, name: string, fallback: number, min: number, max: number): number {
  const raw = request.query.get(name);
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new InputError(`query parameter ${name}`, `must be an integer from ${min} to ${max}, got "${raw}"`);
  return n;
}

/** A query parameter that must be one of `allowed`, or undefined when absent. */
export function oneOfQuery<T extends string>(request: HttpRequest, name: string, allowed: readonly T[]): T | undefined {
  const raw = request.query.get(name);
  if (raw === null || raw === '') return undefined;
  if (!(allowed as readonly string[]).includes(raw))
    throw new InputError(`query parameter ${name}`, `must be one of ${allowed.join(', ')}, got "${raw}"`);
  return raw as T;
}

/** `?queue=jobs|control` (default jobs): the work queue or the control queue, by role. */
export function queueQuery(request: HttpRequest, ctx: AzureContext): WorkQueue {
  return oneOfQuery(request, 'queue', ['jobs', 'control'] as const) === 'control' ? ctx.control : ctx.queue;
}
