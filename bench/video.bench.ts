/**
 * `npm run bench -- video`:
 * - end-to-end frames per second of a video job on the local runtime (1 worker, 2 onnxruntime
 *   threads, batch 2, the mosaic style model) against the bare model's frames per second over as
 *   many frames with the same threads and batch, measured in the same run around the jobs, fastest
 *   of each (goal on CPU: >= 0.9), on a 96-frame clip in two ranges;
 * - split and restitch through the job path (`--model none` on the embedded runtime with two workers:
 *   inbox, plan, frame ranges as queue messages, segments re-encoded and uploaded, ledger, concat,
 *   audio mux, verify) against a plain ffmpeg transcode of the same video with the same x264
 *   settings, alternating, fastest of three each, as transcode time / our time (goal >= 0.8); the
 *   same for a 68 s video (the fixture four times over, two rounds each) as figures: how the job's
 *   fixed cost (its probes, concat and mux, hand-offs, about 0.7 s) weighs on a longer video;
 * - peak RSS of a worker process styling 16, 48 and 96 frames with mosaic: the slope fitted through
 *   them, projected over 512 frames, must stay under a tenth of the peak (rss_flatness >= 0.9).
 * Needs ../shared/fixtures (the real video and style model).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../src/config/config.js';
import { submitFile } from '../src/cli/submitFile.js';
import { openLocalContext } from '../src/composition/local/localContext.js';
import { startLocalRuntime } from '../src/composition/local/localRuntime.js';
import { createLogger } from '../src/hosting/logger.js';
import { bareModelFps, benchStyleModel, type StyleModelBench } from './styleModel.js';
import { fixturesDir } from '../test/support/fixtures.js';

const VIDEO = path.join(fixturesDir, 'video/skyline-360p.mp4');
const MOSAIC = path.join(fixturesDir, 'models/style/mosaic.onnx');
const ENCODE = { crf: 18, preset: 'veryfast' };
const SPLIT_ROUNDS = 3;
const E2E_ROUNDS = 2;
/** Seconds per range in the e2e job: with the 96-frame clip, two ranges of 48 frames. */
const RANGE_SECONDS = 2;
const quiet = createLogger({ level: 'error', sink: () => undefined });
/**
 * Frames the RSS check styles with mosaic (about 0.4 s a frame on a CPU), one worker process each.
 * From 16: the first frames grow the process to its working size (the heaps, onnxruntime's arena;
 * peak RSS here: 8 frames 648-661 MB, 16 frames 679-684, 24 frames 683, 48 frames 688), a one-off
 * that a fit starting at 8 frames took for growth per frame (rss_flatness 0.76-0.95 from run to run).
 */
const RSS_FRAMES = [16, 48, 96] as const;
/** rss_flatness: the shortest run's peak against it plus the fitted growth over this many frames. */
const RSS_PROJECTED_FRAMES = 512;

/** Least-squares line through the points. */
function lineFit(xs: readonly number[], ys: readonly number[]): { slope: number; intercept: number } {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

function ffmpeg(args: string[]): void {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-v', 'error', '-y', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(' ')}: ${r.stderr}`);
}

async function runJob(
  ctx: ReturnType<typeof openLocalContext>,
  clip: string,
  model = 'mosaic',
): Promise<{ seconds: number; ranges: number; stages: Stages }> {
  const start = performance.now();
  const job = await submitFile(ctx, clip, { model });
  // The job's own row only, every 50 ms: the bench must not take CPU from the job it times (a full
  // progress read lists every shard each time).
  let state = await ctx.ledger.getJob(job.jobId);
  while (state && state.state !== 'succeeded' && state.state !== 'failed') {
    await new Promise((r) => setTimeout(r, 50));
    state = await ctx.ledger.getJob(job.jobId);
  }
  if (state?.state !== 'succeeded') throw new Error(`bench video job failed: ${state?.error ?? ''}`);
  const summary = (state.detail as { summary?: { stagesMs?: Partial<Stages> } } | null)?.summary;
  const stages = { probe: NaN, decodeWait: NaN, model: NaN, encodeWait: NaN, stitch: NaN, ...summary?.stagesMs };
  return { seconds: (performance.now() - start) / 1000, ranges: state.shardsTotal ?? NaN, stages };
}

/** A job's stage times in ms, as its summary records them (the ranges' stages summed over ranges). */
interface Stages {
  readonly probe: number;
  readonly decodeWait: number;
  readonly model: number;
  readonly encodeWait: number;
  readonly stitch: number;
}

/**
 * E2E_ROUNDS times: a warm runtime (its worker has run a 1-frame job, so the model is loaded), then
 * the timed job over the clip (under a name of its own, so each is a new job). The bare model runs
 * over as many frames before the first round and after each, with the runtime stopped, with the
 * same threads and batch. The fastest job counts against the fastest bare run: both sides are
 * sampled alike (same frames, so about as long, alternating, best of each), and load that comes
 * and goes on a shared machine weighs on neither more than the other.
 */
async function endToEnd(
  dir: string,
  frames: number,
): Promise<{ seconds: number[]; ranges: number; bareFps: number[]; stylizer: StyleModelBench; stages: Stages }> {
  const source = path.join(dir, 'e2e.mp4');
  ffmpeg([
    '-ss',
    '4.5',
    '-i',
    VIDEO,
    '-frames:v',
    String(frames),
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-c:a',
    'aac',
    source,
  ]);
  // One worker (its defaults follow: ffmpeg gets the cores); the runtime's default poll interval: a
  // job's messages do not wait on it, only idle watchers do. Ranges of RANGE_SECONDS (at most half
  // the clip), so the job crosses a range boundary as a long video does at every one.
  const base = loadConfig({
    TESSERA_HOME: path.join(dir, 'home'),
    TESSERA_LOG_LEVEL: 'error',
    TESSERA_WORKERS: '1',
    TESSERA_VIDEO_BATCH: '2',
    TESSERA_VIDEO_THREADS: '2',
  });
  const config = {
    ...base,
    video: { ...base.video, shardSeconds: RANGE_SECONDS, maxShardFrames: Math.ceil(frames / 2) },
  };
  const bareOptions = { modelPath: MOSAIC, metadata: { color: 'bgr' }, frames, batch: 2, intraOpThreads: 2 };
  const stylizer = await benchStyleModel({ ...bareOptions, frames: 8 });
  const bareFps = [await bareModelFps(bareOptions)];
  const seconds: number[] = [];
  let ranges = NaN;
  let stages: Stages | undefined;
  for (let round = 0; round < E2E_ROUNDS; round++) {
    const warm = path.join(dir, `warm-${round}.mp4`);
    const clip = path.join(dir, `e2e-${round}.mp4`);
    ffmpeg(['-i', VIDEO, '-frames:v', '1', '-c:v', 'libx264', '-preset', 'ultrafast', '-an', warm]);
    copyFileSync(source, clip);
    const ctx = openLocalContext(config, quiet);
    await ctx.ensureContainers();
    if (round === 0) await ctx.registry.add('mosaic', readFileSync(MOSAIC), { meta: { color: 'bgr' } });
    const runtime = await startLocalRuntime(config, quiet);
    try {
      await runJob(ctx, warm);
      const job = await runJob(ctx, clip);
      if (job.seconds < Math.min(...seconds)) stages = job.stages;
      seconds.push(job.seconds);
      ranges = job.ranges;
    } finally {
      await runtime.stop();
      await ctx.close();
    }
    bareFps.push(await bareModelFps(bareOptions));
  }
  return { seconds, ranges, bareFps, stylizer, stages: stages! };
}

/** One plain ffmpeg transcode with the job's x264 settings: the baseline of the split. */
function transcode(dir: string, video = VIDEO): number {
  const t0 = performance.now();
  ffmpeg([
    '-i',
    video,
    '-map',
    '0:v:0',
    '-map',
    '0:a:0',
    '-c:v',
    'libx264',
    '-preset',
    ENCODE.preset,
    '-crf',
    String(ENCODE.crf),
    '-c:a',
    'copy',
    path.join(dir, 'transcode.mp4'),
  ]);
  return (performance.now() - t0) / 1000;
}

/**
 * The same video through the job path with the no-style model (`--model none`): a warm embedded
 * runtime of two workers with the product's defaults (range target, each ffmpeg's share of the
 * cores), the file submitted into the inbox, planned into frame ranges, each range re-encoded as a
 * segment by whichever worker takes its message, its segment uploaded to the blob store and the
 * ledger updated, then concat, audio mux and verify, and the result in the results container.
 * Timed from submission to the job's success.
 */
async function splitRestitchJobs(
  dir: string,
  rounds: number,
  transcodeRound: () => number,
  video = VIDEO,
): Promise<SplitTimes> {
  const base = loadConfig({
    TESSERA_HOME: path.join(dir, `split-home-${path.basename(video, '.mp4')}`),
    TESSERA_LOG_LEVEL: 'error',
    TESSERA_WORKERS: '2',
    TESSERA_VIDEO_CRF: String(ENCODE.crf),
    TESSERA_VIDEO_PRESET: ENCODE.preset,
  });
  const ctx = openLocalContext(base, quiet);
  await ctx.ensureContainers();
  const runtime = await startLocalRuntime(base, quiet);
  const oursAll: number[] = [];
  const transcodeAll: number[] = [];
  let ranges = NaN;
  let stages: Stages | undefined;
  try {
    const warm = path.join(dir, 'split-warm.mp4');
    ffmpeg(['-i', VIDEO, '-frames:v', '1', '-c:v', 'libx264', '-preset', 'ultrafast', '-an', warm]);
    await runJob(ctx, warm, 'none');
    for (let round = 0; round < rounds; round++) {
      transcodeAll.push(transcodeRound());
      const clip = path.join(dir, `split-${path.basename(video, '.mp4')}-${round}.mp4`);
      copyFileSync(video, clip);
      const job = await runJob(ctx, clip, 'none');
      if (job.seconds < Math.min(...oursAll)) stages = job.stages;
      oursAll.push(job.seconds);
      ranges = job.ranges;
    }
  } finally {
    await runtime.stop();
    await ctx.close();
  }
  return {
    ours: Math.min(...oursAll),
    transcode: Math.min(...transcodeAll),
    oursAll,
    transcodeAll,
    ranges,
    stages: stages!,
  };
}

interface SplitTimes {
  readonly ours: number;
  readonly transcode: number;
  readonly oursAll: number[];
  readonly transcodeAll: number[];
  readonly ranges: number;
  /** The fastest round's. */
  readonly stages: Stages;
}

/**
 * The split against the plain transcode, alternating, SPLIT_ROUNDS times each; each side's fastest
 * round counts, so load that comes and goes on a shared machine weighs on neither side.
 */
function splitRestitch(dir: string): Promise<SplitTimes> {
  return splitRestitchJobs(dir, SPLIT_ROUNDS, () => transcode(dir));
}

/** Times the fixture is joined end to end (by copy) for the long split. */
const LONG_COPIES = 4;
const LONG_ROUNDS = 2;

/** The split against the transcode on the fixture LONG_COPIES times over (68 s, 2,048 frames), and its video's seconds. */
async function longSplitRestitch(dir: string): Promise<SplitTimes & { seconds: number }> {
  const list = path.join(dir, 'long.ffconcat');
  const long = path.join(dir, 'long.mp4');
  const quoted = `'${VIDEO.replaceAll("'", "'\\''")}'`;
  writeFileSync(list, `ffconcat version 1.0\n${`file ${quoted}\n`.repeat(LONG_COPIES)}`);
  ffmpeg(['-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', long]);
  const args = ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=duration', '-of', 'csv=p=0', long];
  const probe = spawnSync('ffprobe', args, { encoding: 'utf8' });
  const seconds = Number(probe.stdout.trim());
  if (probe.status !== 0 || !(seconds > 0)) throw new Error(`ffprobe ${long}: ${probe.stderr}`);
  const times = await splitRestitchJobs(dir, LONG_ROUNDS, () => transcode(dir, long), long);
  return { ...times, seconds };
}

/** Peak RSS of a worker process styling `frames` frames with mosaic, in MB. */
function peakRss(dir: string, frames: number): number {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      tsx,
      path.join(import.meta.dirname, 'videoRss.child.ts'),
      VIDEO,
      String(frames),
      path.join(dir, `rss-${frames}.mp4`),
      MOSAIC,
      'bgr',
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`rss child failed: ${r.stderr}`);
  const line = r.stdout.trim().split('\n').at(-1) ?? '{}';
  return (JSON.parse(line) as { maxRssMb: number }).maxRssMb;
}

export async function run(): Promise<{
  ratios: Record<string, number>;
  goals: Record<string, number>;
  figures: Record<string, number>;
}> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tessera-bench-video-'));
  try {
    // 96 frames (3.2 s) in two ranges of 48: a job also has about a second of fixed cost (probe and
    // plan, the ranges' decoder start and encoder flush, the stitch and its checks), which a
    // 48-frame clip weighs twice as heavily as this one and a real video hundreds of times less.
    const frames = 96;
    const e2e = await endToEnd(dir, frames);
    const e2eSeconds = Math.min(...e2e.seconds);
    const bareFps = Math.max(...e2e.bareFps);
    const split = await splitRestitch(dir);
    const long = await longSplitRestitch(dir);
    const rss = RSS_FRAMES.map((frames) => ({ frames, mb: peakRss(dir, frames) }));
    const fit = lineFit(
      rss.map((r) => r.frames),
      rss.map((r) => r.mb),
    );
    const base = rss[0]!.mb;
    return {
      ratios: {
        e2e_vs_bare_model_fps: frames / e2eSeconds / bareFps,
        transcode_vs_split_restitch: split.transcode / split.ours,
        rss_flatness: base / (base + Math.max(0, fit.slope) * RSS_PROJECTED_FRAMES),
      },
      goals: { e2e_vs_bare_model_fps: 0.9, transcode_vs_split_restitch: 0.8, rss_flatness: 0.9 },
      figures: {
        e2e_frames: frames,
        e2e_ranges: e2e.ranges,
        e2e_seconds: e2eSeconds,
        e2e_fps: frames / e2eSeconds,
        bare_model_fps: bareFps,
        e2e_seconds_max: Math.max(...e2e.seconds),
        bare_model_fps_min: Math.min(...e2e.bareFps),
        stylizer_fps_8_frames: e2e.stylizer.stylizerFps,
        bare_model_fps_8_frames: e2e.stylizer.bareModelFps,
        conversion_share_of_model: e2e.stylizer.conversionShare,
        // The fastest e2e job's stages (summed over its ranges but the probe and the stitch).
        e2e_probe_seconds: e2e.stages.probe / 1000,
        e2e_model_seconds_sum: e2e.stages.model / 1000,
        e2e_decode_wait_seconds_sum: e2e.stages.decodeWait / 1000,
        e2e_encode_wait_seconds_sum: e2e.stages.encodeWait / 1000,
        e2e_stitch_seconds: e2e.stages.stitch / 1000,
        transcode_seconds: split.transcode,
        split_restitch_seconds: split.ours,
        transcode_seconds_max: Math.max(...split.transcodeAll),
        split_restitch_seconds_max: Math.max(...split.oursAll),
        ...Object.fromEntries(rss.map((r) => [`worker_peak_rss_mb_${r.frames}_frames`, r.mb])),
        worker_rss_slope_mb_per_100_frames: fit.slope * 100,
        split_ranges: split.ranges,
        // Where the fastest split job's time went: the plan's probe and the finish's stitch (with its
        // probes and checks) each hold up the whole job; the ranges' encoding is summed over ranges.
        split_probe_seconds: split.stages.probe / 1000,
        split_range_encode_seconds_sum: split.stages.encodeWait / 1000,
        split_stitch_seconds: split.stages.stitch / 1000,
        long_seconds: long.seconds,
        long_transcode_seconds: long.transcode,
        long_split_restitch_seconds: long.ours,
        long_split_ranges: long.ranges,
        long_transcode_vs_split_restitch: long.transcode / long.ours,
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
