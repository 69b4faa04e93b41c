/**
 * Maps @azure/service-bus errors onto the port's typed errors by `code`, so no SDK type reaches a
 * caller; the SDK error stays reachable as `cause`.
 * - MessageLockLost, SessionLockLost → LockLostError
 * - ServiceBusy, ServiceTimeout, GeneralError, ServiceCommunicationProblem → TransientError
 * - MessagingEntityNotFound → NotFoundError
 * - UnauthorizedAccess → PermanentError (code UnauthorizedAccess): a consumer must stop, not spin
 * - MessageSizeExceeded, MessagingEntityDisabled, MessagingEntityAlreadyExists, MessageNotFound → PermanentError
 * - any other ServiceBusError (QuotaExceeded, …) → TransientError if the SDK marks it retryable, else PermanentError
 * Anything else (a TypeError from bad input, an AbortError) passes through unchanged.
 */
import { isServiceBusError } from '@azure/service-bus';
import { LockLostError, NotFoundError, PermanentError, TransientError, ensureError } from '../../core/errors.js';

const LOCK_LOST = new Set(['MessageLockLost', 'SessionLockLost']);
const TRANSIENT = new Set(['ServiceBusy', 'ServiceTimeout', 'GeneralError', 'ServiceCommunicationProblem']);
const PERMANENT = new Set([
  'UnauthorizedAccess',
  'MessageSizeExceeded',
  'MessagingEntityDisabled',
  'MessagingEntityAlreadyExists',
  'MessageNotFound',
]);

/** `what` names the addressed thing: `queue q`, or the message id for lock errors. */
export function mapServiceBusError(what: string, error: unknown, messageId?: string): Error {
  if (!isServiceBusError(error)) return ensureError(error);
  const cause = { cause: error };
  const code = error.code;
  if (LOCK_LOST.has(code)) return new LockLostError(messageId ?? what, cause);
  if (code === 'MessagingEntityNotFound') return new NotFoundError(what, cause);
  const summary = `${what}: ${code}: ${error.message}`;
  if (PERMANENT.has(code)) return new PermanentError(summary, { ...cause, code });
  if (TRANSIENT.has(code) || error.retryable === true) return new TransientError(summary, cause);
  return new PermanentError(summary, { ...cause, code });
}

/** Runs an SDK call and maps what it throws. */
export async function callServiceBus<T>(what: string, fn: () => Promise<T>, messageId?: string): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw mapServiceBusError(what, error, messageId);
  }
}
