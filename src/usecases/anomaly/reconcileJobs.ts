import { finishMessageId, planMessageId } from '../../core/jobNaming.js';
import type { AnomalyDeps, AnomalyMessage } from './deps.js';
import { fanIn } from './scoreShard.js';

/**
 * Nudges jobs that a crash left between two steps: a planning job whose plan message was never
 * sent, a running job whose last shard finished without fanning in, a finishing job whose finish
 * message was lost. Only jobs untouched for `staleMs` are nudged; every nudge is idempotent.
 */
export async function reconcileJobs(deps: Pick<AnomalyDeps, 'ledger' | 'queue' | 'log'>, staleMs: number, now = Date.now()): Promise<number> {
  let nudged = 0;
  for (const state of ['planning', 'running', 'finishing'] as const) {
    for (const job of await deps.ledger.listJobs({ state, limit: 1000 })) {
      if (now - job.updatedAt.getTime() < staleMs) continue;
      if (state === 'planning') {
        await deps.queue.send([{ messageId: planMessageId(job.jobId), body: { kind: 'plan', jobId: job.jobId } satisfies AnomalyMessage, subject: 'plan' }]);
      } else if (state === 'running') {
        await fanIn(deps, job.jobId);
      } else {
        await deps.queue.send([{ messageId: finishMessageId(job.jobId, job.etag), body: { kind: 'finish', jobId: job.jobId } satisfies AnomalyMessage, subject: 'finish' }]);
      }
      nudged += 1;
    }
  }
  return nudged;
}
