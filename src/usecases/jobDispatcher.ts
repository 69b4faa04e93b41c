import { PermanentError } from '../core/errors.js';
import type { JobDeps } from './jobDeps.js';
import { decodeEnvelope } from './jobMessages.js';

/** One job kind's use cases, as the dispatcher calls them. */
export interface JobKind {
  plan(jobId: string, signal?: AbortSignal): Promise<void>;
  finish(jobId: string, signal?: AbortSignal): Promise<unknown>;
  /**
   * Shard work, by message kind (e.g. `score`, `style`). `nextMayStart`, where the caller gives one,
   * tells it that the shard's heavy part is over and the next message may begin (see messagePump.ts).
   */
  readonly shards: Readonly<
    Record<string, (body: unknown, signal?: AbortSignal, nextMayStart?: () => void) => Promise<void>>
  >;
}

/**
 * Routes a queue message to its use case: `plan` and `finish` by the kind of the job they name,
 * shard messages by their own kind. An unknown kind is permanent.
 */
export function createJobDispatcher(deps: Pick<JobDeps, 'ledger'>, kinds: Readonly<Record<string, JobKind>>) {
  return async (body: unknown, signal?: AbortSignal, nextMayStart?: () => void): Promise<void> => {
    const msg = decodeEnvelope(body);
    if (msg.kind === 'plan' || msg.kind === 'finish') {
      const job = await deps.ledger.getJob(msg.jobId);
      if (!job) throw new PermanentError(`${msg.kind}: job ${msg.jobId} does not exist`);
      const kind = kinds[job.kind];
      if (!kind) throw new PermanentError(`${msg.kind}: job ${msg.jobId} is of unknown kind "${job.kind}"`);
      if (msg.kind === 'plan') await kind.plan(msg.jobId, signal);
      else await kind.finish(msg.jobId, signal);
      return;
    }
    for (const kind of Object.values(kinds)) {
      const handle = kind.shards[msg.kind];
      if (handle) return handle(body, signal, nextMayStart);
    }
    throw new PermanentError(`message of unknown kind "${msg.kind}" for job ${msg.jobId}`, {
      code: 'MalformedMessage',
    });
  };
}
