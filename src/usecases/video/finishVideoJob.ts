import { randomUUID } from 'node:crypto';
import { PermanentError, ensureError } from '../../core/errors.js';
import { CONTAINERS } from '../../core/jobNaming.js';
import { TERMINAL_JOB_STATES, type JobRecord, type JsonValue, type ShardRecord } from '../../ports/jobLedger.js';
import { updateJobWithRetry } from '../ledgerRetry.js';
import { restoreSummary, writeSummary } from '../jobSummary.js';
import type { ShardErrorPolicy, StyleMessage, VideoDeps } from './deps.js';
import { localInputPath, localJobDir, localSegmentPath, segmentBlob, styledOutputBlob } from './videoPaths.js';
import { detailOf } from '../jobDetail.js';

/** Segment downloads in flight at once while a job is stitched. */
const SEGMENT_COPIES = 4;

function policyOf(job: JobRecord, fallback: ShardErrorPolicy): ShardErrorPolicy {
  const v = job.input.on_shard_error;
  return v === 'fail' || v === 'passthrough' ? v : fallback;
}

function sum(shards: readonly ShardRecord[], key: string): number {
  return shards.reduce((n, s) => n + (s.counts[key] ?? 0), 0);
}

/**
 * Stitches a video job once every shard is terminal. Segments are concatenated without
 * re-encoding and the original audio is muxed by copy; the result is verified (frame count,
 * duration within a frame, audio codec and packets). Shards that failed permanently either fail
 * the job (policy `fail`) or have their frames passed through unstyled (policy `passthrough`);
 * both are reported by frame range. A verification failure fails the job with the numbers.
 */
export async function finishVideoJob(deps: VideoDeps, jobId: string, signal?: AbortSignal): Promise<JobRecord> {
  const job = await deps.ledger.getJob(jobId);
  if (!job) throw new PermanentError(`finish: job ${jobId} does not exist`);
  const log = deps.log.child({ jobId });
  if (job.state !== 'finishing') {
    // An ended job's summary.json is written again from its record, in case an overtaken finish's landed last.
    await restoreSummary(deps.blobs, job);
    return job;
  }
  const shards = await deps.ledger.listShards(jobId);
  if (shards.some((s) => s.state !== 'succeeded' && s.state !== 'failed')) return job;
  const failed = shards.filter((s) => s.state === 'failed');
  const policy = policyOf(job, deps.settings.onShardError);
  const { container = CONTAINERS.inbox, name = '', etag = '' } = job.input;
  const label = `${container}/${name}`;
  const detail = detailOf(job);
  const rangeOf = (s: ShardRecord) => (s.detail as { message?: StyleMessage } | null)?.message;
  const failedRanges = failed.map((s) => ({
    shardId: s.shardId,
    start: rangeOf(s)?.start ?? null,
    end: rangeOf(s)?.end ?? null,
    reason: s.error ?? 'unknown',
  }));
  const report = {
    jobId,
    kind: job.kind,
    input: job.input,
    model: detail.model ?? null,
    probe: detail.probe ?? null,
    policy,
    failedRanges,
    shards: { total: shards.length, succeeded: shards.length - failed.length, failed: failed.length },
  };
  const end = async (state: 'succeeded' | 'failed', error: string | undefined, extra: Record<string, JsonValue>) => {
    const summary = { ...report, state, error: error ?? null, ...extra, finishedAt: new Date().toISOString() };
    // Written before the job turns terminal, so a terminal job always has its summary; kept in the
    // ledger too, so a finish that finds the job ended can put the ending's back.
    await writeSummary(deps.blobs, jobId, summary);
    let ended = false;
    const finished = await updateJobWithRetry(deps.ledger, jobId, (j) => {
      ended = j.state === 'finishing';
      return ended ? { state, error, detail: { ...detailOf(j), summary: summary as unknown as JsonValue } } : undefined;
    });
    if (!ended) {
      // Another finish ended the job first, and its summary may have landed before this one's.
      await restoreSummary(deps.blobs, finished);
      return overtaken(finished);
    }
    // Only the finish that ended the job clears its local files.
    await deps.tools.removeLocal(localJobDir(deps.settings.cacheDir, jobId));
    log.info('video job finished', { state, failedShards: failed.length });
    return finished;
  };
  /** Another finish ended the job while this one worked: its outcome stands, and the job's local files go. */
  const overtaken = async (ended: JobRecord, error?: unknown) => {
    await deps.tools.removeLocal(localJobDir(deps.settings.cacheDir, jobId));
    log.info('finish overtaken: the job had already ended', {
      state: ended.state,
      ...(error ? { error: ensureError(error).message } : {}),
    });
    return ended;
  };
  if (failed.length > 0 && policy === 'fail') {
    return end(
      'failed',
      `${failed.length} of ${shards.length} frame ranges failed: ${failedRanges
        .slice(0, 5)
        .map((r) => `[${r.start}, ${r.end}) ${r.reason}`)
        .join('; ')}`,
      {},
    );
  }
  /** The stitch and its upload: the job's outcome, to end it with. */
  const stitch = async (): Promise<{
    state: 'succeeded' | 'failed';
    error?: string;
    extra: Record<string, JsonValue>;
  }> => {
    const started = Date.now();
    const input = localInputPath(deps.settings.cacheDir, jobId, name);
    await deps.tools.localCopy({ container, name, etag }, input);
    // Each attempt works in a directory of its own: a second finish running at the same time (a
    // reconciler nudge, a lost lock) never writes into or removes this one's files.
    const attemptDir = `${localJobDir(deps.settings.cacheDir, jobId)}/finish-${randomUUID()}`;
    const segments = shards.map(
      (s) =>
        `${attemptDir}/${localSegmentPath(deps.settings.cacheDir, jobId, s.shardId).split('/').pop() ?? s.shardId}`,
    );
    const fetchSegment = async (i: number) => {
      const s = shards[i]!;
      const blob = segmentBlob(jobId, s.shardId);
      await deps.tools.localCopy(
        { container: CONTAINERS.work, name: blob, etag: (await deps.blobs.head(CONTAINERS.work, blob))?.etag ?? '' },
        segments[i]!,
      );
    };
    const gather = async () => {
      const copies = shards.flatMap((s, i) => (s.state === 'succeeded' ? [i] : []));
      let next = 0;
      await Promise.all(
        Array.from({ length: Math.min(SEGMENT_COPIES, copies.length) }, async () => {
          while (next < copies.length) await fetchSegment(copies[next++]!);
        }),
      );
      for (const [i, s] of shards.entries()) {
        const range = rangeOf(s);
        if (s.state === 'succeeded' || !range) continue;
        // Passthrough: the range's frames, unstyled, encoded like the others so the stitch stays a copy.
        await deps.tools.renderSegment({
          input,
          output: segments[i]!,
          streamIndex: range.video.streamIndex,
          seekSeconds: range.seekSeconds ?? undefined,
          count: range.end - range.start,
          width: range.video.width,
          height: range.video.height,
          rate: range.video.rate,
          fit: range.fit,
          style: undefined,
          batch: 8,
          label: `${label} frames [${range.start}, ${range.end}) (passthrough)`,
          signal,
          ticks: range.video.ticks,
          color: range.video.color,
        });
      }
    };
    // A variable-rate video's ranges carry their lengths: the stitch joins them at exactly those
    // offsets and checks every frame's time, which needs the input's. Otherwise it needs the input's
    // streams and counts, not every frame's time, at the rate the ranges were planned at (which
    // planning found from the frames' times). Probed while the segments arrive.
    const lengths = shards.map((s) => rangeOf(s)?.video.ticks?.at(-1));
    const segmentMicros = lengths.every((us) => us !== undefined) ? lengths : undefined;
    const [probe] = await Promise.all([
      deps.tools.probe(input, label, {
        signal,
        frameTimes: segmentMicros !== undefined,
        frameRate: shards[0] && rangeOf(shards[0])?.video.rate,
      }),
      gather(),
    ]);
    const outputBlob = styledOutputBlob(jobId, name);
    const output = `${attemptDir}/output.mp4`;
    let check;
    try {
      check = await deps.tools.stitch({
        segments,
        original: input,
        probe,
        output,
        workDir: attemptDir,
        label,
        signal,
        segmentMicros,
      });
    } catch (error) {
      await deps.tools.removeLocal(attemptDir);
      if (!(error instanceof PermanentError)) throw error;
      return { state: 'failed', error: error.message, extra: { stitchMs: Date.now() - started } };
    }
    await deps.tools.upload(
      output,
      { container: CONTAINERS.results, name: outputBlob },
      { frames: String(check.frames.output) },
      'video/mp4',
    );
    await deps.tools.removeLocal(attemptDir);
    const frames = check.frames.output;
    const plannedAt = typeof detail.plannedAt === 'string' ? Date.parse(detail.plannedAt) : job.createdAt.getTime();
    const seconds = Math.max(1e-3, (Date.now() - plannedAt) / 1000);
    return {
      state: 'succeeded',
      extra: {
        output: `${CONTAINERS.results}/${outputBlob}`,
        frames,
        framesPerSecond: frames / seconds,
        check: check as unknown as JsonValue,
        passthroughRanges: failedRanges,
        stagesMs: {
          probe: Number(detail.probeMs ?? 0),
          decodeWait: sum(shards, 'decodeWaitMs'),
          model: sum(shards, 'modelMs'),
          encodeWait: sum(shards, 'encodeWaitMs'),
          stitch: Date.now() - started,
        },
      },
    };
  };
  // The ending's files (the input copy, the attempts' directories) go when a finish ends the job, so
  // a finish still at work then fails on a missing file: if the job has ended, that is no failure.
  // (Only the stitch: a failure to write the summary or the ledger is this finish's own, and retried.)
  let outcome;
  try {
    outcome = await stitch();
  } catch (error) {
    const now = await deps.ledger.getJob(jobId);
    if (now && TERMINAL_JOB_STATES.includes(now.state)) {
      await restoreSummary(deps.blobs, now);
      return overtaken(now, error);
    }
    throw error;
  }
  return end(outcome.state, outcome.error, outcome.extra);
}
