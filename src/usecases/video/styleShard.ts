import { PermanentError } from '../../core/errors.js';
import { CONTAINERS } from '../../core/jobNaming.js';
import { isVideoColor } from '../../core/videoColor.js';
import { TERMINAL_SHARD_STATES } from '../../ports/jobLedger.js';
import { fanIn } from '../fanIn.js';
import { updateShardWithRetry } from '../ledgerRetry.js';
import type { StyleMessage, VideoDeps } from './deps.js';
import { localInputPath, localSegmentPath, segmentBlob } from './videoPaths.js';

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

/** A range's frame times: count + 1 integers from 0, strictly increasing. */
function validTicks(ticks: unknown, count: number): boolean {
  return (
    Array.isArray(ticks) &&
    ticks.length === count + 1 &&
    ticks[0] === 0 &&
    ticks.every((t, i) => Number.isSafeInteger(t) && (i === 0 || (t as number) > (ticks[i - 1] as number)))
  );
}

/** Checks a `style` message body and narrows it; a malformed body is permanent. */
export function decodeStyleMessage(body: unknown): StyleMessage {
  const b = body as Partial<StyleMessage> | null;
  const ok =
    !!b &&
    b.kind === 'style' &&
    typeof b.jobId === 'string' &&
    typeof b.shardId === 'string' &&
    Number.isInteger(b.start) &&
    Number.isInteger(b.end) &&
    (b.end ?? 0) > (b.start ?? 0) &&
    (b.seekSeconds === null || typeof b.seekSeconds === 'number') &&
    typeof b.model?.name === 'string' &&
    typeof b.model.sha256 === 'string' &&
    (b.fit === 'stretch' || b.fit === 'letterbox') &&
    typeof b.video?.width === 'number' &&
    typeof b.video.height === 'number' &&
    typeof b.video.rate?.num === 'number' &&
    (b.video.ticks === undefined || validTicks(b.video.ticks, (b.end ?? 0) - (b.start ?? 0))) &&
    (b.video.color === undefined || isVideoColor(b.video.color));
  if (!ok)
    throw new PermanentError(`malformed style message: ${JSON.stringify(body)?.slice(0, 200) ?? ''}`, {
      code: 'MalformedMessage',
    });
  return b as StyleMessage;
}

/**
 * Styles one frame range: decodes exactly frames [start, end) to a raw pipe (no image files),
 * runs them through the pinned style model in batches, encodes them as one segment with exact
 * timestamps, and uploads it named after the job and shard. A segment that already exists is not
 * recomputed; a segment is uploaded whole or not at all, so a killed worker leaves nothing behind.
 * Once the range's last frames are on their way to the model, `nextMayStart` lets the worker begin
 * its next message: that range decodes while this one's model run, encoder flush and upload end.
 */
export async function styleShard(
  deps: VideoDeps,
  msg: StyleMessage,
  signal?: AbortSignal,
  nextMayStart?: () => void,
): Promise<void> {
  const log = deps.log.child({ jobId: msg.jobId, shardId: msg.shardId });
  const job = await deps.ledger.getJob(msg.jobId);
  if (!job) throw new PermanentError(`style: job ${msg.jobId} does not exist`);
  const shard = await updateShardWithRetry(deps.ledger, msg.jobId, msg.shardId, (s) =>
    TERMINAL_SHARD_STATES.includes(s.state) ? undefined : { state: 'running', attempts: s.attempts + 1 },
  );
  if (TERMINAL_SHARD_STATES.includes(shard.state)) {
    if (shard.state === 'succeeded') await fanIn(deps, msg.jobId);
    return;
  }
  const started = Date.now();
  const frames = msg.end - msg.start;
  const blob = segmentBlob(msg.jobId, msg.shardId);
  let counts: Record<string, number> = { rows: frames, frames };
  const existing = await deps.blobs.head(CONTAINERS.work, blob);
  if (existing?.metadata.frames === String(frames)) {
    log.info('segment exists; not recomputed');
  } else {
    const { container = CONTAINERS.inbox, name = '', etag = '' } = job.input;
    const input = localInputPath(deps.settings.cacheDir, msg.jobId, name);
    await deps.tools.localCopy({ container, name, etag }, input);
    const style = await deps.styles.open(msg.model);
    if (deps.settings.faultShardDelayMs > 0) await sleep(deps.settings.faultShardDelayMs, signal);
    signal?.throwIfAborted();
    const output = localSegmentPath(deps.settings.cacheDir, msg.jobId, msg.shardId);
    const timings = await deps.tools.renderSegment({
      input,
      output,
      streamIndex: msg.video.streamIndex,
      seekSeconds: msg.seekSeconds ?? undefined,
      count: frames,
      width: msg.video.width,
      height: msg.video.height,
      rate: msg.video.rate,
      fit: msg.fit,
      style,
      batch: deps.settings.batch,
      label: `${container}/${name} frames [${msg.start}, ${msg.end})`,
      signal,
      onLastBatch: nextMayStart,
      ticks: msg.video.ticks,
      color: msg.video.color,
    });
    signal?.throwIfAborted();
    await deps.tools.upload(
      output,
      { container: CONTAINERS.work, name: blob },
      { frames: String(frames), start: String(msg.start), end: String(msg.end) },
      'video/mp4',
    );
    await deps.tools.removeLocal(output);
    counts = {
      ...counts,
      modelMs: Math.round(timings.modelMs),
      decodeWaitMs: Math.round(timings.decodeWaitMs),
      encodeWaitMs: Math.round(timings.encodeWaitMs),
    };
    log.info('segment styled', { frames, ms: Date.now() - started, provider: style.executionProvider });
  }
  signal?.throwIfAborted();
  await updateShardWithRetry(deps.ledger, msg.jobId, msg.shardId, (s) =>
    TERMINAL_SHARD_STATES.includes(s.state)
      ? undefined
      : { state: 'succeeded', error: undefined, counts: { ...s.counts, ...counts, ms: Date.now() - started } },
  );
  await fanIn(deps, msg.jobId);
}
