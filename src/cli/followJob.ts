import { TERMINAL_JOB_STATES, type JobLedger } from '../ports/jobLedger.js';
import { delay } from '../lib/delay.js';
import { getJobProgress, type JobProgress } from '../usecases/jobStatus.js';
import { createProgressView } from './progress.js';

/**
 * Polls a job until it ends, drawing its progress on `err`. `check` runs on every poll: it may
 * throw to stop following (e.g. the runtime doing the work went away) or repair that.
 */
export async function followJob(
  ledger: JobLedger,
  jobId: string,
  err: NodeJS.WriteStream,
  check?: () => Promise<void>,
  pollMs = 200,
): Promise<JobProgress> {
  const first = await ledger.getJob(jobId);
  const view = createProgressView(err, jobId, first?.kind === 'video' ? 'frames' : 'rows');
  try {
    for (let first = true; ; first = false) {
      const progress = await getJobProgress(ledger, jobId);
      if (!progress) throw new Error(`job ${jobId} vanished from the ledger`);
      // A job that had already ended needs no progress bar (and has no meaningful rate).
      if (first && TERMINAL_JOB_STATES.includes(progress.job.state)) return progress;
      view.update({
        phase: progress.job.state,
        done: progress.shards.done + progress.shards.failed,
        total: progress.shards.total,
        rows: progress.rowsDone,
        failed: progress.shards.failed,
      });
      if (TERMINAL_JOB_STATES.includes(progress.job.state)) return progress;
      await check?.();
      await delay(pollMs);
    }
  } finally {
    view.end();
  }
}
