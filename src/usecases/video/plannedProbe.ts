import type { AudioStreamInfo, VideoProbe, VideoStreamInfo } from '../../core/videoProbe.js';
import type { JsonValue } from '../../ports/jobLedger.js';
import type { StitchProbe } from '../../ports/video.js';

/**
 * The input's probe as the plan found it, kept on the job (`detail.stitchProbe`): the finish of a
 * constant-rate video stitches and checks against it instead of probing the same input (the same
 * ETag) a second time, an ffprobe that held up every job's end (0.2 to 0.3 s here). A variable-rate
 * video's finish still probes: its check needs every frame's time, which is not kept.
 */
export function keptProbe(probe: VideoProbe): JsonValue {
  // Through JSON, so that what is kept is exactly what a reload gives back (no undefined fields).
  return JSON.parse(
    JSON.stringify({ startTime: probe.startTime, video: probe.video, audio: probe.audio ?? null }),
  ) as JsonValue;
}

/**
 * The probe the plan kept, or undefined when the job has none that the stitch can use (a job
 * planned before probes were kept, or a detail that does not have the fields): the finish probes then.
 */
export function plannedProbe(detail: Readonly<Record<string, JsonValue>>): StitchProbe | undefined {
  const kept = detail.stitchProbe;
  if (!isRecord(kept)) return undefined;
  const { startTime, video, audio } = kept;
  if (typeof startTime !== 'number' || !isVideo(video) || !(audio === null || isAudio(audio))) return undefined;
  return { startTime, video, audio: audio ?? undefined };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const numbers = (r: Record<string, unknown>, keys: readonly string[]) => keys.every((k) => typeof r[k] === 'number');

/** The fields of a video stream the stitch and its check read. */
function isVideo(v: unknown): v is VideoStreamInfo {
  return (
    isRecord(v) &&
    numbers(v, ['index', 'startTime', 'duration', 'frameCount', 'rotation', 'width', 'height']) &&
    isRecord(v.frameRate) &&
    numbers(v.frameRate, ['num', 'den']) &&
    typeof v.vfr === 'boolean'
  );
}

/** The fields of an audio stream the stitch and its check read. */
function isAudio(a: unknown): a is AudioStreamInfo {
  return isRecord(a) && numbers(a, ['index', 'packets']) && typeof a.codec === 'string';
}
