import { writeFile } from 'node:fs/promises';
import { PermanentError } from '../core/errors.js';
import { rationalValue } from '../core/rational.js';
import { concatList, stitchArgs } from './ffmpeg/args.js';
import { runTool, trimStderr } from './ffmpeg/tool.js';
import { probeVideo, type VideoProbe } from './probe.js';

export interface StitchCheck {
  readonly frames: { readonly input: number; readonly output: number };
  readonly duration: { readonly input: number; readonly output: number; readonly tolerance: number };
  readonly audio: { readonly input: string | null; readonly output: string | null; readonly inputPackets: number; readonly outputPackets: number };
}

/**
 * Concatenates the segments (no re-encode), muxes the original audio by copy, then verifies the
 * result against the input: the same frame count, the duration within one frame, and an audio
 * stream exactly when the input had one, with the same codec and packet count. A failed check is
 * a PermanentError carrying the numbers.
 */
export async function stitchVideo(o: { segments: readonly string[]; original: string; probe: VideoProbe; output: string; workDir: string; label: string; signal?: AbortSignal }): Promise<StitchCheck> {
  const list = `${o.workDir}/segments.ffconcat`;
  await writeFile(list, concatList(o.segments));
  const videoOffset = Math.max(0, o.probe.video.startTime - o.probe.startTime);
  const run = await runTool('ffmpeg', stitchArgs(list, o.original, o.output, { audioStreamIndex: o.probe.audio?.index, videoOffset, rate: o.probe.video.frameRate }), { signal: o.signal });
  if (run.code !== 0) throw new PermanentError(`${o.label}: ffmpeg could not stitch the segments: ${trimStderr(run.stderr)}`, { code: 'StitchFailed' });
  const out = await probeVideo(o.output, `${o.label} (stitched)`, { signal: o.signal, frameTimes: false });
  const frameTime = 1 / rationalValue(o.probe.video.frameRate);
  const check: StitchCheck = {
    frames: { input: o.probe.video.frameCount, output: out.video.frameCount },
    duration: { input: o.probe.video.duration, output: out.video.duration, tolerance: frameTime },
    audio: { input: o.probe.audio?.codec ?? null, output: out.audio?.codec ?? null, inputPackets: o.probe.audio?.packets ?? 0, outputPackets: out.audio?.packets ?? 0 },
  };
  const problems: string[] = [];
  if (check.frames.output !== check.frames.input) problems.push(`${check.frames.output} frames, expected ${check.frames.input}`);
  if (Math.abs(check.duration.output - check.duration.input) > frameTime + 1e-6) {
    problems.push(`video duration ${check.duration.output.toFixed(6)} s, expected ${check.duration.input.toFixed(6)} s ± ${frameTime.toFixed(6)}`);
  }
  if (check.audio.output !== check.audio.input) problems.push(`audio ${check.audio.output ?? 'none'}, expected ${check.audio.input ?? 'none'}`);
  else if (check.audio.outputPackets !== check.audio.inputPackets) problems.push(`${check.audio.outputPackets} audio packets, expected ${check.audio.inputPackets}`);
  if (problems.length > 0) throw new PermanentError(`${o.label}: the stitched video does not match its input: ${problems.join('; ')}`, { code: 'StitchVerificationFailed' });
  return check;
}
