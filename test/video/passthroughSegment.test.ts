/**
 * A range re-encoded with no model (the pass-through policy and the bench's split): one ffmpeg per
 * range, whose own progress report is the frame count that is checked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFsBlobStore } from '../../src/adapters/local/fsBlobStore.js';
import { probeVideo, type VideoProbe } from '../../src/video/probe.js';
import { createVideoTools } from '../../src/video/videoTools.js';
import { rangeTicks, videoTicks } from '../../src/core/framePlan.js';
import { makeVfrVideo, mediaDir, skylineSection, streamFacts, videoOf } from '../support/video/media.js';

describe('renderSegment without a model (pass-through)', () => {
  const media = mediaDir();
  const blobs = createFsBlobStore({ root: media.file('blobs') });
  const tools = createVideoTools(blobs, { crf: 23, preset: 'ultrafast' });
  let section: string;
  let probe: VideoProbe;

  beforeAll(async () => {
    section = await skylineSection(media.file('section.mp4'), 1);
    probe = await probeVideo(section, 'inbox/section.mp4');
  });
  afterAll(async () => {
    await blobs.close();
    media.cleanup();
  });

  function render(start: number, count: number, output: string) {
    // The planner's seek: midway between the frame before the range and its first.
    const seekSeconds = start === 0 ? null : ((probe.framePts[start - 1] ?? 0) + (probe.framePts[start] ?? 0)) / 2;
    const { index, width, height, frameRate: rate } = probe.video;
    return tools.renderSegment({
      input: section,
      output,
      range: { start, end: start + count, seekSeconds, stream: { index, width, height, rate } },
      fit: 'stretch',
      style: undefined,
      batch: 8,
      label: `frames [${start}, ${start + count})`,
    });
  }

  it("a variable-rate range keeps its frames' source times", async () => {
    const vfr = await makeVfrVideo(media.file('vfr.mp4'));
    const p = await probeVideo(vfr, 'inbox/vfr.mp4');
    const ticks = rangeTicks(videoTicks(p.framePts, p.video.duration), 3, 9); // across the jump from 100 ms to 50 ms frames
    const { index, width, height, frameRate: rate } = p.video;
    const output = media.file('out/vfr.mp4');
    await tools.renderSegment({
      input: vfr,
      output,
      range: {
        start: 3,
        end: 9,
        seekSeconds: (p.framePts[2]! + p.framePts[3]!) / 2,
        stream: { index, width, height, rate },
        ticks,
      },
      fit: 'stretch',
      style: undefined,
      batch: 8,
      label: 'frames [3, 9)',
    });
    const out = await probeVideo(output, 'segment');
    expect(Array.from(out.framePts, (t) => Math.round(t * 1e6))).toEqual(ticks.slice(0, -1));
  });

  it('writes exactly the frames of its range', async () => {
    await render(10, 12, media.file('out/a.mp4'));
    expect(videoOf(await streamFacts(media.file('out/a.mp4'))).packets).toBe(12);
  });

  it('a range that runs past the last frame: FrameCountMismatch with both numbers', async () => {
    const frames = probe.video.frameCount;
    await expect(render(20, frames, media.file('out/b.mp4'))).rejects.toMatchObject({
      code: 'FrameCountMismatch',
      message: expect.stringMatching(new RegExp(`re-encoded ${frames - 20} frames, expected ${frames}`)),
    });
  });
});
