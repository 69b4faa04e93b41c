import { app, type InvocationContext, type Timer } from '@azure/functions';
import { DEFAULT_SCORE_CRON, scoreCronOf } from '../../../src/config/config.js';
import { PermanentError } from '../../../src/core/errors.js';
import { scoreSchedule } from '../../../src/usecases/scheduledWork.js';
import { contextFor } from '../context.js';
import { tracedHandler } from '../tracedHandler.js';

/**
 * The Functions form of TESSERA_SCORE_CRON: NCRONTAB's six fields written from the schedule as
 * core/cron.ts parsed it (`0 * * * *` → `0 0 * * * *`, `@daily` → `0 0 0 * * *`, `0 9 * * MON-FRI`
 * → `0 0 9 * * 1-5`), so the host fires exactly when the code's tick expects. Throws InputError
 * naming TESSERA_SCORE_CRON for a bad expression, so the app fails at indexing instead of never firing.
 */
export function ncrontabSchedule(cron: string): string {
  return scoreCronOf({ scoreCron: cron }).ncrontab;
}

/**
 * The score schedule's tick: starts the stream run over the window batches no successful run has
 * scored, when there are any. The run's id comes from the tick (the schedule's last occurrence at
 * or before now), so a retried or duplicated invocation of one tick starts one run; a past-due
 * invocation is the latest tick and catches up whatever the missed ones left (startStreamRun).
 */
async function scoreTimerHandler(timer: Timer, invocation: InvocationContext): Promise<void> {
  const ctx = await contextFor(invocation);
  if (!ctx.stream)
    throw new PermanentError('the sensor stream is not configured: the Functions context opened no event log');
  // A schedule per invocation: the host calls once per occurrence, and startStreamRun makes one run per tick.
  const tick = await scoreSchedule(ctx.stream.deps, scoreCronOf(ctx.settings.config)).tick(Date.now());
  const fields = {
    tick: tick ? new Date(tick.tick).toISOString() : undefined,
    pastDue: timer.isPastDue,
    batches: tick?.batches,
    scoreablePending: tick?.scoreablePending,
  };
  if (!tick?.run) ctx.log.info('score tick: no unscored window batches (or pending windows with a model)', fields);
  else ctx.log.info('score tick', { ...fields, jobId: tick.run.jobId, state: tick.run.state });
}

/** The handler as registered: the invocation in its own span (tracedHandler.ts). */
export const scoreTimer = tracedHandler('timer', 'scoreTimer', scoreTimerHandler);

// The schedule is read once, at indexing, from the same setting the code's tick uses (process.env
// is the app settings here). runOnStartup stays false: a restart must not start a run between ticks.
app.timer('scoreTimer', {
  schedule: ncrontabSchedule(process.env['TESSERA_SCORE_CRON'] || DEFAULT_SCORE_CRON),
  runOnStartup: false,
  useMonitor: true,
  retry: { strategy: 'exponentialBackoff', maxRetryCount: 5, minimumInterval: 1000, maximumInterval: 60000 },
  handler: scoreTimer,
});
