import { InputError, PermanentError, ensureError } from '../../core/errors.js';
import { rangeTicks, videoTicks, type FitPolicy } from '../../core/framePlan.js';
import { CONTAINERS, shardMessageId } from '../../core/jobNaming.js';
import type { JsonValue } from '../../ports/jobLedger.js';
import { validateProbe } from '../../video/validateProbe.js';
import { fanIn } from '../fanIn.js';
import { updateJobWithRetry } from '../ledgerRetry.js';
import type { StyleMessage, VideoDeps } from './deps.js';
import { localInputPath } from './videoPaths.js';
import { videoShards } from './videoShards.js';
import { detailOf } from '../jobDetail.js';

export function fitPolicyOf(value: string | undefined, fallback: FitPolicy, label: string): FitPolicy {
  if (value === undefined || value === '') return fallback;
  if (value === 'stretch' || value === 'letterbox') return value;
  throw new InputError(label, `fit must be stretch or letterbox, got "${value}"`);
}

/**
 * Plans a video job: probes the input (exact frame count, real frame rate, rotation, audio),
 * checks it against the limits, pins the style model, and cuts frame ranges of about
 * `shardSeconds` of video each. One message per range, never per frame; every range is queued
 * before the job is marked running, and a re-run after a crash queues the same ranges.
 */
export async function planVideoJob(deps: VideoDeps, jobId: string, signal?: AbortSignal): Promise<void> {
  const job = await deps.ledger.getJob(jobId);
  if (!job) throw new PermanentError(`plan: job ${jobId} does not exist`);
  if (job.state !== 'planning') return;
  const { container = CONTAINERS.inbox, name = '', etag = '' } = job.input;
  const label = `${container}/${name}`;
  const log = deps.log.child({ jobId });
  const started = Date.now();
  try {
    const path = localInputPath(deps.settings.cacheDir, jobId, name);
    await deps.tools.localCopy({ container, name, etag }, path);
    const probe = await deps.tools.probe(path, label, { signal });
    const probeMs = Date.now() - started;
    validateProbe(probe, deps.settings.limits, label);
    const fit = fitPolicyOf(job.input.fit, deps.settings.fit, label);
    const pinnedBefore = detailOf(job).model as unknown as StyleMessage['model'] | undefined;
    const model = pinnedBefore ?? (await deps.styles.pin(job.input.model ?? deps.settings.defaultModel));
    const { framesPerShard: size, shards: ranges } = videoShards(probe, deps.settings);
    const video = {
      streamIndex: probe.video.index,
      width: probe.video.codedWidth,
      height: probe.video.codedHeight,
      rate: probe.video.frameRate,
      color: probe.video.color,
    };
    const summary = {
      container: probe.container,
      codec: probe.video.codec,
      width: probe.video.width,
      height: probe.video.height,
      rotation: probe.video.rotation,
      color: { ...probe.video.color },
      frameRate: `${probe.video.frameRate.num}/${probe.video.frameRate.den}`,
      vfr: probe.video.vfr,
      frames: probe.video.frameCount,
      headerFrames: probe.video.headerFrameCount ?? null,
      duration: probe.video.duration,
      audio: probe.audio ? probe.audio.codec : null,
      audioPackets: probe.audio?.packets ?? 0,
      sizeBytes: probe.sizeBytes,
    };
    const pinned = { name: model.name, version: model.version, sha256: model.sha256 };
    await updateJobWithRetry(deps.ledger, jobId, (j) =>
      j.state !== 'planning' ? undefined : { detail: { ...detailOf(j), model: pinned, fit, probe: summary, probeMs } },
    );
    // A variable-rate video: each range carries its frames' times, so its segment keeps them.
    const ticks = probe.video.vfr
      ? videoTicks(probe.framePts, probe.video.startTime - probe.startTime + probe.video.duration)
      : undefined;
    const messages = ranges.map((r) => {
      const timed = ticks ? { ...video, ticks: rangeTicks(ticks, r.start, r.end) } : video;
      const body: StyleMessage = {
        kind: 'style',
        jobId,
        shardId: r.shardId,
        start: r.start,
        end: r.end,
        seekSeconds: r.seekSeconds ?? null,
        model: pinned,
        fit,
        video: timed,
      };
      return { messageId: shardMessageId(jobId, r.shardId), body, subject: 'style' };
    });
    await deps.ledger.addShards(
      jobId,
      messages.map((m) => ({
        shardId: m.body.shardId,
        counts: { frames: m.body.end - m.body.start },
        detail: { message: m.body as unknown as JsonValue },
      })),
    );
    for (let i = 0; i < messages.length; i += 100) await deps.queue.send(messages.slice(i, i + 100));
    await updateJobWithRetry(deps.ledger, jobId, (j) =>
      j.state !== 'planning'
        ? undefined
        : {
            state: 'running',
            shardsTotal: ranges.length,
            counts: { ...j.counts, frames: probe.video.frameCount },
            detail: { ...detailOf(j), plannedAt: new Date().toISOString(), planMs: Date.now() - started },
          },
    );
    log.info('video job planned', {
      frames: probe.video.frameCount,
      shards: ranges.length,
      framesPerShard: size,
      model: `${pinned.name}@${pinned.version}`,
    });
    await fanIn(deps, jobId);
  } catch (error) {
    if (!(error instanceof PermanentError)) throw error;
    log.warn('video job failed at planning', { reason: error.message });
    await updateJobWithRetry(deps.ledger, jobId, (j) =>
      j.state === 'planning' ? { state: 'failed', error: ensureError(error).message } : undefined,
    );
  }
}
