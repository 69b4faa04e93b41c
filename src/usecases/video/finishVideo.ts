import { randomUUID } from 'node:crypto';
import { PermanentError } from '../../core/errors.js';
import { rangeLabel, type FrameRange } from '../../core/frameRange.js';
import { CONTAINERS } from '../../core/jobNaming.js';
import type { JobRecord, JsonValue, ShardRecord } from '../../ports/jobLedger.js';
import { detailOf } from '../jobDetail.js';
import { sumCounts as sum, type Detail, type Ending, type FinishContext } from '../jobKind.js';
import { inputLabel } from '../jobLifecycle.js';
import type { ShardErrorPolicy, StyleMessage, VideoDeps } from './deps.js';
import { plannedProbe } from './plannedProbe.js';
import { localInputPath, localJobDir, segmentBlob, styledOutputBlob } from './videoPaths.js';

/** Segment downloads in flight at once while a job is stitched. */
const SEGMENT_COPIES = 4;

function policyOf(job: JobRecord, fallback: ShardErrorPolicy): ShardErrorPolicy {
  const v = job.input.on_shard_error;
  return v === 'fail' || v === 'passthrough' ? v : fallback;
}

/** A shard's frame range, from the message its ledger record keeps. */
function rangeOf(s: ShardRecord): FrameRange | undefined {
  return (s.detail as { message?: StyleMessage } | null)?.message?.range;
}

/**
 * A video job's result: the segments concatenated without re-encoding and the original audio
 * muxed by copy, verified (frame count, duration within a frame, audio codec and packets). Ranges
 * that failed permanently either fail the job (policy `fail`) or have their frames passed through
 * unstyled (policy `passthrough`); both are reported by frame range. A failed check fails the job
 * with the numbers.
 */
export async function finishVideoJob(deps: VideoDeps, ctx: FinishContext): Promise<Ending> {
  const { job, shards, failed } = ctx;
  const policy = policyOf(job, deps.settings.onShardError);
  const detail = detailOf(job);
  const failedRanges = failed.map((s) => ({
    shardId: s.shardId,
    start: rangeOf(s)?.start ?? null,
    end: rangeOf(s)?.end ?? null,
    reason: s.error ?? 'unknown',
  }));
  const report: Detail = { model: detail.model ?? null, probe: detail.probe ?? null, policy, failedRanges };
  if (failed.length > 0 && policy === 'fail') {
    const list = failedRanges.slice(0, 5).map((r) => `[${r.start}, ${r.end}) ${r.reason}`);
    return {
      state: 'failed',
      error: `${failed.length} of ${shards.length} frame ranges failed: ${list.join('; ')}`,
      summary: report,
    };
  }
  const started = Date.now();
  try {
    const extra = await stitch(deps, ctx);
    const frames = Number(extra.frames);
    const plannedAt = typeof detail.plannedAt === 'string' ? Date.parse(detail.plannedAt) : job.createdAt.getTime();
    const stagesMs = {
      probe: Number(detail.probeMs ?? 0),
      decodeWait: sum(shards, 'decodeWaitMs'),
      model: sum(shards, 'modelMs'),
      encodeWait: sum(shards, 'encodeWaitMs'),
      stitch: Date.now() - started,
    };
    const framesPerSecond = frames / Math.max(1e-3, (Date.now() - plannedAt) / 1000);
    return {
      state: 'succeeded',
      summary: { ...report, ...extra, framesPerSecond, passthroughRanges: failedRanges, stagesMs },
    };
  } catch (error) {
    if (!(error instanceof PermanentError)) throw error;
    return { state: 'failed', error: error.message, summary: { ...report, stitchMs: Date.now() - started } };
  }
}

/** Gathers the segments, stitches them with the input's audio, uploads the result. */
async function stitch(deps: VideoDeps, ctx: FinishContext): Promise<Detail> {
  const { job, shards, signal } = ctx;
  const { container = CONTAINERS.inbox, name = '', etag = '' } = job.input;
  const label = inputLabel(job);
  const input = localInputPath(deps.settings.cacheDir, job.jobId, name);
  await deps.tools.localCopy({ container, name, etag }, input);
  // Each attempt works in a directory of its own: a second finish running at the same time (a
  // reconciler nudge, a lost lock) never writes into or removes this one's files.
  const attemptDir = `${localJobDir(deps.settings.cacheDir, job.jobId)}/finish-${randomUUID()}`;
  try {
    const segments = shards.map((_, i) => `${attemptDir}/segment-${String(i).padStart(6, '0')}.mp4`);
    // A variable-rate video's ranges carry their lengths: the stitch joins them at exactly those
    // offsets and checks every frame's time, which needs the input's, probed while the segments
    // arrive. Otherwise the input is checked against the probe its plan kept (at the rate its ranges
    // were planned at, found from its frames' times); a job planned without one probes it.
    const lengths = shards.map((s) => rangeOf(s)?.ticks?.at(-1));
    const segmentMicros = lengths.every((us) => us !== undefined) ? lengths : undefined;
    const planned = segmentMicros === undefined ? plannedProbe(detailOf(job)) : undefined;
    const [probe] = await Promise.all([
      planned ??
        deps.tools.probe(input, label, {
          signal,
          frameTimes: segmentMicros !== undefined,
          frameRate: shards[0] && rangeOf(shards[0])?.stream.rate,
        }),
      gatherSegments(deps, ctx, input, segments),
    ]);
    const output = `${attemptDir}/output.mp4`;
    const check = await deps.tools.stitch({
      segments,
      original: input,
      probe,
      output,
      workDir: attemptDir,
      label,
      signal,
      segmentMicros,
    });
    const outputBlob = styledOutputBlob(job.jobId, name);
    await deps.tools.upload(
      output,
      { container: CONTAINERS.results, name: outputBlob },
      { frames: String(check.frames.output) },
      'video/mp4',
    );
    return {
      output: `${CONTAINERS.results}/${outputBlob}`,
      frames: check.frames.output,
      check: check as unknown as JsonValue,
    };
  } finally {
    await deps.tools.removeLocal(attemptDir);
  }
}

/** Copies the succeeded ranges' segments (a few at a time) and renders the failed ones' frames unstyled. */
async function gatherSegments(deps: VideoDeps, ctx: FinishContext, input: string, segments: readonly string[]) {
  const { job, shards, signal } = ctx;
  const copies = shards.flatMap((s, i) => (s.state === 'succeeded' ? [i] : []));
  let next = 0;
  const copyOne = async (i: number) => {
    const blob = segmentBlob(job.jobId, shards[i]!.shardId);
    const etag = (await deps.blobs.head(CONTAINERS.work, blob))?.etag ?? '';
    await deps.tools.localCopy({ container: CONTAINERS.work, name: blob, etag }, segments[i]!);
  };
  await Promise.all(
    Array.from({ length: Math.min(SEGMENT_COPIES, copies.length) }, async () => {
      while (next < copies.length) await copyOne(copies[next++]!);
    }),
  );
  for (const [i, s] of shards.entries()) {
    const range = rangeOf(s);
    const message = (s.detail as { message?: StyleMessage } | null)?.message;
    if (s.state === 'succeeded' || !range || !message) continue;
    // Passthrough: the range's frames, unstyled, encoded like the others so the stitch stays a copy.
    await deps.tools.renderSegment({
      input,
      output: segments[i]!,
      range,
      fit: message.fit,
      style: undefined,
      batch: 8,
      label: `${rangeLabel(inputLabel(job), range)} (passthrough)`,
      signal,
    });
  }
}
