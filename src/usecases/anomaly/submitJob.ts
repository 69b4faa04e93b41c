import { InputError } from '../../core/errors.js';
import { CONTAINERS, jobIdFor, planMessageId, type InputRef } from '../../core/jobNaming.js';
import { PreconditionFailedError } from '../../core/errors.js';
import type { JobRecord } from '../../ports/jobLedger.js';
import { JOB_KIND, type AnomalyDeps, type AnomalyMessage } from './deps.js';

/**
 * A blob arrived in the inbox: create its job (idempotent: the job id comes from the blob's
 * name and ETag) and queue its planning. Returns the job, new or existing.
 */
export async function submitJob(deps: Pick<AnomalyDeps, 'blobs' | 'queue' | 'ledger' | 'log'>, blob: { container?: string; name: string }): Promise<JobRecord> {
  const container = blob.container ?? CONTAINERS.inbox;
  const props = await deps.blobs.head(container, blob.name);
  if (!props) throw new InputError(`${container}/${blob.name}`, 'no such blob');
  const input: InputRef = { container, name: blob.name, etag: props.etag };
  const jobId = jobIdFor(input);
  let job = await deps.ledger.getJob(jobId);
  if (!job) {
    try {
      job = await deps.ledger.createJob({
        jobId,
        kind: JOB_KIND,
        input: { container, name: blob.name, etag: props.etag, size: String(props.size) },
        counts: {},
        detail: { submittedAt: new Date().toISOString() },
      });
      deps.log.info('job created', { jobId, input: `${container}/${blob.name}`, etag: props.etag });
    } catch (error) {
      if (!(error instanceof PreconditionFailedError)) throw error;
      job = await deps.ledger.getJob(jobId);
      if (!job) throw error;
    }
  }
  if (job.state === 'planning') {
    // Re-sending is safe: duplicate detection drops it if planning is already queued.
    const message: AnomalyMessage = { kind: 'plan', jobId };
    await deps.queue.send([{ messageId: planMessageId(jobId), body: message, subject: 'plan' }]);
  }
  return job;
}
