/**
 * One world per job kind for the lifecycle's shared race and crash tests: a temp TESSERA_HOME with
 * the real local adapters, a small real input of the kind, the kind over any ports a test wraps,
 * and a check that a job's results are whole and unduplicated, from an oracle outside the lifecycle.
 */
import { aggregatorSettingsOf } from '../../../src/config/useCaseSettings.js';
import { createReadStream, createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { expect } from 'vitest';
import type { LocalContext } from '../../../src/composition/local/localContext.js';
import { CONTAINERS, modelNameFor, resultBlobName } from '../../../src/core/jobNaming.js';
import { parseReadingRow } from '../../../src/core/readings.js';
import { SeriesWindows } from '../../../src/core/windowing.js';
import { decodeWindowBatch } from '../../../src/core/windowStore.js';
import { sendEvents } from '../../../src/ingest/sendEvents.js';
import type { BlobStore } from '../../../src/ports/blobStore.js';
import type { JobLedger } from '../../../src/ports/jobLedger.js';
import { anomalyJob } from '../../../src/usecases/anomaly/anomalyJob.js';
import type { JobDeps } from '../../../src/usecases/jobDeps.js';
import { detailOf } from '../../../src/usecases/jobDetail.js';
import type { JobKind } from '../../../src/usecases/jobKind.js';
import { readBlobText } from '../../../src/usecases/readBlobText.js';
import { aggregateStep, restorePartition } from '../../../src/usecases/stream/aggregatePartition.js';
import { startStreamRun } from '../../../src/usecases/stream/startStreamRun.js';
import { streamJob } from '../../../src/usecases/stream/streamJob.js';
import { submitJob } from '../../../src/usecases/submitJob.js';
import { styledOutputBlob } from '../../../src/usecases/video/videoPaths.js';
import { videoJob } from '../../../src/usecases/video/videoJob.js';
import { createVideoTools } from '../../../src/video/videoTools.js';
import { openContext, registerOracleModels, tempHome } from '../localHarness.js';
import { audioOf, makeVideo, mediaDir, streamFacts, videoOf } from '../video/media.js';
import { videoTestConfig } from '../video/jobs.js';
import { sensorCsv } from './usecaseWorld.js';

export interface KindPorts {
  readonly ledger?: JobLedger;
  readonly blobs?: BlobStore;
}

export interface KindWorld {
  readonly name: 'anomaly' | 'video' | 'stream';
  readonly ctx: LocalContext;
  /** The kind over `ports` (the context's where not given), and the deps the lifecycle runs it with. */
  with(ports?: KindPorts): { deps: JobDeps; kind: JobKind };
  /** Creates a job of this kind, in state planning with its plan message queued; returns its id. */
  submit(name: string): Promise<string>;
  /** Asserts the job succeeded with every result exactly once. */
  expectComplete(jobId: string): Promise<void>;
  close(): Promise<void>;
}

/** Two series of the sensor fixture over their first half hour: a few shards of real data. */
const FIRST_TS = Date.UTC(2018, 7, 28, 23, 0, 0);
const LAST_TS = FIRST_TS + 30 * 60_000;
const SERIES = new Set(['1/1', '1/2', '2/3']);
function smallCsv(): string {
  const [header = '', ...rows] = sensorCsv((d, t) => SERIES.has(`${d}/${t}`)).split('\n');
  const kept = rows.filter((r) => {
    const row = parseReadingRow(r);
    return row.ok && row.reading.ts < LAST_TS;
  });
  return `${[header, ...kept].join('\n')}\n`;
}

/** scores.csv's data lines. */
async function scoreLines(ctx: LocalContext, jobId: string): Promise<string[]> {
  const text = await readBlobText(ctx.blobs, CONTAINERS.results, resultBlobName(jobId, 'scores.csv'));
  return text
    .split('\n')
    .slice(1)
    .filter((l) => l !== '');
}

async function expectSucceededWithSummary(ctx: LocalContext, jobId: string): Promise<void> {
  const job = await ctx.ledger.getJob(jobId);
  expect(job?.state, job?.error).toBe('succeeded');
  const summary = JSON.parse(await readBlobText(ctx.blobs, CONTAINERS.results, resultBlobName(jobId, 'summary.json')));
  expect(summary).toEqual(detailOf(job!).summary);
}

export async function anomalyWorld(): Promise<KindWorld> {
  const home = tempHome({ windowsPerShard: 10 });
  const ctx = openContext(home.config);
  await ctx.ensureContainers();
  await registerOracleModels(ctx, (d, t) => SERIES.has(`${d}/${t}`));
  const csv = smallCsv();
  // The oracle: the core's windows of the file, per series, one line each.
  const expected = new Set<string>();
  const series = new Map<string, SeriesWindows>();
  for (const line of csv.split('\n').slice(1)) {
    const row = parseReadingRow(line);
    if (!row.ok) continue;
    const key = `${row.reading.device}/${row.reading.tag}`;
    if (!series.has(key)) series.set(key, new SeriesWindows(row.reading.device, row.reading.tag, 60));
    series.get(key)!.add(row.reading.ts, row.reading.value);
  }
  for (const s of series.values())
    for (const w of s.windows()) expected.add(`${w.device},${w.tag},${new Date(w.start).toISOString()}`);
  return {
    name: 'anomaly',
    ctx,
    with: (ports = {}) => {
      const deps = { ...ctx.deps, ledger: ports.ledger ?? ctx.ledger, blobs: ports.blobs ?? ctx.blobs };
      return { deps, kind: anomalyJob(deps) };
    },
    async submit(name) {
      await ctx.blobs.put(CONTAINERS.inbox, `${name}.csv`, csv, { contentType: 'text/csv' });
      return (await submitJob(ctx.deps, { name: `${name}.csv` })).jobId;
    },
    async expectComplete(jobId) {
      await expectSucceededWithSummary(ctx, jobId);
      const keys = (await scoreLines(ctx, jobId)).map((l) => {
        const [device = '', tag = '', start = ''] = l.split(',');
        return `${device},${tag},${new Date(start.endsWith('Z') ? start : `${start}Z`).toISOString()}`;
      });
      expect(keys.length).toBe(expected.size);
      expect(new Set(keys)).toEqual(expected);
    },
    async close() {
      await ctx.close();
      home.cleanup();
    },
  };
}

export async function videoWorld(): Promise<KindWorld> {
  const home = tempHome(videoTestConfig());
  const ctx = openContext(home.config);
  await ctx.ensureContainers();
  const media = mediaDir();
  const clip = await makeVideo(media.file('clip.mp4'), { frames: 10, audio: true });
  const inputFacts = await streamFacts(clip);
  const input = videoOf(inputFacts);
  const inputAudio = audioOf(inputFacts);
  const v = home.config.video;
  const withPorts = (ports: KindPorts = {}) => {
    const blobs = ports.blobs ?? ctx.blobs;
    const tools = createVideoTools(blobs, { crf: v.crf, preset: v.preset, threads: v.ffmpegThreads });
    const base = ctx.video;
    const deps = { ...base, blobs, tools, ledger: ports.ledger ?? ctx.ledger };
    return { deps, kind: videoJob(deps) };
  };
  return {
    name: 'video',
    ctx,
    with: withPorts,
    async submit(name) {
      await ctx.blobs.put(CONTAINERS.inbox, `${name}.mp4`, createReadStream(clip), {
        contentType: 'video/mp4',
        metadata: { model: 'toon' },
      });
      return (await submitJob(ctx.deps, { name: `${name}.mp4` })).jobId;
    },
    async expectComplete(jobId) {
      await expectSucceededWithSummary(ctx, jobId);
      const job = await ctx.ledger.getJob(jobId);
      const out = media.file(`${jobId}.out.mp4`);
      const { stream } = await ctx.blobs.get(CONTAINERS.results, styledOutputBlob(jobId, job!.input.name ?? ''));
      await pipeline(stream, createWriteStream(out));
      const facts = await streamFacts(out);
      expect(videoOf(facts).packets).toBe(input.packets);
      expect(audioOf(facts)?.packets).toBe(inputAudio?.packets);
    },
    async close() {
      await ctx.close();
      home.cleanup();
      media.cleanup();
    },
  };
}

export async function streamWorld(
  options: { models?: (device: string, tag: string) => boolean } = {},
): Promise<KindWorld> {
  const home = tempHome();
  const config = {
    ...home.config,
    stream: { ...home.config.stream, maxPastSeconds: 20 * 365 * 86_400, lateMs: 10 * 60_000 },
  };
  const ctx = openContext(config);
  await ctx.ensureContainers();
  await registerOracleModels(ctx, (d, t) => SERIES.has(`${d}/${t}`) && (options.models?.(d, t) ?? true));
  const at = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
  // Readings of a series no model covers, after the data, on each device's partition: every real window closes.
  const flush = [2, 4].flatMap((m) => ['1', '2'].map((d) => `${at(LAST_TS + m * 60_000)},${d},flush,0`));
  await sendEvents({
    limits: aggregatorSettingsOf(config).limits,
    log: ctx.aggregate.events,
    input: Readable.from([smallCsv(), `${flush.join('\n')}\n`]),
    inputName: 'small.csv',
  });
  for (let p = 0; p < ctx.aggregate.events.partitions; p++) {
    const owned = await restorePartition(ctx.aggregate, p);
    for (let n = owned.next, after = -1; after !== n;) {
      after = n;
      n = await aggregateStep({ ...ctx.aggregate, waitMs: 0 }, owned, n);
    }
  }
  let tick = Date.UTC(2026, 0, 1);
  return {
    name: 'stream',
    ctx,
    with: (ports = {}) => {
      const deps = { ...ctx.stream, ledger: ports.ledger ?? ctx.ledger, blobs: ports.blobs ?? ctx.blobs };
      return { deps, kind: streamJob(deps) };
    },
    async submit() {
      tick += 3_600_000;
      const run = await startStreamRun(ctx.stream, tick);
      if (!run) throw new Error('no stream run started: another run is unfinished');
      return run.jobId;
    },
    async expectComplete(jobId) {
      await expectSucceededWithSummary(ctx, jobId);
      // The oracle: every window of the run's batches whose series has a model, once.
      const batches = detailOf((await ctx.ledger.getJob(jobId))!).batches as string[];
      const expected: string[] = [];
      for (const batch of batches)
        for (const w of decodeWindowBatch(await readBlobText(ctx.blobs, CONTAINERS.windows, batch)))
          if ((await ctx.registry.list()).some((m) => m.name === modelNameFor(config.modelPattern, w)))
            expected.push(`${w.device},${w.tag},${new Date(w.start).toISOString()},${w.revision}`);
      expect(expected.length).toBeGreaterThan(0);
      const keys = (await scoreLines(ctx, jobId)).map((l) => {
        const [device = '', tag = '', start = '', , revision = ''] = l.split(',');
        return `${device},${tag},${new Date(start.endsWith('Z') ? start : `${start}Z`).toISOString()},${revision}`;
      });
      expect(keys.sort()).toEqual(expected.sort());
    },
    async close() {
      await ctx.close();
      home.cleanup();
    },
  };
}

export const KIND_WORLDS = [
  ['anomaly', anomalyWorld],
  ['video', videoWorld],
  ['stream', () => streamWorld()],
] as const;
