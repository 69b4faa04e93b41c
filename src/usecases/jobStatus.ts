import type { JobLedger, JobRecord, ShardRecord } from '../ports/jobLedger.js';

export interface JobProgress {
  readonly job: JobRecord;
  readonly shards: { readonly total: number; readonly done: number; readonly failed: number; readonly running: number };
  /** Input rows in shards that are done. */
  readonly rowsDone: number;
  readonly failedShards: readonly Pick<ShardRecord, 'shardId' | 'error'>[];
}

/** A job with its shard counts: what `status` and the progress bar show. */
export async function getJobProgress(ledger: JobLedger, jobId: string): Promise<JobProgress | undefined> {
  const job = await ledger.getJob(jobId);
  if (!job) return undefined;
  const shards = await ledger.listShards(jobId);
  let done = 0,
    failed = 0,
    running = 0,
    rowsDone = 0;
  for (const s of shards) {
    if (s.state === 'succeeded') {
      done += 1;
      rowsDone += s.counts.rows ?? 0;
    } else if (s.state === 'failed') failed += 1;
    else if (s.state === 'running') running += 1;
  }
  return {
    job,
    shards: { total: job.shardsTotal, done, failed, running },
    rowsDone,
    failedShards: shards.filter((s) => s.state === 'failed').map((s) => ({ shardId: s.shardId, error: s.error })),
  };
}
