import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submitFile } from '../../src/cli/submitFile.js';
import type { LocalContext } from '../../src/composition/local/localContext.js';
import { openContext, tempHome } from '../support/localHarness.js';
import { downloadStyled, identityStyleModel, readSummary, videoTestConfig } from '../support/video/jobs.js';
import {
  ffmpeg,
  firstFrameGray,
  mediaDir,
  runTool,
  streamFacts,
  videoOf,
  withRotateTag,
} from '../support/video/media.js';

/** ffprobe's colour tags of the video stream, independent of the code under test. */
async function colourTags(file: string): Promise<Record<string, string | undefined>> {
  const r = await runTool('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=pix_fmt,color_space,color_range,color_primaries,color_transfer',
    '-of',
    'json',
    file,
  ]);
  const [s] = (JSON.parse(r.stdout.toString('utf8')) as { streams: Record<string, string>[] }).streams;
  return { ...s };
}

/** The first frame's Y plane as stored (no conversion: the stream's own pixel format). */
async function lumaPlane(file: string, width: number, height: number): Promise<Uint8Array> {
  const raw = await ffmpeg('-i', file, '-frames:v', '1', '-f', 'rawvideo', 'pipe:1');
  return raw.subarray(0, width * height);
}

/** The first frame as rgb24, converted by ffmpeg from what the stream's tags say. */
async function rgbFrame(file: string): Promise<Uint8Array> {
  return ffmpeg('-i', file, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1');
}

function maxDifference(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

/**
 * The output shows as its source shows: a rotated phone video keeps its coded size and its display
 * rotation (it used to come back turned upright at the display size, with no rotation), and a BT.601
 * full-range (yuvj420p) source keeps its matrix, range, primaries and transfer (it used to come back
 * bt709 limited). Jobs run in-process on 96x64 clips of 4 frames.
 */
describe('rotation and colour are carried through', () => {
  const home = tempHome(videoTestConfig());
  const media = mediaDir('tessera-rotation-colour-');
  const f = media.file;
  let ctx: LocalContext;

  async function runJob(name: string, model: string): Promise<{ jobId: string; output: string }> {
    const job = await submitFile(ctx, f(name), { model });
    await ctx.dispatch({ kind: 'plan', jobId: job.jobId });
    for (const s of await ctx.ledger.listShards(job.jobId))
      await ctx.dispatch((s.detail as { message: unknown }).message);
    await ctx.dispatch({ kind: 'finish', jobId: job.jobId });
    const ended = await ctx.ledger.getJob(job.jobId);
    expect(ended?.state, ended?.error).toBe('succeeded');
    return { jobId: job.jobId, output: await downloadStyled(ctx, job.jobId, name, f(`${name}.styled.mp4`)) };
  }

  beforeAll(async () => {
    ctx = openContext(home.config);
    await ctx.ensureContainers();
    await ctx.registry.add('identity', identityStyleModel('rotation-colour'));
    // A white box in the top-left corner of a black frame: where it lands once shown tells the turn.
    await ffmpeg(
      '-f',
      'lavfi',
      '-i',
      'color=black:size=96x64:rate=10,drawbox=x=0:y=0:w=24:h=12:color=white:t=fill',
      '-frames:v',
      '4',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      f('upright.mp4'),
    );
    await withRotateTag(f('upright.mp4'), f('rotated.mp4'), 90);
    // BT.601, full range: white, a saturated red (its luma differs by matrix) and black.
    await ffmpeg(
      '-f',
      'lavfi',
      '-i',
      'color=white:size=96x64:rate=10,drawbox=x=0:y=0:w=48:h=64:color=red:t=fill,drawbox=x=48:y=32:w=48:h=32:color=black:t=fill',
      '-frames:v',
      '4',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuvj420p',
      '-colorspace',
      'bt470bg',
      '-color_primaries',
      'bt470bg',
      '-color_trc',
      'smpte170m',
      '-color_range',
      'pc',
      f('bt601-full.mp4'),
    );
  }, 60_000);
  afterAll(async () => {
    await ctx?.close();
    home.cleanup();
    media.cleanup();
  });

  it('a rotated MP4 keeps its coded 96x64 and its rotation; shown, its picture is where the source shows it', async () => {
    const source = videoOf(await streamFacts(f('rotated.mp4')));
    expect(source).toMatchObject({ width: 96, height: 64, rotation: 90 });
    const { jobId, output } = await runJob('rotated.mp4', 'toon');
    const styled = videoOf(await streamFacts(output));
    expect(styled).toMatchObject({ width: 96, height: 64, rotation: 90 });
    // Shown (ffmpeg applies the display matrix), both are 64x96 with the box in the same corner.
    const bright = (px: Uint8Array) => Array.from(px, (p) => (p > 128 ? 1 : 0));
    const want = bright(await firstFrameGray(f('rotated.mp4'), 64, 96));
    const got = bright(await firstFrameGray(output, 64, 96));
    expect(want.filter((b, i) => b === got[i]).length / want.length).toBeGreaterThan(0.95);
    const summary = await readSummary(ctx, jobId);
    expect(summary.probe).toMatchObject({ width: 64, height: 96, rotation: 270 });
    expect(summary.check).toMatchObject({ rotation: { input: 270, output: 270 } });
  });

  it('a BT.601 full-range (yuvj420p) source comes back tagged and converted as BT.601 full range', async () => {
    expect(await colourTags(f('bt601-full.mp4'))).toMatchObject({
      pix_fmt: 'yuvj420p',
      color_space: 'bt470bg',
      color_range: 'pc',
    });
    const { jobId, output } = await runJob('bt601-full.mp4', 'identity');
    // (ffmpeg's H.264 decoder names full-range 4:2:0 yuvj420p, as it does the source's.)
    expect(await colourTags(output)).toEqual({
      pix_fmt: 'yuvj420p',
      color_space: 'bt470bg',
      color_range: 'pc',
      color_primaries: 'bt470bg',
      color_transfer: 'smpte170m',
    });
    // The samples are the source's (full-range white is 255, not 235; red's luma is BT.601's), and
    // the picture a player decodes from them is the source's.
    const lumaIn = await lumaPlane(f('bt601-full.mp4'), 96, 64);
    expect(Math.max(...lumaIn)).toBeGreaterThan(250);
    expect(maxDifference(await lumaPlane(output, 96, 64), lumaIn)).toBeLessThanOrEqual(3);
    expect(maxDifference(await rgbFrame(output), await rgbFrame(f('bt601-full.mp4')))).toBeLessThanOrEqual(4);
    const summary = await readSummary(ctx, jobId);
    expect(summary.probe).toMatchObject({
      color: { space: 'bt470bg', range: 'pc', primaries: 'bt470bg', transfer: 'smpte170m' },
    });
  });
});
