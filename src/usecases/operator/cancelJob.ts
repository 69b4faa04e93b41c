import { TERMINAL_JOB_STATES, type JobRecord, type JsonValue } from '../../ports/jobLedger.js';
import type { JobDeps } from '../jobDeps.js';
import { detailOf } from '../jobDetail.js';
import { writeSummary } from '../jobSummary.js';
import { updateJobWithRetry } from '../ledgerRetry.js';
import { JobStateConflictError } from './conflictError.js';

export const CANCELLED = 'cancelled';

/**
 * Cancels a job that has not ended: it fails with the reason "cancelled", at once, whatever step it
 * is in. Nothing is deleted and no message is recalled: shards still queued find their job ended
 * and skip their work, and a finish that was under way loses the race to end it (it then writes
 * the ending's summary back, which is this one). The summary says when and that it was cancelled.
 * A job that has already ended is a JobStateConflictError naming its state; cancelling a job
 * twice is that too, so a caller learns the job did not stop because of it.
 */
export async function cancelJob(deps: Pick<JobDeps, 'ledger' | 'blobs' | 'log'>, jobId: string): Promise<JobRecord> {
  const cancelledAt = new Date().toISOString();
  let endedBefore: JobRecord | undefined;
  let summary: Record<string, JsonValue> | undefined;
  const job = await updateJobWithRetry(deps.ledger, jobId, (j) => {
    if (TERMINAL_JOB_STATES.includes(j.state)) {
      endedBefore = j;
      return undefined;
    }
    endedBefore = undefined;
    summary = { jobId, kind: j.kind, state: 'failed', error: CANCELLED, cancelledAt, cancelledIn: j.state };
    return { state: 'failed', error: CANCELLED, detail: { ...detailOf(j), cancelledAt, summary } };
  });
  if (endedBefore)
    throw new JobStateConflictError(`job ${jobId} has already ended (${endedBefore.state}); nothing to cancel`);
  if (summary) await writeSummary(deps.blobs, jobId, summary);
  deps.log.info('job cancelled', { jobId, kind: job.kind });
  return job;
}
