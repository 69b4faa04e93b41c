/**
 * Issue 13: a SIGKILL at every step boundary, not one safe point (test/support/crashMatrix.ts).
 * Each case arms one named crash point; the process that reaches it kills itself there, once; the
 * runtime replaces it, the lock expires, the work is redelivered. The results must equal a clean
 * run of the same input: nothing missing, nothing doubled: every frame, and the audio packets.
 */
import { createWriteStream, existsSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submitFile } from '../../src/cli/submitFile.js';
import { CONTAINERS } from '../../src/core/jobNaming.js';
import { expectSameAsClean, frameHashes, onRuntime, type Outcome } from '../support/crashMatrix.js';
import { videoTestConfig } from '../support/video/jobs.js';
import { makeVideo, mediaDir, packetSums } from '../support/video/media.js';

const media = mediaDir('tessera-crash-video-');
afterAll(() => media.cleanup());

// Real processes on a shared machine: generous limits (no timing is asserted).
describe('the video job, killed at every step boundary', { timeout: 240_000 }, () => {
  let clip: string;
  const run = (crashAt?: string) =>
    onRuntime(videoTestConfig(), crashAt, async (ctx) => {
      const job = await submitFile(ctx, clip, { model: 'toon' });
      return {
        jobId: job.jobId,
        results: async () => {
          const styled = media.file(`out-${job.jobId}-${Date.now()}.mp4`);
          const { stream } = await ctx.blobs.get(CONTAINERS.results, `${job.jobId}/clip.styled.mp4`);
          await pipeline(stream, createWriteStream(styled));
          expect(existsSync(styled)).toBe(true);
          return { frames: frameHashes(styled), audio: await packetSums(styled, 'a:0') };
        },
      };
    });
  let clean: Outcome;
  beforeAll(async () => {
    clip = await makeVideo(media.file('clip.mp4'), { frames: 12, audio: true });
    clean = await run();
    expect(clean.state).toBe('succeeded');
    expect((clean.results as { frames: string[] }).frames).toHaveLength(12);
  }, 240_000);

  it.each([
    ['planning, its ranges recorded and before they are queued', 'after:addShards'],
    ['in the middle of ffmpeg rendering a range', 'during:renderSegment'],
    ["a range's segment uploaded, before the ledger records it", 'after:put:work/*/segments/*'],
    ['in the middle of the stitch', 'during:stitch'],
    ['the styled video uploaded, before the job ends', 'after:put:results/*.styled.mp4'],
  ])('%s (%s)', async (_where, point) => {
    expectSameAsClean(await run(point), clean);
  });
});
