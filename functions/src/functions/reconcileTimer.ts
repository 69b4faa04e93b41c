import { app, type InvocationContext, type Timer } from '@azure/functions';
import { PermanentError, ensureError } from '../../../src/core/errors.js';
import type { WorkQueue } from '../../../src/ports/workQueue.js';
import { sweepDeadLetters } from '../../../src/usecases/deadLetters.js';
import { reconcileJobs } from '../../../src/usecases/reconcileJobs.js';
import { contextFor } from '../context.js';
import { tracedHandler } from '../tracedHandler.js';

/** Where the last sweep of each dead-letter subqueue ended (per process; a cold start sweeps from 0). */
const cursors = new Map<string, number>();
let ticks = 0;

/**
 * Every minute, what the embedded runtime's reconciler does, so no job waits forever in Azure either:
 * - sweeps the dead-letter subqueues of both queues into the ledger. Service Bus dead-letters a
 *   message on its own when its delivery count runs out through lock expiries (a scorer pod killed
 *   mid-shard, again and again, or a Functions instance recycled mid-invocation), and nobody else
 *   tells the ledger: the shard is marked failed and its job fans in, a plan or finish fails its job.
 *   Messages reach a dead-letter subqueue out of sequence order, so every 30th tick sweeps it whole;
 * - nudges jobs a crash left between two steps (reconcileJobs): a lost plan, finish or shard message
 *   is sent again, under an id of its own, and only while the work queue is empty.
 * Both are idempotent, so overlapping or repeated ticks do no harm. A queue whose dead letters this
 * app may not read (infra's functionsCanRedrive off) is skipped with a warning, not retried.
 */
async function reconcileTimerHandler(_timer: Timer, invocation: InvocationContext): Promise<void> {
  const ctx = await contextFor(invocation);
  const full = ticks++ % 30 === 0;
  const swept: Record<string, number> = {}; // queue → the dead-letter sequence number the next sweep starts from
  for (const queue of [ctx.queue, ctx.control] as WorkQueue[]) {
    try {
      const from = full ? 0 : (cursors.get(queue.name) ?? 0);
      const next = await sweepDeadLetters({ ...ctx.deps, queue }, from);
      cursors.set(queue.name, next);
      swept[queue.name] = next;
    } catch (error) {
      if (!(error instanceof PermanentError)) throw error;
      ctx.log.warn("cannot sweep this queue's dead letters", { queue: queue.name, error: ensureError(error).message });
    }
  }
  const lock = ctx.settings.config.lockDurationMs;
  const nudged = await reconcileJobs(ctx.deps, { staleJobMs: lock * 2, staleShardMs: lock * 2 });
  ctx.log.info('reconciled', {
    fullSweep: full,
    nudged,
    ...Object.fromEntries(Object.entries(swept).map(([q, n]) => [`deadLetterCursor_${q}`, n])),
  });
}

/** The handler as registered: the invocation in its own span (tracedHandler.ts). */
export const reconcileTimer = tracedHandler('timer', 'reconcileTimer', reconcileTimerHandler);

// Every minute, on the minute; no retry policy: the next tick is the retry.
app.timer('reconcileTimer', {
  schedule: '0 */1 * * * *',
  runOnStartup: false,
  useMonitor: true,
  handler: reconcileTimer,
});
