import { TERMINAL_JOB_STATES, TERMINAL_SHARD_STATES } from '../ports/jobLedger.js';
import type { DeadLetteredMessage } from '../ports/workQueue.js';
import { fanIn } from './fanIn.js';
import type { JobDeps } from './jobDeps.js';
import { decodeEnvelope } from './jobMessages.js';
import { updateJobWithRetry, updateShardWithRetry } from './ledgerRetry.js';

/**
 * Records in the ledger that a message was dead-lettered, so its job never waits for it:
 * a dead shard is marked failed with the reason (and the job fans in), a dead plan or finish
 * fails the job. Idempotent, and a failed shard's job may be of any kind.
 */
export async function recordDeadLetter(
  deps: Pick<JobDeps, 'ledger' | 'queue' | 'control' | 'log'>,
  body: unknown,
  reason: string,
  description: string,
  deadLetteredAt: Date = new Date(),
): Promise<void> {
  let msg;
  try {
    msg = decodeEnvelope(body);
  } catch {
    deps.log.warn('dead-lettered message names no job', { reason, description });
    return;
  }
  const why = `${reason}: ${description}`;
  const job = await deps.ledger.getJob(msg.jobId);
  if (!job) return;
  if (msg.shardId !== undefined) {
    const shardId = msg.shardId;
    const shard = await deps.ledger.getShard(msg.jobId, shardId);
    // A shard changed after its message was dead-lettered (re-driven back to pending) has moved on:
    // this dead letter is the one being re-driven, and must not fail it again.
    const movedOn = (s: { updatedAt: Date }) => s.updatedAt.getTime() > deadLetteredAt.getTime();
    if (shard && !TERMINAL_SHARD_STATES.includes(shard.state) && !movedOn(shard)) {
      await updateShardWithRetry(deps.ledger, msg.jobId, shardId, (s) =>
        TERMINAL_SHARD_STATES.includes(s.state) || movedOn(s) ? undefined : { state: 'failed', error: why },
      );
      deps.log.warn('shard dead-lettered', { jobId: msg.jobId, shardId, reason: why });
    }
    await fanIn(deps, msg.jobId);
  } else if (!TERMINAL_JOB_STATES.includes(job.state)) {
    await updateJobWithRetry(deps.ledger, msg.jobId, (j) =>
      TERMINAL_JOB_STATES.includes(j.state) ? undefined : { state: 'failed', error: `${msg.kind} failed: ${why}` },
    );
    deps.log.warn('job failed: its message was dead-lettered', { jobId: msg.jobId, reason: why });
  }
}

/** Sweeps the dead-letter queue from `fromSequenceNumber`; returns the next sequence number to sweep from. */
export async function sweepDeadLetters(
  deps: Pick<JobDeps, 'ledger' | 'queue' | 'control' | 'log'>,
  fromSequenceNumber = 0,
): Promise<number> {
  let next = fromSequenceNumber;
  for (;;) {
    const batch: DeadLetteredMessage[] = await deps.queue.peekDeadLetters({
      maxMessages: 100,
      fromSequenceNumber: next,
    });
    for (const m of batch) {
      await recordDeadLetter(deps, m.body, m.deadLetterReason, m.deadLetterErrorDescription, m.deadLetteredAt);
      next = Math.max(next, m.sequenceNumber + 1);
    }
    if (batch.length < 100) return next;
  }
}
