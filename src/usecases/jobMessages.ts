import { PermanentError } from '../core/errors.js';

/** What every queue message carries: its kind, its job, and for shard work its shard. */
export interface MessageEnvelope {
  readonly kind: string;
  readonly jobId: string;
  readonly shardId: string | undefined;
}

/** Reads a message's envelope; a body without one is permanent (it can never be handled). */
export function decodeEnvelope(body: unknown): MessageEnvelope {
  const b = body as { kind?: unknown; jobId?: unknown; shardId?: unknown } | null;
  if (
    !b ||
    typeof b !== 'object' ||
    typeof b.kind !== 'string' ||
    typeof b.jobId !== 'string' ||
    (b.shardId !== undefined && typeof b.shardId !== 'string')
  ) {
    throw new PermanentError(`malformed message body: ${JSON.stringify(body)?.slice(0, 200) ?? String(body)}`, {
      code: 'MalformedMessage',
    });
  }
  return { kind: b.kind, jobId: b.jobId, shardId: b.shardId };
}
