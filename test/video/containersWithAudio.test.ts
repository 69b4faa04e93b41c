import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submitFile } from '../../src/cli/submitFile.js';
import type { LocalContext } from '../../src/composition/local/localContext.js';
import { openContext, tempHome } from '../support/localHarness.js';
import { downloadStyled, readSummary, videoTestConfig } from '../support/video/jobs.js';
import { makeClipWithAudio, mediaDir, packetSums, runTool, type AudioPlacement } from '../support/video/media.js';

/** Each frame's presentation time and the audio's start, in seconds, by ffprobe alone (pts, or dts where a packet has none). */
async function timeline(file: string): Promise<{ frames: number[]; audioStart: number }> {
  const r = await runTool('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'stream=index,codec_type,time_base,start_time:packet=stream_index,pts,dts',
    '-of',
    'json',
    file,
  ]);
  if (r.code !== 0) throw new Error(`ffprobe ${file}: ${r.stderr}`);
  const json = JSON.parse(r.stdout.toString('utf8')) as {
    streams: { index: number; codec_type: string; time_base: string; start_time: string }[];
    packets: { stream_index: number; pts?: number; dts?: number }[];
  };
  const video = json.streams.find((s) => s.codec_type === 'video')!;
  const audio = json.streams.find((s) => s.codec_type === 'audio')!;
  const [num, den] = video.time_base.split('/').map(Number) as [number, number];
  const frames = json.packets
    .filter((p) => p.stream_index === video.index)
    .map((p) => ((p.pts ?? p.dts ?? NaN) * num) / den)
    .sort((a, b) => a - b);
  return { frames, audioStart: Number(audio.start_time) };
}

const CONTAINERS = ['mp4', 'mov', 'mkv', 'webm', 'avi'] as const;
const PLACEMENTS: readonly AudioPlacement[] = ['before', 'after', 'past'];

interface Case {
  readonly name: string;
  readonly placement: AudioPlacement;
  readonly headerRate?: number;
}

const cases: Case[] = [
  ...CONTAINERS.flatMap((c) => PLACEMENTS.map((placement) => ({ name: `${placement}.${c}`, placement }))),
  // Headers that say 60/1 and 500/1 over frames 1/30 s apart (the issue saw 60/1 and 1000/1).
  { name: 'header-60.mkv', placement: 'past', headerRate: 60 },
  { name: 'header-500.webm', placement: 'past', headerRate: 500 },
];

/**
 * Every container the job accepts, with audio that starts before the video, after it, or runs past
 * its end: the job succeeds, every frame comes back at its source time against the audio, the
 * audio packets are copied, and the summary reports the real rate. Matroska and WebM video streams
 * declare no duration, and their millisecond timestamps put 30 fps frames 33 and 34 ms apart: the
 * expected duration used to be the container's (the audio's, when it runs longer) and such a video
 * was taken for a variable-rate one, or for one at its header's rate. Jobs run in-process with the
 * built-in toon model on 9 frames of 64x48.
 */
describe('a video with audio in every container', () => {
  const home = tempHome(videoTestConfig({ maxShardFrames: 5 }));
  const media = mediaDir('tessera-containers-');
  let ctx: LocalContext;
  const jobs = new Map<string, Promise<string>>();

  /** Plans, styles and finishes a job in this process (no workers); resolves to its job id. */
  async function runJob(file: string): Promise<string> {
    const job = await submitFile(ctx, file, { model: 'toon' });
    await ctx.dispatch({ kind: 'plan', jobId: job.jobId });
    for (const s of await ctx.ledger.listShards(job.jobId))
      await ctx.dispatch((s.detail as { message: unknown }).message);
    await ctx.dispatch({ kind: 'finish', jobId: job.jobId });
    return job.jobId;
  }

  beforeAll(async () => {
    ctx = openContext(home.config);
    await ctx.ensureContainers();
    await Promise.all(cases.map((c) => makeClipWithAudio(media.file(c.name), c.placement, c.headerRate)));
    // Two jobs at a time, in order; each test waits for its own.
    const chain: Promise<unknown>[] = [Promise.resolve(), Promise.resolve()];
    cases.forEach((c, i) => {
      const lane = i % 2;
      const run = chain[lane]!.then(() => runJob(media.file(c.name)));
      chain[lane] = run.catch(() => undefined);
      jobs.set(c.name, run);
      run.catch(() => undefined);
    });
  }, 60_000);
  afterAll(async () => {
    await ctx?.close();
    home.cleanup();
    media.cleanup();
  });

  for (const c of cases) {
    it(`${c.name}: every frame at its time against the audio, the audio packets copied, the real rate`, async () => {
      const input = media.file(c.name);
      const jobId = await jobs.get(c.name)!;
      const job = await ctx.ledger.getJob(jobId);
      expect(job?.state, job?.error).toBe('succeeded');
      const output = await downloadStyled(ctx, jobId, c.name, media.file(`${c.name}.styled.mp4`));

      const [source, styled] = await Promise.all([timeline(input), timeline(output)]);
      expect(styled.frames).toHaveLength(source.frames.length);
      expect(source.frames.length).toBeGreaterThanOrEqual(9);
      const drift = styled.frames.map((t, i) =>
        Math.abs(t - styled.audioStart - (source.frames[i]! - source.audioStart)),
      );
      // Within 2 ms: the sources' timestamps are whole milliseconds (ffmpeg's AVI has whole frames),
      // the output's sit on the exact 1/30 s grid, and an audio track's start is an edit in 1/1020 s.
      expect(
        Math.max(...drift),
        `frames against the audio: ${styled.frames.join()} vs ${source.frames.join()}`,
      ).toBeLessThan(0.002);

      const [audioIn, audioOut] = await Promise.all([packetSums(input, 'a:0'), packetSums(output, 'a:0')]);
      expect(audioOut.map((p) => p.md5)).toEqual(audioIn.map((p) => p.md5));

      const summary = await readSummary(ctx, jobId);
      // ffmpeg's AVI muxer cannot start a stream late: where the audio's priming or offset moves the
      // video, its first frame stays at 0 and the rest follow a frame or more later. Such a source
      // has a variable rate, and keeps it; every other clip is 30 fps.
      const irregular = source.frames.some((t, i) => Math.abs(t - source.frames[0]! - i / 30) > 0.001);
      expect(irregular).toBe(c.name === 'before.avi' || c.name === 'past.avi');
      expect(summary.probe).toMatchObject(irregular ? { vfr: true } : { frameRate: '30/1', vfr: false });
      const check = summary.check as { duration: { input: number; output: number; tolerance: number } };
      expect(Math.abs(check.duration.output - check.duration.input)).toBeLessThanOrEqual(check.duration.tolerance);
      if (!irregular) expect(check.duration.tolerance).toBeCloseTo(1 / 30, 9);
    }, 120_000);
  }
});
