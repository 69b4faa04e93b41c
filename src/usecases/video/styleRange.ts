import { PermanentError } from '../../core/errors.js';
import { isFrameRange, rangeFrames, rangeLabel } from '../../core/frameRange.js';
import { CONTAINERS } from '../../core/jobNaming.js';
import { delay } from '../../lib/delay.js';
import type { Counts, ShardContext, ShardWork } from '../jobKind.js';
import { inputLabel } from '../jobLifecycle.js';
import { shardOutputMetadata } from '../shardOutput.js';
import type { StyleMessage, VideoDeps } from './deps.js';
import { localInputPath, localSegmentPath, segmentBlob } from './videoPaths.js';
import { isNoStyle } from '../../ports/video.js';

/** Checks a `style` message body and narrows it; a malformed body is permanent. */
export function decodeStyleMessage(body: unknown): StyleMessage {
  const b = body as Partial<StyleMessage> | null;
  const ok =
    !!b &&
    b.kind === 'style' &&
    typeof b.jobId === 'string' &&
    typeof b.shardId === 'string' &&
    isFrameRange(b.range) &&
    typeof b.model?.name === 'string' &&
    typeof b.model.sha256 === 'string' &&
    (b.fit === 'stretch' || b.fit === 'letterbox');
  if (!ok)
    throw new PermanentError(`malformed style message: ${JSON.stringify(body)?.slice(0, 200) ?? ''}`, {
      code: 'MalformedMessage',
    });
  return b as StyleMessage;
}

/**
 * Styles one frame range into one segment named after the job and the shard: the tools decode
 * exactly its frames to a raw pipe, run them through the pinned style model in batches and encode
 * them with the range's timing. Once the range's last frames are on their way to the model,
 * `nextMayStart` lets the worker begin its next message: that range decodes while this one's model
 * run, encoder flush and upload end.
 */
export function styleRange(deps: VideoDeps, msg: StyleMessage, ctx: ShardContext): ShardWork {
  const output = segmentBlob(msg.jobId, msg.shardId);
  return { output, compute: () => render(deps, msg, output, ctx) };
}

async function render(deps: VideoDeps, msg: StyleMessage, blob: string, ctx: ShardContext): Promise<Counts> {
  const { signal } = ctx;
  const started = Date.now();
  const { container = CONTAINERS.inbox, name = '', etag = '' } = ctx.job.input;
  const input = localInputPath(deps.settings.cacheDir, msg.jobId, name);
  await deps.tools.localCopy({ container, name, etag }, input);
  // The no-style model re-encodes the range as it is (one ffmpeg, no model).
  const style = isNoStyle(msg.model) ? undefined : await deps.styles.open(msg.model);
  if (deps.settings.faultShardDelayMs > 0) await delay(deps.settings.faultShardDelayMs, signal);
  signal?.throwIfAborted();
  // An attempt of its own: a second delivery running at the same time (a lost lock) never writes into this file.
  const output = localSegmentPath(deps.settings.cacheDir, msg.jobId, `${msg.shardId}.${ctx.shard.attempts}`);
  const timings = await deps.tools.renderSegment({
    input,
    output,
    range: msg.range,
    fit: msg.fit,
    style,
    batch: deps.settings.batch,
    label: rangeLabel(inputLabel(ctx.job), msg.range),
    signal,
    onLastBatch: ctx.nextMayStart,
  });
  signal?.throwIfAborted();
  if (timings.reseeked !== undefined)
    ctx.log.warn('a seek came up short; the range was decoded again (from the accurate seek, or the file start)', {
      shardId: msg.shardId,
      keyframeSeekSeconds: msg.range.keyframeSeekSeconds,
      shortAttempts: timings.reseeked,
    });
  const frames = rangeFrames(msg.range);
  const counts = {
    rows: frames,
    frames,
    modelMs: Math.round(timings.modelMs),
    decodeWaitMs: Math.round(timings.decodeWaitMs),
    encodeWaitMs: Math.round(timings.encodeWaitMs),
  };
  await deps.tools.upload(output, { container: CONTAINERS.work, name: blob }, shardOutputMetadata(counts), 'video/mp4');
  await deps.tools.removeLocal(output);
  ctx.log.info('segment styled', { frames, ms: Date.now() - started, provider: style?.executionProvider ?? 'none' });
  return counts;
}
