import { CONTAINERS, resultBlobName } from '../core/jobNaming.js';
import type { BlobStore } from '../ports/blobStore.js';
import { TERMINAL_JOB_STATES, type JobRecord } from '../ports/jobLedger.js';
import { detailOf } from './jobDetail.js';

/** Writes a job's summary.json. */
export function writeSummary(blobs: BlobStore, jobId: string, summary: unknown): Promise<void> {
  return blobs
    .put(CONTAINERS.results, resultBlobName(jobId, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`, {
      contentType: 'application/json',
    })
    .then(() => undefined);
}

/**
 * Writes a terminal job's summary.json again from its record: the summary its ending stored in the
 * ledger (`detail.summary`). A finish calls it when it finds the job already ended, whether it lost
 * the race to end it (its own summary may have landed after the ending's) or was redelivered after
 * (an earlier rewrite may have failed): summary.json then agrees with the ledger. Returns whether it
 * wrote; a job that is not terminal, or ended without a summary (a dead-lettered plan), is left alone.
 */
export async function restoreSummary(blobs: BlobStore, job: JobRecord): Promise<boolean> {
  const stored = detailOf(job).summary;
  if (
    !TERMINAL_JOB_STATES.includes(job.state) ||
    stored === null ||
    typeof stored !== 'object' ||
    Array.isArray(stored)
  )
    return false;
  await writeSummary(blobs, job.jobId, stored);
  return true;
}
