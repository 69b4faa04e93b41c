import { app, type InvocationContext, type Timer } from '@azure/functions';
import { reconciler } from '../../../src/usecases/scheduledWork.js';
import { contextFor } from '../context.js';
import { tracedHandler } from '../tracedHandler.js';

/** One reconciler per process, so its dead-letter cursors carry from tick to tick (a cold start sweeps from 0). */
let reconcile: ReturnType<typeof reconciler> | undefined;

/**
 * Every minute, what the embedded runtime's reconciler does (scheduledWork.ts), so no job waits
 * forever in Azure either: the dead-letter subqueues of both queues are swept into the ledger
 * (Service Bus dead-letters a message on its own when lock expiries use up its delivery count: a
 * scorer pod killed mid-shard again and again, a Functions instance recycled mid-invocation), and
 * jobs a crash left between two steps are nudged. Idempotent, so overlapping or repeated ticks do no
 * harm. A queue whose dead letters this app may not read (infra's functionsCanRedrive off) is
 * skipped with a warning, not retried.
 */
async function reconcileTimerHandler(_timer: Timer, invocation: InvocationContext): Promise<void> {
  const ctx = await contextFor(invocation);
  const lock = ctx.settings.config.lockDurationMs;
  reconcile ??= reconciler({ staleJobMs: lock * 2, staleShardMs: lock * 2 });
  const result = await reconcile.tick(ctx.deps, [ctx.queue, ctx.control]);
  ctx.log.info('reconciled', {
    fullSweep: result.fullSweep,
    nudged: result.nudged,
    ...Object.fromEntries(Object.entries(result.deadLetterCursors).map(([q, n]) => [`deadLetterCursor_${q}`, n])),
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
