import { shardOutputName } from '../../core/jobNaming.js';
import { SCORE_HEADER, isAnomalyLine } from '../../core/scoreRows.js';
import { detailOf } from '../jobDetail.js';
import { sumCounts as sum, type Ending, type FinishContext } from '../jobKind.js';
import { resultLinks, writeCsvResults } from '../resultCsv.js';
import type { AnomalyDeps } from './deps.js';

/**
 * An anomaly job's results: scores.csv (every window, in shard order), anomalies.csv (label -1)
 * and its part of summary.json. A job with failed (dead-lettered) shards still gets the results
 * of the others, and fails with the shards and reasons named.
 */
export async function finishAnomalyJob(deps: AnomalyDeps, ctx: FinishContext): Promise<Ending> {
  const { job, succeeded, failed, shards } = ctx;
  const outputs = succeeded.map((s) => shardOutputName(job.jobId, s.shardId));
  await writeCsvResults(deps.blobs, job.jobId, outputs, SCORE_HEADER, isAnomalyLine);
  const windows = sum(succeeded, 'windows');
  const anomalies = sum(succeeded, 'anomalies');
  const rows = job.counts.rows ?? 0;
  const seconds = Math.max(1e-3, (Date.now() - job.createdAt.getTime()) / 1000);
  const detail = detailOf(job);
  const error =
    failed.length === 0
      ? undefined
      : `${failed.length} of ${shards.length} shards failed: ${failed
          .slice(0, 5)
          .map((s) => `${s.shardId} (${s.error ?? 'unknown'})`)
          .join('; ')}`;
  return {
    state: failed.length === 0 ? 'succeeded' : 'failed',
    error,
    counts: { windows, anomalies },
    summary: {
      rows,
      badRows: job.counts.badRows ?? 0,
      series: job.counts.series ?? 0,
      windows,
      anomalies,
      errors: detail.errors ?? null,
      models: detail.models ?? [],
      rowsPerSecond: rows / seconds,
      results: resultLinks(job.jobId),
    },
  };
}
