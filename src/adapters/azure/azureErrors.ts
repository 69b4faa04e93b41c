/**
 * Maps Azure SDK errors (RestError, by status and code) onto the port's typed errors, so no SDK type
 * reaches a caller. The SDK error stays reachable as `cause`.
 * - 404 → NotFoundError
 * - 412, and 409 for an item that already exists → PreconditionFailedError
 * - no response (network), 408, 429, 5xx → TransientError
 * - any other status → PermanentError (code: the service's error code)
 * Anything that is not a RestError (e.g. a failing source stream) passes through unchanged.
 */
import {
  NotFoundError,
  PermanentError,
  PreconditionFailedError,
  TransientError,
  ensureError,
} from '../../core/errors.js';

/** Service codes of a 409 that means "the item already exists" (a lost conditional create). */
const ALREADY_EXISTS = new Set(['BlobAlreadyExists', 'EntityAlreadyExists']);

export function mapAzureError(what: string, error: unknown): Error {
  if (!isRestError(error)) return ensureError(error);
  const status = error.statusCode;
  const code = serviceCode(error);
  const cause = { cause: error };
  if (status === 404) return new NotFoundError(what, cause);
  if (status === 412 || (status === 409 && code !== undefined && ALREADY_EXISTS.has(code))) {
    return new PreconditionFailedError(what, cause);
  }
  const summary = `${what}: ${code ?? 'request'} failed (${status ?? 'no response'})`;
  if (status === undefined || status === 408 || status === 429 || status >= 500)
    return new TransientError(summary, cause);
  return new PermanentError(summary, { ...cause, code: code ?? 'AzureRequest' });
}

/** True for the SDK's RestError that says the addressed item does not exist. */
export function isAzureNotFound(error: unknown): boolean {
  return isRestError(error) && error.statusCode === 404;
}

/** Runs an SDK call and maps what it throws. */
export async function callAzure<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw mapAzureError(what, error);
  }
}

interface RestErrorLike extends Error {
  readonly statusCode?: number;
  readonly code?: string;
  readonly details?: unknown;
}

/** The service's error code: Blob puts it in `code`, Tables in `details` (x-ms-error-code or the OData body). */
function serviceCode(error: RestErrorLike): string | undefined {
  if (error.code) return error.code;
  const details = (error.details ?? {}) as { errorCode?: unknown; odataError?: { code?: unknown } };
  const code = details.errorCode ?? details.odataError?.code;
  return typeof code === 'string' ? code : undefined;
}

function isRestError(error: unknown): error is RestErrorLike {
  return error instanceof Error && error.name === 'RestError';
}
