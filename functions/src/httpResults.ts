import type { HttpResponseInit } from '@azure/functions';
import { InputError, NotFoundError, PreconditionFailedError, TransientError } from '../../src/core/errors.js';

/** A JSON response. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, jsonBody: body, headers };
}

/**
 * Maps a typed error onto its response, the body naming the input and the reason:
 * InputError → 400, NotFoundError → 404, PreconditionFailedError → 409, TransientError → 503 with
 * Retry-After. Anything else is rethrown: the host answers 500 and logs it with the invocation.
 */
export function errorResponse(thrown: unknown): HttpResponseInit {
  if (thrown instanceof InputError) return json(400, { error: { input: thrown.input, reason: reasonOf(thrown) } });
  if (thrown instanceof NotFoundError) return json(404, { error: { reason: thrown.message } });
  if (thrown instanceof PreconditionFailedError) return json(409, { error: { reason: thrown.message } });
  if (thrown instanceof TransientError) return json(503, { error: { reason: thrown.message } }, { 'Retry-After': '5' });
  throw thrown;
}

/** InputError's message is `${input}: ${reason}`. */
function reasonOf(error: InputError): string {
  const prefix = `${error.input}: `;
  return error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
}
