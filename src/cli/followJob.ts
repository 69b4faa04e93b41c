import { delay } from '../lib/delay.js';
import type { ApiClient, JobDetail } from './apiClient.js';
import { createProgressView } from './progress.js';

const ended = (state: string) => state === 'succeeded' || state === 'failed';

/**
 * Follows a job through the API until it ends, drawing its progress on `err`. `check` runs on
 * every poll: it may throw to stop following (e.g. the local runtime doing the work went away).
 */
export async function followJob(
  client: ApiClient,
  jobId: string,
  err: NodeJS.WriteStream,
  options: { check?: () => Promise<void>; pollMs?: number } = {},
): Promise<JobDetail> {
  let detail = await client.getJob(jobId);
  // A job that had already ended needs no progress bar (and has no meaningful rate).
  if (ended(detail.job.state)) return detail;
  const view = createProgressView(err, jobId, detail.job.kind === 'video' ? 'frames' : 'rows');
  try {
    for (;;) {
      const s = detail.job.progress.shards;
      const unit = detail.job.kind === 'video' ? 'frames' : 'rows';
      view.update({
        phase: detail.job.state,
        done: s.succeeded + s.failed,
        total: s.total,
        rows: detail.shards.reduce((n, x) => n + (x.state === 'succeeded' ? (x.counts[unit] ?? 0) : 0), 0),
        failed: s.failed,
      });
      if (ended(detail.job.state)) return detail;
      await options.check?.();
      await delay(options.pollMs ?? 200);
      detail = await client.getJob(jobId);
    }
  } finally {
    view.end();
  }
}
