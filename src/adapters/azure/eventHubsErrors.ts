/**
 * Maps @azure/event-hubs errors (core-amqp's MessagingError) onto the port's typed errors by `code`,
 * so no SDK type reaches a caller; the SDK error stays reachable as `cause`.
 * - MessagingEntityNotFoundError, ResourceNotFoundError → NotFoundError
 * - UnauthorizedError → PermanentError (code UnauthorizedAccess): the SDK retries it (rotated keys),
 *   but once its retries are spent a consumer must stop with a clear error, not spin
 * - ArgumentError, ArgumentOutOfRangeError, MessageTooLargeError → PermanentError
 * - anything else the SDK marks retryable (ServerBusy, timeouts, a dropped connection) → TransientError
 * - any other MessagingError → PermanentError
 * Anything that is not a MessagingError (a TypeError from bad input, an AbortError) passes through.
 */
import { NotFoundError, PermanentError, TransientError, ensureError } from '../../core/errors.js';

const NOT_FOUND = new Set(['MessagingEntityNotFoundError', 'ResourceNotFoundError']);
const PERMANENT = new Set([
  'ArgumentError',
  'ArgumentOutOfRangeError',
  'MessageTooLargeError',
  'InvalidOperationError',
]);

interface MessagingErrorLike extends Error {
  readonly code?: string;
  readonly retryable?: boolean;
}

export function mapEventHubsError(what: string, error: unknown): Error {
  if (!(error instanceof Error) || error.name !== 'MessagingError') return ensureError(error);
  const e = error as MessagingErrorLike;
  const code = e.code ?? 'MessagingError';
  const cause = { cause: error };
  if (NOT_FOUND.has(code)) return new NotFoundError(what, cause);
  const summary = `${what}: ${code}: ${e.message}`;
  if (code === 'UnauthorizedError') return new PermanentError(summary, { ...cause, code: 'UnauthorizedAccess' });
  if (PERMANENT.has(code)) return new PermanentError(summary, { ...cause, code });
  if (e.retryable === true) return new TransientError(summary, cause);
  return new PermanentError(summary, { ...cause, code });
}

/** Runs an SDK call and maps what it throws. */
export async function callEventHubs<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw mapEventHubsError(what, error);
  }
}
