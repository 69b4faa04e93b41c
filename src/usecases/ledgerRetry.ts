import { NotFoundError, PreconditionFailedError } from '../core/errors.js';
import type { JobLedger, JobPatch, JobRecord, ShardPatch, ShardRecord } from '../ports/jobLedger.js';

/**
 * Read-modify-write of a job under its ETag, retried when another writer got there first.
 * `change` sees the fresh record and returns a patch, or undefined to leave it as it is.
 */
export async function updateJobWithRetry(
  ledger: JobLedger,
  jobId: string,
  change: (job: JobRecord) => JobPatch | undefined,
  attempts = 20,
): Promise<JobRecord> {
  for (let i = 0; ; i++) {
    const job = await ledger.getJob(jobId);
    if (!job) throw new NotFoundError(`job ${jobId}`);
    const patch = change(job);
    if (!patch) return job;
    try {
      return await ledger.updateJob(jobId, patch, job.etag);
    } catch (error) {
      if (!(error instanceof PreconditionFailedError) || i >= attempts) throw error;
    }
  }
}

export async function updateShardWithRetry(
  ledger: JobLedger,
  jobId: string,
  shardId: string,
  change: (shard: ShardRecord) => ShardPatch | undefined,
  attempts = 20,
): Promise<ShardRecord> {
  for (let i = 0; ; i++) {
    const shard = await ledger.getShard(jobId, shardId);
    if (!shard) throw new NotFoundError(`shard ${shardId} of job ${jobId}`);
    const patch = change(shard);
    if (!patch) return shard;
    try {
      return await ledger.updateShard(jobId, shardId, patch, shard.etag);
    } catch (error) {
      if (!(error instanceof PreconditionFailedError) || i >= attempts) throw error;
    }
  }
}
