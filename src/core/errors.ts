/**
 * Typed errors. Control flow depends on the class, never on a message:
 * - PermanentError: retrying cannot help (bad input, bad model). Dead-letter at once.
 * - TransientError: retry with backoff.
 * Port-level conditions (not found, precondition failed, lock lost) are their own classes
 * so adapters map SDK error codes onto them and callers never see an SDK type.
 */
export class TesseraError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Retrying cannot help: the input or the model is wrong. */
export class PermanentError extends TesseraError {
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(options?.code ?? 'Permanent', message, options);
  }
}

/** Bad input: names the input and the reason. */
export class InputError extends PermanentError {
  readonly input: string;
  constructor(input: string, reason: string, options?: { cause?: unknown }) {
    super(`${input}: ${reason}`, { ...options, code: 'BadInput' });
    this.input = input;
  }
}

/** May succeed on a later attempt. */
export class TransientError extends TesseraError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('Transient', message, options);
  }
}

/** The addressed blob, job, shard or message does not exist. */
export class NotFoundError extends TesseraError {
  constructor(what: string, options?: { cause?: unknown }) {
    super('NotFound', `${what} not found`, options);
  }
}

/** A conditional write lost: the ETag did not match, or the item already exists. */
export class PreconditionFailedError extends TesseraError {
  constructor(what: string, options?: { cause?: unknown }) {
    super('PreconditionFailed', `${what}: precondition failed (changed concurrently or already exists)`, options);
  }
}

/**
 * The peek-lock on a message expired or was taken by another receiver; or the worker gave the
 * message back itself (a drain deadline), which it tells apart with `code: 'MessageAbandoned'`.
 */
export class LockLostError extends TesseraError {
  constructor(messageId: string, options?: { cause?: unknown; code?: string }) {
    super(options?.code ?? 'MessageLockLost', `lock lost on message ${messageId}`, options);
  }
}

/**
 * A newer owner has claimed the partition (a higher epoch): this owner may no longer commit
 * (Event Hubs' ReceiverDisconnected for owner-level receivers). It should stop, not retry.
 */
export class OwnershipLostError extends TesseraError {
  constructor(what: string, options?: { cause?: unknown }) {
    super('OwnershipLost', `${what}: a newer owner has claimed it; this owner may no longer commit`, options);
  }
}

/** Normalises whatever was thrown into an Error. */
export function ensureError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (typeof value === 'string') return new Error(value);
  try {
    return new Error(JSON.stringify(value));
  } catch {
    return new Error(String(value));
  }
}

export function isPermanent(error: unknown): boolean {
  return error instanceof PermanentError;
}

/** A positive safe integer, or an InputError naming `what`. */
export function positiveInteger(what: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new InputError(what, `must be a positive integer, got ${value}`);
  return value;
}
