import type { JobDeps } from './jobDeps.js';
import { decodeEnvelope } from './jobMessages.js';

/**
 * Plan and finish messages of the job kinds that need the workers' tools (in Azure: video, whose
 * plan probes and whose finish stitches with ffmpeg, which the Functions app lacks) go on to the
 * work queue, where a worker's dispatcher runs them, under the same message id, so a redelivery
 * forwards nothing twice. Returns whether it forwarded; anything else is the caller's to dispatch.
 */
export async function forwardLifecycleToWorkers(
  deps: Pick<JobDeps, 'ledger' | 'queue' | 'log'>,
  body: unknown,
  messageId: string,
  workerKinds: readonly string[],
): Promise<boolean> {
  if (workerKinds.length === 0) return false;
  const envelope = decodeEnvelope(body);
  if (envelope.kind !== 'plan' && envelope.kind !== 'finish') return false;
  const job = await deps.ledger.getJob(envelope.jobId);
  if (!job || !workerKinds.includes(job.kind)) return false;
  await deps.queue.send([{ messageId, body: { kind: envelope.kind, jobId: envelope.jobId }, subject: envelope.kind }]);
  deps.log.info('control message forwarded to the workers', {
    messageId,
    jobId: job.jobId,
    jobKind: job.kind,
    kind: envelope.kind,
  });
  return true;
}
