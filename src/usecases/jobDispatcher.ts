import { PermanentError } from '../core/errors.js';
import type { JobDeps } from './jobDeps.js';
import type { JobKind } from './jobKind.js';
import { finishJob, planJob, runShard } from './jobLifecycle.js';
import { decodeEnvelope } from './jobMessages.js';

/** Runs the use case a queue message asks for. `nextMayStart`: see messagePump.ts. */
export type Dispatch = (body: unknown, signal?: AbortSignal, nextMayStart?: () => void) => Promise<void>;

/**
 * Routes a queue message through the job lifecycle: `plan` and `finish` by the kind of the job
 * they name, shard messages by their own kind. An unknown kind is permanent.
 */
export function createJobDispatcher(deps: JobDeps, kinds: readonly JobKind[]): Dispatch {
  const byName = new Map(kinds.map((k) => [k.name, k]));
  const byShard = new Map(kinds.flatMap((k) => Object.keys(k.shards).map((m) => [m, k] as const)));
  return async (body, signal, nextMayStart) => {
    const msg = decodeEnvelope(body);
    if (msg.kind === 'plan' || msg.kind === 'finish') {
      const job = await deps.ledger.getJob(msg.jobId);
      if (!job) throw new PermanentError(`${msg.kind}: job ${msg.jobId} does not exist`);
      const kind = byName.get(job.kind);
      if (!kind) throw new PermanentError(`${msg.kind}: job ${msg.jobId} is of unknown kind "${job.kind}"`);
      if (msg.kind === 'plan') await planJob(deps, kind, msg.jobId, signal);
      else await finishJob(deps, kind, msg.jobId, signal);
      return;
    }
    const kind = byShard.get(msg.kind);
    if (!kind)
      throw new PermanentError(`message of unknown kind "${msg.kind}" for job ${msg.jobId}`, {
        code: 'MalformedMessage',
      });
    await runShard(deps, kind, body, signal, nextMayStart);
  };
}
