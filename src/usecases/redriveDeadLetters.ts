import type { DeadLetteredMessage } from '../ports/workQueue.js';
import type { JobDeps } from './jobDeps.js';
import { decodeEnvelope } from './jobMessages.js';
import { updateJobWithRetry, updateShardWithRetry } from './ledgerRetry.js';

/**
 * Re-drives dead-lettered messages (all, or the given sequence numbers) once their cause is fixed
 * (an outage, a missing part, a model blob restored). Their shards go back to pending and their
 * job back to running, so the job finishes again with the re-scored shards included.
 */
export async function redriveDeadLetters(
  deps: Pick<JobDeps, 'ledger' | 'queue' | 'log'>,
  sequenceNumbers?: readonly number[],
): Promise<number> {
  const wanted = sequenceNumbers ? new Set(sequenceNumbers) : undefined;
  const selected: DeadLetteredMessage[] = [];
  for (let from = 0; ;) {
    const batch = await deps.queue.peekDeadLetters({ maxMessages: 100, fromSequenceNumber: from });
    selected.push(...batch.filter((m) => !wanted || wanted.has(m.sequenceNumber)));
    if (batch.length < 100) break;
    from = (batch[batch.length - 1]?.sequenceNumber ?? from) + 1;
  }
  for (const m of selected) {
    let msg;
    try {
      msg = decodeEnvelope(m.body);
    } catch {
      continue;
    }
    if (msg.shardId !== undefined) {
      const shardId = msg.shardId;
      await updateShardWithRetry(deps.ledger, msg.jobId, shardId, (s) =>
        s.state === 'failed' ? { state: 'pending', error: undefined } : undefined,
      );
      await updateJobWithRetry(deps.ledger, msg.jobId, (j) =>
        j.state === 'failed' || j.state === 'finishing' ? { state: 'running', error: undefined } : undefined,
      );
    } else if (msg.kind === 'plan') {
      await updateJobWithRetry(deps.ledger, msg.jobId, (j) =>
        j.state === 'failed' ? { state: 'planning', error: undefined } : undefined,
      );
    } else {
      await updateJobWithRetry(deps.ledger, msg.jobId, (j) =>
        j.state === 'failed' ? { state: 'finishing', error: undefined } : undefined,
      );
    }
  }
  const moved = await deps.queue.redrive(selected.map((m) => m.sequenceNumber));
  deps.log.info('dead letters re-driven', { count: moved });
  return moved;
}
