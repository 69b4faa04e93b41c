import { Readable } from 'node:stream';
import { PermanentError } from '../../core/errors.js';
import { CONTAINERS, resultBlobName, shardOutputName } from '../../core/jobNaming.js';
import { SCORE_HEADER, isAnomalyLine } from '../../core/scoreRows.js';
import type { JobRecord, JsonValue, ShardRecord } from '../../ports/jobLedger.js';
import { restoreSummary, writeSummary } from '../jobSummary.js';
import { updateJobWithRetry } from '../ledgerRetry.js';
import { textLines } from '../../lib/textLines.js';
import type { AnomalyDeps } from './deps.js';

/**
 * Stitches a job's results once every shard is terminal: scores.csv (every window, in shard
 * order), anomalies.csv (label -1), and summary.json. Shard outputs are streamed, never held
 * whole. Idempotent: re-running rewrites the same files. A job with failed (dead-lettered)
 * shards still gets the results of the others, and fails with the shards and reasons named.
 */
export async function finishJob(deps: AnomalyDeps, jobId: string): Promise<JobRecord> {
  const job = await deps.ledger.getJob(jobId);
  if (!job) throw new PermanentError(`finish: job ${jobId} does not exist`);
  const log = deps.log.child({ jobId });
  // A stale finish (the job was re-driven back to running, or already finished) is a no-op:
  // the next entry into finishing sends its own finish message. An ended job's summary.json is
  // written again from its record, in case an overtaken finish's summary landed last.
  if (job.state !== 'finishing') {
    await restoreSummary(deps.blobs, job);
    log.info('finish skipped', { state: job.state });
    return job;
  }
  const shards = await deps.ledger.listShards(jobId);
  const done = shards.filter((s) => s.state === 'succeeded');
  const failed = shards.filter((s) => s.state === 'failed');
  if (done.length + failed.length < shards.length) {
    log.info('finish skipped: shards still running', { unfinished: shards.length - done.length - failed.length });
    return job;
  }

  const put = (file: 'scores.csv' | 'anomalies.csv', lines: AsyncIterable<string>) =>
    deps.blobs.put(CONTAINERS.results, resultBlobName(jobId, file), Readable.from(lines), { contentType: 'text/csv' });
  await put(
    'scores.csv',
    outputLines(deps, jobId, done, () => true),
  );
  await put('anomalies.csv', outputLines(deps, jobId, done, isAnomalyLine));

  const windows = sum(done, 'windows');
  const anomalies = sum(done, 'anomalies');
  const startedAt = new Date(job.createdAt);
  const detail = (job.detail ?? {}) as Record<string, JsonValue>;
  const state = failed.length === 0 ? 'succeeded' : 'failed';
  const error =
    failed.length === 0
      ? undefined
      : `${failed.length} of ${shards.length} shards failed: ${failed
          .map((s) => `${s.shardId} (${s.error ?? 'unknown'})`)
          .slice(0, 5)
          .join('; ')}`;
  const now = new Date();
  const seconds = Math.max(1e-3, (now.getTime() - startedAt.getTime()) / 1000);
  // Written before the job turns terminal, so a terminal job always has its summary; kept in the
  // ledger too, so a finish that finds the job ended can put the ending's back.
  const summary = {
    jobId,
    kind: job.kind,
    state,
    error: error ?? null,
    input: job.input,
    rows: job.counts.rows ?? 0,
    badRows: job.counts.badRows ?? 0,
    series: job.counts.series ?? 0,
    windows,
    anomalies,
    shards: { total: shards.length, succeeded: done.length, failed: failed.length },
    failedShards: failed.map((s) => ({ shardId: s.shardId, reason: s.error ?? 'unknown' })),
    errors: detail.errors ?? null,
    models: detail.models ?? [],
    submittedAt: startedAt.toISOString(),
    finishedAt: now.toISOString(),
    seconds,
    rowsPerSecond: (job.counts.rows ?? 0) / seconds,
    results: {
      scores: `${CONTAINERS.results}/${resultBlobName(jobId, 'scores.csv')}`,
      anomalies: `${CONTAINERS.results}/${resultBlobName(jobId, 'anomalies.csv')}`,
    },
  };
  await writeSummary(deps.blobs, jobId, summary);
  let ended = false;
  const finished = await updateJobWithRetry(deps.ledger, jobId, (j) => {
    ended = j.state === 'finishing';
    return !ended
      ? undefined
      : {
          state,
          error,
          counts: { ...j.counts, windows, anomalies, shardsFailed: failed.length },
          detail: { ...detail, finishedAt: summary.finishedAt, seconds, summary: summary as unknown as JsonValue },
        };
  });
  if (!ended) {
    // Another finish ended the job first, and its summary may have landed before this one's.
    await restoreSummary(deps.blobs, finished);
    log.info('finish overtaken: the job had already ended', { state: finished.state });
    return finished;
  }
  log.info('job finished', { state, windows, anomalies, failedShards: failed.length });
  return finished;
}

async function* outputLines(
  deps: AnomalyDeps,
  jobId: string,
  shards: readonly ShardRecord[],
  keep: (line: string) => boolean,
): AsyncGenerator<string> {
  // Lines are batched into chunks of about 64 KiB: one write per line would dominate.
  let chunk = SCORE_HEADER;
  for (const shard of shards) {
    const { stream } = await deps.blobs.get(CONTAINERS.work, shardOutputName(jobId, shard.shardId));
    for await (const line of textLines(stream, shardOutputName(jobId, shard.shardId))) {
      if (line === '' || !keep(line)) continue;
      chunk += `${line}\n`;
      if (chunk.length >= 65_536) {
        yield chunk;
        chunk = '';
      }
    }
  }
  yield chunk;
}

function sum(shards: readonly ShardRecord[], key: string): number {
  return shards.reduce((n, s) => n + (s.counts[key] ?? 0), 0);
}
