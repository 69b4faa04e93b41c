import { finishMessageId, planMessageId, shardMessageId } from '../core/jobNaming.js';
import { fanIn } from './fanIn.js';
import { lifecycleQueue, type JobDeps, type LifecycleMessage, type ShardMessage } from './jobDeps.js';

export interface ReconcileTimes {
  /** A planning or finishing job untouched this long is nudged (its message may be lost). */
  readonly staleJobMs: number;
  /** A pending or running shard untouched this long, while the queue is empty, has its message sent again. */
  readonly staleShardMs: number;
}

/**
 * Nudges jobs that a crash left between two steps: a planning job whose plan message was never
 * sent, a running job whose last shard finished without fanning in or whose shard message was
 * lost, a finishing job whose finish message was lost. Every nudge is idempotent: a message sent
 * twice is dropped by duplicate detection or finds its work done.
 */
export async function reconcileJobs(
  deps: Pick<JobDeps, 'ledger' | 'queue' | 'control' | 'log'>,
  times: ReconcileTimes,
  now = Date.now(),
): Promise<number> {
  let nudged = 0;
  let activeMessages: number | undefined;
  for (const state of ['planning', 'running', 'finishing'] as const) {
    for (const job of await deps.ledger.listJobs({ state, limit: 10_000 })) {
      if (state === 'running') {
        // A shard message can only be known lost when the queue holds none: never duplicate a backlog.
        if ((activeMessages ??= await deps.queue.countActive()) === 0)
          nudged += await resendStaleShards(deps, job.jobId, times.staleShardMs, now);
        await fanIn(deps, job.jobId);
        continue;
      }
      if (now - job.updatedAt.getTime() < times.staleJobMs) continue;
      const body: LifecycleMessage =
        state === 'planning' ? { kind: 'plan', jobId: job.jobId } : { kind: 'finish', jobId: job.jobId };
      // A nudge gets an id of its own (keyed by the job's current ETag): reusing the original id
      // would be dropped by duplicate detection, and repeating the same nudge is dropped as it should be.
      const messageId = `${state === 'planning' ? planMessageId(job.jobId) : finishMessageId(job.jobId, job.etag)}:nudge:${job.etag}`;
      await lifecycleQueue(deps).send([{ messageId, body, subject: body.kind }]);
      nudged += 1;
    }
  }
  return nudged;
}

async function resendStaleShards(
  deps: Pick<JobDeps, 'ledger' | 'queue' | 'control' | 'log'>,
  jobId: string,
  staleMs: number,
  now: number,
): Promise<number> {
  const stale = [
    ...(await deps.ledger.listShards(jobId, { state: 'pending' })),
    ...(await deps.ledger.listShards(jobId, { state: 'running' })),
  ].filter((s) => now - s.updatedAt.getTime() >= staleMs);
  const messages = stale.flatMap((s) => {
    const body = (s.detail as { message?: ShardMessage } | null)?.message;
    // Keyed by the shard's ETag: a new id (the original would be dropped as a duplicate), the same one while nothing changes.
    return body
      ? [{ messageId: `${shardMessageId(jobId, s.shardId)}:resend:${s.etag}`, body, subject: body.kind }]
      : [];
  });
  for (let i = 0; i < messages.length; i += 100) await deps.queue.send(messages.slice(i, i + 100));
  if (messages.length > 0) deps.log.warn('re-sent stale shard messages', { jobId, shards: messages.length });
  return messages.length;
}
