import { NotFoundError } from '../../core/errors.js';
import { splitCsvLine } from '../../core/csvLine.js';
import { CONTAINERS, shardOutputName } from '../../core/jobNaming.js';
import { STREAM_SCORE_COLUMNS, STREAM_SCORE_HEADER } from '../../core/windowStore.js';
import type { ShardRecord } from '../../ports/jobLedger.js';
import { detailOf } from '../jobDetail.js';
import { sumCounts, type Ending, type FinishContext } from '../jobKind.js';
import { readBlobText } from '../readBlobText.js';
import { resultLinks, writeCsvResults } from '../resultCsv.js';
import type { StreamDeps, StreamScoreMessage } from './deps.js';
import { heldBackName } from './scoreStreamDevice.js';
import { SCORED_PREFIX, pendingBlob } from './streamBatches.js';

const LABEL = STREAM_SCORE_COLUMNS.indexOf('label');

/**
 * A stream run's results: scores.csv (every window and revision scored, the revision visible),
 * anomalies.csv and its part of summary.json. Only when every shard succeeded is the run's work
 * recorded: its window batches marked scored, the windows it held back for want of a model kept
 * pending (for the first run after their model is registered), and the pending windows it took
 * from earlier runs released. A failed run records nothing, so the next tick takes the same
 * windows again: nothing is skipped and nothing is scored twice.
 */
export async function finishStreamRun(deps: StreamDeps, ctx: FinishContext): Promise<Ending> {
  const { job, succeeded, failed, shards } = ctx;
  const outputs = succeeded.map((s) => shardOutputName(job.jobId, s.shardId));
  await writeCsvResults(
    deps.blobs,
    job.jobId,
    outputs,
    STREAM_SCORE_HEADER,
    (line) => splitCsvLine(line)?.[LABEL] === '-1',
  );
  const detail = detailOf(job);
  const batches = (detail.batches as string[] | undefined) ?? [];
  const consumed = (detail.pending as string[] | undefined) ?? [];
  const ok = failed.length === 0;
  const held = ok ? await keepPending(deps, job.jobId, succeeded) : 0;
  if (ok) {
    for (const batch of batches)
      await deps.blobs.put(CONTAINERS.windows, `${SCORED_PREFIX}${batch}`, job.jobId, { contentType: 'text/plain' });
    for (const blob of consumed) await deleteIfPresent(deps, blob);
  }
  const windows = sumCounts(succeeded, 'windows');
  const anomalies = sumCounts(succeeded, 'anomalies');
  const list = failed.slice(0, 5).map((s) => `${s.shardId} (${s.error ?? 'unknown'})`);
  return {
    state: ok ? 'succeeded' : 'failed',
    error: ok
      ? undefined
      : `${failed.length} of ${shards.length} devices failed: ${list.join('; ')}; their windows stay unscored for the next run`,
    counts: { windows, anomalies, windowsPending: held },
    summary: {
      tick: job.input.tick ?? null,
      batches: batches.length,
      pendingTaken: consumed.length,
      windows,
      revisions: sumCounts(succeeded, 'revisions'),
      anomalies,
      windowsWithoutModel: sumCounts(succeeded, 'noModel'),
      windowsPending: held,
      windowsWithWrongLength: sumCounts(succeeded, 'windowMismatch'),
      seriesWithoutModel: seriesWithoutModel(succeeded),
      results: resultLinks(job.jobId),
    },
  };
}

/** Gathers the windows the shards held back into the run's pending blob; returns how many. */
async function keepPending(deps: StreamDeps, jobId: string, shards: readonly ShardRecord[]): Promise<number> {
  let text = '';
  let count = 0;
  for (const s of shards) {
    if (!(s.counts.noModel ?? 0)) continue;
    const lines = (await readBlobText(deps.blobs, CONTAINERS.work, heldBackName(jobId, s.shardId))).split('\n');
    for (const line of lines) {
      if (line === '') continue;
      text += `${line}\n`;
      count += 1;
    }
  }
  if (count > 0)
    await deps.blobs.put(CONTAINERS.windows, pendingBlob(jobId), text, { contentType: 'application/x-ndjson' });
  return count;
}

async function deleteIfPresent(deps: StreamDeps, blob: string): Promise<void> {
  await deps.blobs.delete(CONTAINERS.windows, blob).catch((error: unknown) => {
    if (!(error instanceof NotFoundError)) throw error;
  });
}

function seriesWithoutModel(shards: readonly ShardRecord[]): { device: string; tag: string }[] {
  return shards.flatMap((s) => {
    const msg = (s.detail as { message?: StreamScoreMessage } | null)?.message;
    return Object.entries(msg?.models ?? {})
      .filter(([, m]) => m === null)
      .map(([tag]) => ({ device: msg?.device ?? s.shardId, tag }));
  });
}
