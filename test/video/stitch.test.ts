import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/core/errors.js';
import { fitGeometry, planFrameShards, rangeTicks, videoTicks } from '../../src/core/framePlan.js';
import { decodeArgs, encodeArgs } from '../../src/video/ffmpeg/args.js';
import { runFramePipeline } from '../../src/video/framePipeline.js';
import { probeVideo, type VideoProbe } from '../../src/video/probe.js';
import { stitchVideo } from '../../src/video/stitch.js';
import {
  audioOf,
  ffmpeg,
  makeVfrVideo,
  makeVideo,
  mediaDir,
  packetSums,
  skylineSection,
  streamFacts,
  videoOf,
  videoPts,
} from '../support/video/media.js';

/** x264 with B-frames, as the product encodes by default: the frames' times must survive reordering. */
const settings = { crf: 23, preset: 'veryfast' };

/**
 * Renders every planned range of `input` as an identity segment (decode exactly the range, encode
 * it), timed as the planner times it: a variable-rate input's ranges with their frames' times.
 * Returns the segments and, for a variable-rate input, their lengths in microseconds.
 */
async function renderAll(
  input: string,
  probe: VideoProbe,
  size: number,
  dir: string,
): Promise<string[] & { micros?: number[] }> {
  const { width, height } = probe.video;
  const fit = fitGeometry(width, height, undefined, 'stretch');
  const ticks = probe.video.vfr
    ? videoTicks(probe.framePts, probe.video.startTime - probe.startTime + probe.video.duration)
    : undefined;
  mkdirSync(dir, { recursive: true });
  const out: string[] & { micros?: number[] } = [];
  for (const shard of planFrameShards(probe.framePts, size, probe.keyframes, size)) {
    const path = `${dir}/${shard.shardId}.mp4`;
    const range = ticks ? rangeTicks(ticks, shard.start, shard.end) : undefined;
    await runFramePipeline({
      decodeArgs: decodeArgs(input, {
        streamIndex: probe.video.index,
        seekSeconds: shard.seekSeconds,
        count: shard.end - shard.start,
        width,
        height,
        fit,
      }),
      encodeArgs: encodeArgs(path, { width, height, fit, rate: probe.video.frameRate, settings, ticks: range }),
      frameBytes: width * height * 3,
      frames: shard.end - shard.start,
      batch: 8,
      label: shard.shardId,
    });
    out.push(path);
    if (range) (out.micros ??= []).push(range.at(-1)!);
  }
  return out;
}

describe('stitchVideo', () => {
  const media = mediaDir();
  let section: string;
  let probe: VideoProbe;
  let segments: string[];

  beforeAll(async () => {
    section = await skylineSection(media.file('section.mp4'), 2);
    probe = await probeVideo(section, 'inbox/section.mp4');
    segments = await renderAll(section, probe, 15, media.file('segments'));
  });
  afterAll(() => media.cleanup());

  it('the 2 s section is what the test expects: 61 frames at the fixture rate, AAC', () => {
    expect(probe.video.frameCount).toBe(61);
    expect(probe.video.frameRate).toEqual({ num: 23040000, den: 767849 });
    expect(probe.audio?.codec).toBe('aac');
    expect(segments.length).toBeGreaterThanOrEqual(4);
  });

  it("joins identity segments into exactly the input's frames, duration, frame grid and audio packets", async () => {
    const output = media.file('stitched.mp4');
    const check = await stitchVideo({
      segments,
      original: section,
      probe,
      output,
      workDir: media.dir,
      label: 'inbox/section.mp4',
    });
    expect(check.frames).toEqual({ input: 61, output: 61 });
    expect(check.audio).toMatchObject({ input: 'aac', output: 'aac' });
    expect(check.audio.outputPackets).toBe(check.audio.inputPackets);

    const inFacts = await streamFacts(section);
    const outFacts = await streamFacts(output);
    const vIn = videoOf(inFacts),
      vOut = videoOf(outFacts);
    expect(vOut.packets).toBe(vIn.packets);
    expect(vOut.timeBase).toBe('1/23040000');
    expect(vOut.duration).toBe(vIn.duration);
    expect(vOut.duration).toBeCloseTo((61 * 767849) / 23040000, 6);
    const pts = await videoPts(output);
    expect(pts).toHaveLength(61);
    expect(pts[0]).toBe(0);
    pts.slice(1).forEach((t, i) => expect(t - pts[i]!, `frame ${i + 1}`).toBe(767849));
    const aIn = audioOf(inFacts)!,
      aOut = audioOf(outFacts)!;
    expect(aOut.codec).toBe(aIn.codec);
    expect(aOut.packets).toBe(aIn.packets);
    // The audio is copied: the same packets, bytes and timestamps. (Only the last packet's
    // duration differs: ffmpeg's mp4 muxer trims it by the 144-sample start offset, 3 ms, exactly
    // as a plain `ffmpeg -i section.mp4 -c copy` remux does.)
    const sumsIn = await packetSums(section, 'a:0'),
      sumsOut = await packetSums(output, 'a:0');
    expect(sumsOut.map(({ duration: _, ...p }) => p)).toEqual(sumsIn.map(({ duration: _, ...p }) => p));
    expect(Math.abs(aOut.duration - aIn.duration)).toBeLessThanOrEqual(0.0031);
  });

  it('a segment left out: PermanentError with the numbers', async () => {
    const error = await stitchVideo({
      segments: segments.filter((_, i) => i !== 1),
      original: section,
      probe,
      output: media.file('gap.mp4'),
      workDir: media.dir,
      label: 'inbox/section.mp4',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as PermanentError).code).toBe('StitchVerificationFailed');
    expect((error as Error).message).toMatch(
      /^inbox\/section\.mp4: the stitched video does not match its input: 4\d frames, expected 61; video duration 1\.\d+ s, expected 2\.03\d+ s/,
    );
  });

  it('a segment file that is missing: ffmpeg stops the concat there (exit 0), and the check fails with the numbers', async () => {
    const error = await stitchVideo({
      segments: [segments[0]!, media.file('segments/nope.mp4'), ...segments.slice(1)],
      original: section,
      probe,
      output: media.file('missing.mp4'),
      workDir: media.dir,
      label: 'inbox/section.mp4',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as PermanentError).code).toBe('StitchVerificationFailed');
    expect((error as Error).message).toMatch(
      /: (1\d|\d) frames, expected 61; video duration 0\.\d+ s, expected 2\.03\d+ s/,
    );
  });

  it('audio that does not survive the mux (fewer packets, another codec): PermanentError with the numbers', async () => {
    // The original as the stitch reads it no longer carries the audio it was probed with.
    const shortAudio = media.file('short-audio.mp4');
    await ffmpeg('-i', section, '-t', '1', '-i', section, '-map', '0:v', '-map', '1:a', '-c', 'copy', shortAudio);
    const otherCodec = media.file('ac3-audio.mp4');
    await ffmpeg('-i', section, '-map', '0:v', '-map', '0:a', '-c:v', 'copy', '-c:a', 'ac3', otherCodec);
    const stitch = (original: string, name: string) =>
      stitchVideo({
        segments,
        original,
        probe,
        output: media.file(name),
        workDir: media.dir,
        label: 'inbox/section.mp4',
      })
        .then(() => new Error('the check passed'))
        .catch((e: unknown) => e as Error);
    const fewer = await stitch(shortAudio, 'fewer.mp4');
    expect(fewer).toBeInstanceOf(PermanentError);
    expect((fewer as PermanentError).code).toBe('StitchVerificationFailed');
    expect(fewer.message).toMatch(
      new RegExp(
        `: the stitched video does not match its input: \\d+ audio packets, expected ${probe.audio!.packets}$`,
      ),
    );
    const codec = await stitch(otherCodec, 'codec.mp4');
    expect(codec).toBeInstanceOf(PermanentError);
    expect(codec.message).toMatch(/: the stitched video does not match its input: audio ac3, expected aac$/);
  });

  it('a video without audio stitches without audio', async () => {
    const silent = await makeVideo(media.file('silent.mp4'), { frames: 10 });
    const p = await probeVideo(silent, 'inbox/silent.mp4');
    const segs = await renderAll(silent, p, 4, media.file('silent-segments'));
    const output = media.file('silent-stitched.mp4');
    const check = await stitchVideo({
      segments: segs,
      original: silent,
      probe: p,
      output,
      workDir: media.dir,
      label: 'inbox/silent.mp4',
    });
    expect(check.frames).toEqual({ input: 10, output: 10 });
    expect(check.audio).toEqual({ input: null, output: null, inputPackets: 0, outputPackets: 0 });
    const facts = await streamFacts(output);
    expect(facts.streams.map((s) => s.type)).toEqual(['video']);
    expect(await videoPts(output)).toHaveLength(10);
  });

  // A variable-rate input used to come out re-timed at its average rate (frame 5 shown at 0.350 s
  // instead of 0.500 s): count and duration matched, the picture drifted against the audio. Now each
  // range's segment carries its frames' source times and the ranges are joined at their exact lengths.
  it("a variable-frame-rate video keeps every frame's presentation time, across ranges, with B-frames", async () => {
    const vfr = await makeVfrVideo(media.file('vfr.mp4'));
    const p = await probeVideo(vfr, 'inbox/vfr.mp4');
    expect(p.video.vfr).toBe(true);
    const segs = await renderAll(vfr, p, 4, media.file('vfr-segments'));
    expect(segs.length).toBeGreaterThanOrEqual(3); // the jump from 100 ms to 50 ms frames falls inside a range and between ranges
    const output = media.file('vfr-stitched.mp4');
    const check = await stitchVideo({
      segments: segs,
      original: vfr,
      probe: p,
      output,
      workDir: media.dir,
      label: 'inbox/vfr.mp4',
      segmentMicros: segs.micros,
    });
    expect(check.frames).toEqual({ input: 15, output: 15 });
    expect(check.frameTimeDrift).toBeLessThanOrEqual(1e-6);
    const out = await probeVideo(output, 'stitched');
    const drift = Array.from(out.framePts, (t, i) => Math.abs(t - p.framePts[i]!));
    expect(Math.max(...drift)).toBeLessThanOrEqual(1e-6);
    expect(Math.abs(out.video.duration - p.video.duration)).toBeLessThanOrEqual(1e-6);
  });

  it('a variable-rate stitch whose segments do not hold the source times fails the check with the frame and both times', async () => {
    const vfr = await makeVfrVideo(media.file('vfr-again.mp4'));
    const p = await probeVideo(vfr, 'inbox/vfr.mp4');
    // Segments timed at the average rate, as before: joined at the ranges' true lengths, frames land off their times.
    const cfr = await renderAll(vfr, { ...p, video: { ...p.video, vfr: false } }, 4, media.file('vfr-cfr-segments'));
    const micros = (await renderAll(vfr, p, 4, media.file('vfr-segments-2'))).micros;
    await expect(
      stitchVideo({
        segments: cfr,
        original: vfr,
        probe: p,
        output: media.file('vfr-wrong.mp4'),
        workDir: media.dir,
        label: 'inbox/vfr.mp4',
        segmentMicros: micros,
      }),
    ).rejects.toMatchObject({
      code: 'StitchVerificationFailed',
      message: expect.stringMatching(
        /^inbox\/vfr\.mp4: the stitched video does not match its input: .*frame \d+ at \d\.\d{6} s, its source at \d\.\d{6} s \(variable frame rate/,
      ),
    });
  });
});
