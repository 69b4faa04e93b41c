import { InputError, PreconditionFailedError } from '../core/errors.js';
import {
  CONTAINERS,
  JOB_KINDS,
  JOB_OPTION_KEYS,
  jobIdFor,
  jobKindOf,
  planMessageId,
  type InputRef,
} from '../core/jobNaming.js';
import type { JobRecord } from '../ports/jobLedger.js';
import { lifecycleQueue, telemetryOf, type JobDeps, type LifecycleMessage } from './jobDeps.js';

/**
 * A blob arrived in the inbox: create its job (idempotent: the job id comes from the blob's
 * name and ETag) and queue its planning. The job's kind comes from the input's type; an input no
 * kind takes still gets a job, failed with the reason, so it shows in the ledger instead of
 * vanishing. Blob metadata `model`, `fit` and `on_shard_error` travel with the job.
 */
export function submitJob(
  deps: Pick<JobDeps, 'blobs' | 'queue' | 'control' | 'ledger' | 'log' | 'telemetry'>,
  blob: { container?: string; name: string },
): Promise<JobRecord> {
  const container = blob.container ?? CONTAINERS.inbox;
  // The job's trace starts here (under the trigger's span where the entry point has one).
  return telemetryOf(deps).inSpan('submit job', { 'tessera.input': `${container}/${blob.name}` }, async (span) => {
    const job = await submit(deps, container, blob.name);
    span.setAttributes({ 'tessera.job.id': job.jobId, 'tessera.job.kind': job.kind, 'tessera.job.state': job.state });
    return job;
  });
}

async function submit(
  deps: Pick<JobDeps, 'blobs' | 'queue' | 'control' | 'ledger' | 'log'>,
  container: string,
  name: string,
): Promise<JobRecord> {
  const blob = { name };
  const props = await deps.blobs.head(container, blob.name);
  if (!props) throw new InputError(`${container}/${blob.name}`, 'no such blob');
  const input: InputRef = { container, name: blob.name, etag: props.etag };
  const jobId = jobIdFor(input);
  let job = await deps.ledger.getJob(jobId);
  if (!job) {
    const kind = jobKindOf(blob.name);
    const options: Record<string, string> = {};
    for (const key of JOB_OPTION_KEYS) if (props.metadata[key] !== undefined) options[key] = props.metadata[key];
    try {
      job = await deps.ledger.createJob({
        jobId,
        kind: kind ?? 'unknown',
        input: { container, name: blob.name, etag: props.etag, size: String(props.size), ...options },
        counts: {},
        detail: { submittedAt: new Date().toISOString() },
      });
      deps.log.info('job created', { jobId, kind: job.kind, input: `${container}/${blob.name}`, etag: props.etag });
      if (!kind) {
        const reason = `${container}/${blob.name}: no job kind takes this input (expected ${Object.values(JOB_KINDS).flat().join(', ')})`;
        job = await deps.ledger.updateJob(jobId, { state: 'failed', error: reason }, job.etag);
      }
    } catch (error) {
      if (!(error instanceof PreconditionFailedError)) throw error;
      job = await deps.ledger.getJob(jobId);
      if (!job) throw error;
    }
  }
  if (job.state === 'planning') {
    // Re-sending is safe: duplicate detection drops it if planning is already queued.
    const message: LifecycleMessage = { kind: 'plan', jobId };
    await lifecycleQueue(deps).send([{ messageId: planMessageId(jobId), body: message, subject: 'plan' }]);
  }
  return job;
}
