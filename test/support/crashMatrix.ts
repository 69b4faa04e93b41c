/**
 * Shared by the crash matrix (test/runtime/crashMatrix.*.e2e.test.ts, issue 13): a job of one kind
 * on a fresh embedded runtime (real worker and aggregator processes) with one named crash point
 * armed (TESSERA_CRASH_AT, src/composition/local/crashPoints.ts), and its results in a form that
 * compares with a clean run's.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { expect } from 'vitest';
import { startLocalRuntime } from '../../src/composition/local/localRuntime.js';
import type { Config } from '../../src/config/config.js';
import { CONTAINERS, resultBlobName } from '../../src/core/jobNaming.js';
import { parseReadingRow } from '../../src/core/readings.js';
import { createRecordingLogger } from '../../src/hosting/logger.js';
import { readBlobText } from '../../src/usecases/readBlobText.js';
import { openContext, tempHome, waitForJob } from './localHarness.js';
import { sensorCsv } from './usecases/usecaseWorld.js';

type Ctx = ReturnType<typeof openContext>;

/** Short locks: a killed worker's message comes back quickly. */
export const LOCK_MS = 1500;
/** Three series of the sensor fixture over 40 minutes: several shards, runs in seconds. */
export const SERIES = new Set(['1/1', '1/2', '2/3']);
export const LAST_TS = Date.UTC(2018, 7, 28, 23, 40, 0);

export const readingsCsv = (() => {
  const [header = '', ...rows] = sensorCsv((d, t) => SERIES.has(`${d}/${t}`)).split('\n');
  const kept = rows.filter((r) => {
    const row = parseReadingRow(r);
    return row.ok && row.reading.ts < LAST_TS;
  });
  return `${[header, ...kept].join('\n')}\n`;
})();

export interface Outcome {
  readonly state: string;
  readonly error: string | undefined;
  /** The kind's results, comparable across runs (no ids, times or lineage). */
  readonly results: unknown;
  /** How many crash points fired (their marker files). */
  readonly fired: number;
}

/** Runs `work` on a fresh embedded runtime with `crashAt` armed; returns its outcome. */
export async function onRuntime(
  overrides: Partial<Config>,
  crashAt: string | undefined,
  work: (ctx: Ctx) => Promise<{ jobId: string; results: () => Promise<unknown> }>,
  setup?: (ctx: Ctx) => Promise<void>,
): Promise<Outcome> {
  const home = tempHome({ lockDurationMs: LOCK_MS, ...overrides, crashAt });
  const ctx = openContext(home.config);
  await ctx.ensureContainers();
  await setup?.(ctx);
  const runtime = await startLocalRuntime(home.config, createRecordingLogger());
  try {
    const { jobId, results } = await work(ctx);
    const progress = await waitForJob(ctx, jobId, 120_000);
    const fired = readdirSync(home.config.home).filter((f) => f.endsWith('.fired')).length;
    return { state: progress.job.state, error: progress.job.error, results: await results(), fired };
  } finally {
    await runtime.stop();
    await ctx.close();
    home.cleanup();
  }
}

/** scores.csv's first `keep` columns (no lineage), sorted. */
export async function scoreLines(ctx: Ctx, jobId: string, keep: number): Promise<string[]> {
  const text = await readBlobText(ctx.blobs, CONTAINERS.results, resultBlobName(jobId, 'scores.csv'));
  return text
    .split('\n')
    .slice(1)
    .filter((l) => l !== '')
    .map((l) => l.split(',').slice(0, keep).join(','))
    .sort();
}

/** The crashed run succeeded, its crash point fired, and its results are the clean run's. */
export function expectSameAsClean(crashed: Outcome, clean: Outcome): void {
  expect(crashed.state, crashed.error).toBe('succeeded');
  expect(crashed.fired).toBe(1);
  expect(crashed.results).toEqual(clean.results);
}

/** Waits until the aggregator (which a crash may have restarted) has committed every event of the log. */
export async function allCommitted(ctx: Ctx, sent: number): Promise<void> {
  const log = ctx.aggregate.events;
  const deadline = Date.now() + 60_000;
  for (;;) {
    let done = 0;
    for (let p = 0; p < log.partitions; p++) {
      const last = await log.lastSequenceNumber(p);
      const checkpoint = await log.getCheckpoint(ctx.aggregate.consumerGroup, p);
      if ((checkpoint?.sequenceNumber ?? -1) >= last) done += 1;
    }
    if (done === log.partitions) return;
    if (Date.now() > deadline) throw new Error(`the aggregator did not commit the ${sent} events in time`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The decoded frames of a video, one md5 per frame. */
export function frameHashes(path: string): string[] {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-i', path, '-map', '0:v:0', '-f', 'framemd5', '-'], {
    encoding: 'utf8',
  });
  return r.stdout
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(',').at(-1)?.trim() ?? '');
}
