import { createHash } from 'node:crypto';
import { PreconditionFailedError } from '../../core/errors.js';
import { planMessageId } from '../../core/jobNaming.js';
import type { JobRecord } from '../../ports/jobLedger.js';
import { lifecycleQueue, telemetryOf, type JobDeps, type LifecycleMessage } from '../jobDeps.js';
import { STREAM_JOB_KIND } from './deps.js';

/** The run of one schedule tick: its id comes from the tick, so a tick never makes two runs. */
export function streamRunId(tickMs: number): string {
  return `s${createHash('sha256')
    .update(`stream:${new Date(tickMs).toISOString()}`)
    .digest('hex')
    .slice(0, 20)}`;
}

/**
 * A schedule tick: starts the scoring run of the windows closed since the last successful run.
 * Runs never overlap: while one is unfinished, the tick is skipped, and the next tick picks up
 * whatever is still unscored (a missed or failed run is caught up, never scored twice).
 */
export function startStreamRun(
  deps: Pick<JobDeps, 'ledger' | 'queue' | 'control' | 'log' | 'telemetry'>,
  tickMs: number,
): Promise<JobRecord | undefined> {
  return telemetryOf(deps).inSpan(
    'start stream run',
    { 'tessera.tick': new Date(tickMs).toISOString() },
    async (span) => {
      const job = await start(deps, tickMs);
      span.setAttribute('tessera.job.id', job?.jobId ?? '');
      if (!job) span.setAttribute('tessera.skipped', true);
      return job;
    },
  );
}

async function start(
  deps: Pick<JobDeps, 'ledger' | 'queue' | 'control' | 'log'>,
  tickMs: number,
): Promise<JobRecord | undefined> {
  const jobId = streamRunId(tickMs);
  const existing = await deps.ledger.getJob(jobId);
  if (existing) return existing;
  for (const state of ['planning', 'running', 'finishing'] as const) {
    const active = await deps.ledger.listJobs({ state, kind: STREAM_JOB_KIND, limit: 1 });
    if (active.length > 0) {
      deps.log.info('stream run skipped: another run is unfinished', {
        tick: new Date(tickMs).toISOString(),
        active: active[0]?.jobId,
      });
      return undefined;
    }
  }
  let job: JobRecord;
  try {
    job = await deps.ledger.createJob({
      jobId,
      kind: STREAM_JOB_KIND,
      input: { tick: new Date(tickMs).toISOString() },
      counts: {},
      detail: { submittedAt: new Date().toISOString() },
    });
  } catch (error) {
    if (!(error instanceof PreconditionFailedError)) throw error;
    return deps.ledger.getJob(jobId);
  }
  const body: LifecycleMessage = { kind: 'plan', jobId };
  await lifecycleQueue(deps).send([{ messageId: planMessageId(jobId), body, subject: 'plan' }]);
  deps.log.info('stream run started', { jobId, tick: job.input.tick });
  return job;
}
