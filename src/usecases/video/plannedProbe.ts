import { rationalValue } from '../../core/rational.js';
import type { VideoProbe } from '../../core/videoProbe.js';
import type { JsonValue } from '../../ports/jobLedger.js';
import type { StitchProbe } from '../../ports/video.js';

/**
 * The input's probe as the plan found it, kept on the job (`detail.stitchProbe`): the finish of a
 * constant-rate video stitches and checks against it instead of probing the same input (the same
 * ETag) a second time, an ffprobe that held up every job's end (0.2 to 0.3 s here). A variable-rate
 * video's finish still probes: its check needs every frame's time, which is not kept.
 *
 * Kept are only the fields the stitch reads, with the video's duration as the finish's own probe
 * gave it: without frame times, a stream that declares no duration (Matroska, WebM) lasts its
 * frames at its rate. The plan's probe measures such a stream by its frames' times instead, which
 * differs when a constant-rate video's last frame is off its grid (as some muxers leave it), and the
 * stitched output, at its frames' rate, would then fail a check it used to pass.
 */
export function keptProbe(probe: VideoProbe): JsonValue {
  const { video, audio } = probe;
  const duration = video.durationDeclared ? video.duration : video.frameCount / rationalValue(video.frameRate);
  return {
    startTime: probe.startTime,
    video: {
      startTime: video.startTime,
      duration,
      frameCount: video.frameCount,
      rotation: video.rotation,
      frameRate: { num: video.frameRate.num, den: video.frameRate.den },
      vfr: video.vfr,
    },
    audio: audio ? { index: audio.index, codec: audio.codec, packets: audio.packets } : null,
  };
}

/**
 * The probe the plan kept, or undefined when the job has none that a constant-rate stitch can use
 * (a job planned before probes were kept, a variable-rate video, or a detail without the fields):
 * the finish probes then.
 */
export function plannedProbe(detail: Readonly<Record<string, JsonValue>>): StitchProbe | undefined {
  const kept = detail.stitchProbe;
  if (!isRecord(kept)) return undefined;
  const { startTime, video, audio } = kept;
  if (typeof startTime !== 'number' || !isVideo(video) || !(audio === null || isAudio(audio))) return undefined;
  if (video.vfr) return undefined;
  return { startTime, video, audio: audio ?? undefined };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const numbers = (r: Record<string, unknown>, keys: readonly string[]) =>
  keys.every((k) => typeof r[k] === 'number' && Number.isFinite(r[k]));

function isVideo(v: unknown): v is StitchProbe['video'] & { readonly vfr: boolean } {
  return (
    isRecord(v) &&
    numbers(v, ['startTime', 'duration', 'frameCount', 'rotation']) &&
    isRecord(v.frameRate) &&
    numbers(v.frameRate, ['num', 'den']) &&
    (v.frameRate.num as number) > 0 &&
    (v.frameRate.den as number) > 0 &&
    typeof v.vfr === 'boolean'
  );
}

function isAudio(a: unknown): a is NonNullable<StitchProbe['audio']> {
  return isRecord(a) && numbers(a, ['index', 'packets']) && typeof a.codec === 'string';
}
