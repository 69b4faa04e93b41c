import { writeFile } from 'node:fs/promises';
import { PermanentError } from '../core/errors.js';
import { rationalValue } from '../core/rational.js';
import { concatList, stitchArgs } from './ffmpeg/args.js';
import { SEGMENT_FORMATS } from './ffmpeg/inputs.js';
import { runTool, trimStderr } from './ffmpeg/tool.js';
import { probeVideo } from './probe.js';
import type { StitchCheck, StitchRequest } from '../ports/video.js';

/** How far a variable-rate frame may land from its source time: a millisecond (they are kept to the microsecond). */
const VFR_FRAME_TOLERANCE = 0.001;

export type { StitchCheck } from '../ports/video.js';

/**
 * Concatenates the segments (no re-encode), muxes the original audio by copy, then verifies the
 * result against the input: the same frame count, the duration within one frame, the same display
 * rotation, and an audio stream exactly when the input had one, with the same codec and packet count. A failed check is
 * a PermanentError carrying the numbers.
 *
 * A variable-rate video's segments come with `segmentMicros`, each one's length in microseconds
 * (its range's, to the next range's first frame): they are joined end to end at exactly those
 * offsets, and every frame's output time is checked against its source time (`probe.framePts`),
 * within VFR_FRAME_TOLERANCE.
 */
export async function stitchVideo(
  o: StitchRequest & {
    /** The demuxers the original may be read with (the accepted containers). */
    readonly formats?: readonly string[];
  },
): Promise<StitchCheck> {
  const list = `${o.workDir}/segments.ffconcat`;
  const variableRate = o.segmentMicros !== undefined;
  await writeFile(list, concatList(o.segments, o.segmentMicros));
  const videoOffset = Math.max(0, o.probe.video.startTime - o.probe.startTime);
  const run = await runTool(
    'ffmpeg',
    stitchArgs(list, o.original, o.output, {
      audioStreamIndex: o.probe.audio?.index,
      videoOffset,
      rate: o.probe.video.frameRate,
      variableRate,
      rotation: o.probe.video.rotation,
      formats: o.formats,
    }),
    { signal: o.signal },
  );
  if (run.code !== 0)
    throw new PermanentError(`${o.label}: ffmpeg could not stitch the segments: ${trimStderr(run.stderr)}`, {
      code: 'StitchFailed',
    });
  const out = await probeVideo(o.output, `${o.label} (stitched)`, {
    signal: o.signal,
    frameTimes: variableRate,
    formats: SEGMENT_FORMATS,
  });
  const frameTime = 1 / rationalValue(o.probe.video.frameRate);
  const inputTimes = o.probe.framePts;
  if (variableRate && inputTimes === undefined)
    throw new Error(`${o.label}: a variable-rate stitch needs the input's frame times`);
  const drift = variableRate && inputTimes ? frameTimeDrift(inputTimes, out.framePts) : undefined;
  const check: StitchCheck = {
    frames: { input: o.probe.video.frameCount, output: out.video.frameCount },
    ...(drift ? { frameTimeDrift: drift.seconds } : {}),
    duration: { input: o.probe.video.duration, output: out.video.duration, tolerance: frameTime },
    rotation: { input: o.probe.video.rotation, output: out.video.rotation },
    audio: {
      input: o.probe.audio?.codec ?? null,
      output: out.audio?.codec ?? null,
      inputPackets: o.probe.audio?.packets ?? 0,
      outputPackets: out.audio?.packets ?? 0,
    },
  };
  const problems: string[] = [];
  if (check.frames.output !== check.frames.input)
    problems.push(`${check.frames.output} frames, expected ${check.frames.input}`);
  if (Math.abs(check.duration.output - check.duration.input) > frameTime + 1e-6) {
    problems.push(
      `video duration ${check.duration.output.toFixed(6)} s, expected ${check.duration.input.toFixed(6)} s ± ${frameTime.toFixed(6)}`,
    );
  }
  if (drift && drift.seconds > VFR_FRAME_TOLERANCE) {
    problems.push(
      `frame ${drift.frame} at ${drift.output.toFixed(6)} s, its source at ${drift.input.toFixed(6)} s (variable frame rate; tolerance ${VFR_FRAME_TOLERANCE} s)`,
    );
  }
  if (check.rotation.output !== check.rotation.input)
    problems.push(`display rotation ${check.rotation.output}°, expected ${check.rotation.input}°`);
  if (check.audio.output !== check.audio.input)
    problems.push(`audio ${check.audio.output ?? 'none'}, expected ${check.audio.input ?? 'none'}`);
  else if (check.audio.outputPackets !== check.audio.inputPackets)
    problems.push(`${check.audio.outputPackets} audio packets, expected ${check.audio.inputPackets}`);
  if (problems.length > 0)
    throw new PermanentError(`${o.label}: the stitched video does not match its input: ${problems.join('; ')}`, {
      code: 'StitchVerificationFailed',
    });
  return check;
}

/** The frame whose output time is furthest from its source time (both counted from the first frame), or none to compare. */
function frameTimeDrift(
  input: Float64Array,
  output: Float64Array,
): { frame: number; input: number; output: number; seconds: number } | undefined {
  const n = Math.min(input.length, output.length);
  if (n === 0) return undefined;
  let worst = { frame: 0, input: 0, output: 0, seconds: 0 };
  for (let i = 0; i < n; i++) {
    const a = (input[i] ?? 0) - (input[0] ?? 0);
    const b = (output[i] ?? 0) - (output[0] ?? 0);
    if (Math.abs(a - b) > worst.seconds) worst = { frame: i, input: a, output: b, seconds: Math.abs(a - b) };
  }
  return worst;
}
