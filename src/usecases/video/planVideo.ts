import { InputError } from '../../core/errors.js';
import type { FitPolicy } from '../../core/framePlan.js';
import { frameRanges } from '../../core/frameRange.js';
import { CONTAINERS } from '../../core/jobNaming.js';
import { validateProbe } from '../../core/videoLimits.js';
import type { VideoProbe } from '../../core/videoProbe.js';
import type { JsonValue } from '../../ports/jobLedger.js';
import { isNoStyle, type PinnedStyle } from '../../ports/video.js';
import { detailOf } from '../jobDetail.js';
import type { Plan, PlanContext } from '../jobKind.js';
import { inputLabel } from '../jobLifecycle.js';
import type { StyleMessage, VideoDeps } from './deps.js';
import { keptProbe } from './plannedProbe.js';
import { localInputPath } from './videoPaths.js';
import { pinnedCut, videoCut, videoShards } from './videoShards.js';

export function fitPolicyOf(value: string | undefined, fallback: FitPolicy, label: string): FitPolicy {
  if (value === undefined || value === '') return fallback;
  if (value === 'stretch' || value === 'letterbox') return value;
  throw new InputError(label, `fit must be stretch or letterbox, got "${value}"`);
}

/**
 * Plans a video job: probes the input (exact frame count, real frame rate, rotation, audio),
 * checks it against the limits, pins the style model, and cuts frame ranges of about
 * `shardSeconds` of video each: one message per range, never per frame.
 */
export async function planVideoJob(deps: VideoDeps, ctx: PlanContext): Promise<Plan> {
  const { job } = ctx;
  const { container = CONTAINERS.inbox, name = '', etag = '' } = job.input;
  const label = inputLabel(job);
  const started = Date.now();
  const path = localInputPath(deps.settings.cacheDir, job.jobId, name);
  await deps.tools.localCopy({ container, name, etag }, path);
  const probe = await deps.tools.probe(path, label, { signal: ctx.signal });
  const probeMs = Date.now() - started;
  validateProbe(probe, deps.settings.limits, label);
  const fit = fitPolicyOf(job.input.fit, deps.settings.fit, label);
  const pinnedBefore = detailOf(job).model as unknown as PinnedStyle | undefined;
  const style = pinnedBefore ?? (await deps.styles.pin(job.input.model ?? deps.settings.defaultModel));
  const model: PinnedStyle = { name: style.name, version: style.version, sha256: style.sha256 };
  // A re-plan cuts as the first plan did, whatever this host's settings say.
  const cut = pinnedCut(detailOf(job).cut) ?? videoCut(probe, deps.settings, { passthrough: isNoStyle(model) });
  const shards = videoShards(probe, cut);
  await ctx.pin({
    model: { ...model },
    fit,
    cut: { ...cut },
    probe: probeSummary(probe),
    probeMs,
    stitchProbe: keptProbe(probe),
  });
  const ranges = frameRanges(probe, shards);
  return {
    shards: ranges.map((range, i) => {
      const message: StyleMessage = { kind: 'style', jobId: job.jobId, shardId: shards[i]!.shardId, range, model, fit };
      return { message, counts: { frames: range.end - range.start } };
    }),
    counts: { frames: probe.video.frameCount },
    log: {
      frames: probe.video.frameCount,
      framesPerShard: cut.framesPerShard,
      model: `${model.name}@${model.version}`,
    },
  };
}

/** The probe's facts a job keeps (and its summary shows). */
function probeSummary(probe: VideoProbe): Record<string, JsonValue> {
  return {
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
}
