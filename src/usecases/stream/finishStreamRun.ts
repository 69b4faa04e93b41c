import { Readable } from 'node:stream';
import { PermanentError } from '../../core/errors.js';
import { CONTAINERS, resultBlobName, shardOutputName } from '../../core/jobNaming.js';
import { splitCsvLine } from '../../core/csvLine.js';
import { STREAM_SCORE_COLUMNS, STREAM_SCORE_HEADER } from '../../core/windowStore.js';
import type { JobRecord, JsonValue, ShardRecord } from '../../ports/jobLedger.js';
import { updateJobWithRetry } from '../ledgerRetry.js';
import { readBlobText } from '../readBlobText.js';
import { restoreSummary, writeSummary } from '../jobSummary.js';
import type { StreamDeps, StreamScoreMessage } from './deps.js';
import { SCORED_PREFIX } from './planStreamRun.js';
import { detailOf } from '../jobDetail.js';

const LABEL = STREAM_SCORE_COLUMNS.indexOf('label');

/**
 * Finishes a stream run: scores.csv (every window and revision scored, the revision visible),
 * anomalies.csv and summary.json (with the series that have no model). Only when every shard
 * succeeded are its window batches marked scored: a failed run leaves them for the next tick, so
 * nothing is skipped and nothing is scored twice.
 */
export async function finishStreamRun(deps: StreamDeps, jobId: string): Promise<JobRecord> {
  const job = await deps.ledger.getJob(jobId);
  if (!job) throw new PermanentError(`finish: job ${jobId} does not exist`);
  if (job.state !== 'finishing') {
    // An ended run's summary.json is written again from its record, in case an overtaken finish's landed last.
    await restoreSummary(deps.blobs, job);
    return job;
  }
  const shards = await deps.ledger.listShards(jobId);
  if (shards.some((s) => s.state !== 'succeeded' && s.state !== 'failed')) return job;
  const failed = shards.filter((s) => s.state === 'failed');
  const done = shards.filter((s) => s.state === 'succeeded');
  let scores = STREAM_SCORE_HEADER;
  let anomalies = STREAM_SCORE_HEADER;
  for (const s of done) {
    const text = await readBlobText(deps.blobs, CONTAINERS.work, shardOutputName(jobId, s.shardId));
    scores += text;
    for (const line of text.split('\n'))
      if (line !== '' && splitCsvLine(line)?.[LABEL] === '-1') anomalies += `${line}\n`;
  }
  await deps.blobs.put(CONTAINERS.results, resultBlobName(jobId, 'scores.csv'), Readable.from([scores]), {
    contentType: 'text/csv',
  });
  await deps.blobs.put(CONTAINERS.results, resultBlobName(jobId, 'anomalies.csv'), Readable.from([anomalies]), {
    contentType: 'text/csv',
  });
  const noModel = done.flatMap((s) => {
    const msg = (s.detail as { message?: StreamScoreMessage } | null)?.message;
    return Object.entries(msg?.models ?? {})
      .filter(([, m]) => m === null)
      .map(([tag]) => ({ device: msg?.device ?? s.shardId, tag }));
  });
  const sum = (k: string) => done.reduce((n, s: ShardRecord) => n + (s.counts[k] ?? 0), 0);
  const state = failed.length === 0 ? 'succeeded' : 'failed';
  const error =
    failed.length === 0
      ? undefined
      : `${failed.length} of ${shards.length} devices failed: ${failed
          .map((s) => `${s.shardId} (${s.error ?? 'unknown'})`)
          .slice(0, 5)
          .join('; ')}; their windows stay unscored for the next run`;
  const batches = (detailOf(job).batches as string[] | undefined) ?? [];
  const summary = {
    jobId,
    kind: job.kind,
    state,
    error: error ?? null,
    tick: job.input.tick ?? null,
    batches: batches.length,
    windows: sum('windows'),
    revisions: sum('revisions'),
    anomalies: sum('anomalies'),
    windowsWithoutModel: sum('noModel'),
    windowsWithWrongLength: sum('windowMismatch'),
    seriesWithoutModel: noModel,
    finishedAt: new Date().toISOString(),
  };
  await writeSummary(deps.blobs, jobId, summary);
  if (state === 'succeeded') {
    for (const batch of batches)
      await deps.blobs.put(CONTAINERS.windows, `${SCORED_PREFIX}${batch}`, jobId, { contentType: 'text/plain' });
  }
  let ended = false;
  const finished = await updateJobWithRetry(deps.ledger, jobId, (j) => {
    ended = j.state === 'finishing';
    return !ended
      ? undefined
      : {
          state,
          error,
          counts: { ...j.counts, windows: summary.windows, anomalies: summary.anomalies },
          detail: { ...detailOf(j), summary: summary as unknown as JsonValue },
        };
  });
  // Another finish ended the run first, and its summary may have landed before this one's.
  if (!ended) await restoreSummary(deps.blobs, finished);
  return finished;
}
