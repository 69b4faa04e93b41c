import { finishMessageId } from '../core/jobNaming.js';
import { lifecycleQueue, type JobDeps, type LifecycleMessage } from './jobDeps.js';
import { updateJobWithRetry } from './ledgerRetry.js';

/**
 * When every shard of a running job is terminal (succeeded, or failed and dead-lettered), the job
 * moves to finishing and exactly one finish message is queued: its id is keyed by the job's ETag
 * on entering finishing, so racing callers send the same id and duplicate detection keeps one.
 */
export async function fanIn(deps: Pick<JobDeps, 'ledger' | 'queue' | 'control'>, jobId: string): Promise<void> {
  const job = await deps.ledger.getJob(jobId);
  if (!job || job.state !== 'running') return;
  const counts = await deps.ledger.countShards(jobId);
  if (counts.succeeded + counts.failed < job.shardsTotal) return;
  const updated = await updateJobWithRetry(deps.ledger, jobId, (j) =>
    j.state === 'running' ? { state: 'finishing' } : undefined,
  );
  if (updated.state === 'finishing') {
    const body: LifecycleMessage = { kind: 'finish', jobId };
    await lifecycleQueue(deps).send([{ messageId: finishMessageId(jobId, updated.etag), body, subject: 'finish' }]);
  }
}
