import { InputError, NotFoundError, PreconditionFailedError } from '../../core/errors.js';
import { planMessageId } from '../../core/jobNaming.js';
import type { JobLedger, JobRecord } from '../../ports/jobLedger.js';
import { lifecycleQueue, type JobDeps, type LifecycleMessage } from '../jobDeps.js';
import { detailOf } from '../jobDetail.js';
import { updateJobWithRetry } from '../ledgerRetry.js';
import { JobStateConflictError } from './conflictError.js';

/** Kinds a retry can run again: those planned from an input blob. */
const RETRIABLE_KINDS = ['anomaly', 'video'];

/**
 * A retry's job id: the first attempt's id with `-<attempt>` (`j…-2`, `j…-3`). A job's id stays
 * derived from its input blob version (the same version never makes a second job by accident);
 * an explicit retry is a new attempt with an id of its own, so none of the failed attempt's
 * shards, outputs or messages (all named from the job id) are reused or need deleting.
 */
export function retryJobId(firstAttemptId: string, attempt: number): string {
  return `${firstAttemptId}-${attempt}`;
}

/** The newest attempt of a job: follows `retriedBy` from any attempt. */
export async function latestAttempt(ledger: JobLedger, job: JobRecord): Promise<JobRecord> {
  let current = job;
  for (let hops = 0; hops < 1000; hops++) {
    const next = detailOf(current).retriedBy;
    if (typeof next !== 'string') return current;
    const found = await ledger.getJob(next);
    if (!found) return current;
    current = found;
  }
  return current;
}

/**
 * Runs a failed job again, explicitly: a new attempt over the same input blob version (checked to
 * be unchanged), with the same options, planned from scratch. The failed attempt stays as it was,
 * with `retriedBy` naming the new one (which names it in `retryOf`). Retrying an attempt that was
 * already retried returns the newest attempt unless that one failed too, so a repeated request
 * makes no second job. A job that has not failed, a stream run (the next run scores what a failed
 * run left) or an input no kind takes is a JobStateConflictError saying why.
 */
export async function retryJob(
  deps: Pick<JobDeps, 'ledger' | 'blobs' | 'queue' | 'control' | 'log'>,
  jobId: string,
): Promise<JobRecord> {
  const asked = await deps.ledger.getJob(jobId);
  if (!asked) throw new NotFoundError(`job ${jobId}`);
  const latest = await latestAttempt(deps.ledger, asked);
  if (latest.state !== 'failed') {
    if (latest.jobId !== asked.jobId) return latest;
    throw new JobStateConflictError(`job ${jobId} is ${latest.state}: only a failed job can be retried`);
  }
  if (!RETRIABLE_KINDS.includes(latest.kind))
    throw new JobStateConflictError(
      latest.kind === 'stream'
        ? `job ${jobId} is a stream run: the next scheduled run scores the windows a failed run left`
        : `job ${jobId} is of kind ${latest.kind}: no job kind takes its input, so a retry would fail the same way`,
    );
  const { container = '', name = '', etag = '' } = latest.input;
  const blob = await deps.blobs.head(container, name);
  if (!blob || blob.etag !== etag)
    throw new InputError(
      `${container}/${name}`,
      blob ? 'the blob changed after this job was submitted: submit the new version instead' : 'no such blob any more',
    );
  const recorded = detailOf(latest).firstAttempt;
  const first = typeof recorded === 'string' ? recorded : latest.jobId;
  const attempt = (typeof detailOf(latest).attempt === 'number' ? Number(detailOf(latest).attempt) : 1) + 1;
  const next = await createAttempt(deps, latest, retryJobId(first, attempt), { firstAttempt: first, attempt });
  await updateJobWithRetry(deps.ledger, latest.jobId, (j) =>
    detailOf(j).retriedBy === next.jobId ? undefined : { detail: { ...detailOf(j), retriedBy: next.jobId } },
  );
  if (next.state === 'planning') {
    const message: LifecycleMessage = { kind: 'plan', jobId: next.jobId };
    await lifecycleQueue(deps).send([{ messageId: planMessageId(next.jobId), body: message, subject: 'plan' }]);
  }
  deps.log.info('job retried', { jobId: next.jobId, retryOf: latest.jobId, attempt });
  return next;
}

async function createAttempt(
  deps: Pick<JobDeps, 'ledger'>,
  failed: JobRecord,
  jobId: string,
  lineage: { firstAttempt: string; attempt: number },
): Promise<JobRecord> {
  try {
    return await deps.ledger.createJob({
      jobId,
      kind: failed.kind,
      input: failed.input,
      counts: {},
      detail: { submittedAt: new Date().toISOString(), retryOf: failed.jobId, ...lineage },
    });
  } catch (error) {
    // Two retries raced: the other one created this attempt.
    if (!(error instanceof PreconditionFailedError)) throw error;
    const existing = await deps.ledger.getJob(jobId);
    if (!existing) throw error;
    return existing;
  }
}
