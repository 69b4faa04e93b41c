import { PermanentError } from '../../core/errors.js';
import { CONTAINERS, shardOutputName } from '../../core/jobNaming.js';
import { SCORE_HEADER } from '../../core/scoreRows.js';
import { detailOf } from '../jobDetail.js';
import { sumCounts as sum, type Ending, type FinishContext } from '../jobKind.js';
import { resultLinks, writeSplitResults } from '../resultCsv.js';
import { readShardOutputCounts } from '../shardOutput.js';
import type { AnomalyDeps } from './deps.js';

/**
 * An anomaly job's results: scores.csv (every window, in shard order) and anomalies.csv (label -1),
 * each the shards' outputs joined byte for byte (each output read once), and its part of
 * summary.json. A job with failed (dead-lettered) shards still gets the results of the others, and
 * fails with the shards and reasons named.
 */
export async function finishAnomalyJob(deps: AnomalyDeps, ctx: FinishContext): Promise<Ending> {
  const { job, succeeded, failed, shards } = ctx;
  // In shard id order (series, then time), as the ledger lists them.
  const outputs = await Promise.all(
    succeeded.map(async (s) => {
      const name = shardOutputName(job.jobId, s.shardId);
      const scoreBytes =
        s.counts.scoreBytes ?? readShardOutputCounts(await deps.blobs.head(CONTAINERS.work, name))?.scoreBytes;
      if (scoreBytes === undefined)
        throw new PermanentError(
          `shard ${s.shardId}: its output ${CONTAINERS.work}/${name} does not say where its anomalies start`,
        );
      return { name, scoreBytes };
    }),
  );
  await writeSplitResults(
    deps.blobs,
    job.jobId,
    ['scores.csv', 'anomalies.csv'],
    SCORE_HEADER,
    outputs.map((o) => ({ name: o.name, split: o.scoreBytes })),
  );
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
