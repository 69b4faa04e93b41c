import { aggregatorSettingsOf } from '../../src/config/useCaseSettings.js';
import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/config.js';
import { CONTAINERS, resultBlobName } from '../../src/core/jobNaming.js';
import { parseTimestamp } from '../../src/core/timestamps.js';
import { decodeWindowBatch, type StoredWindow } from '../../src/core/windowStore.js';
import { sendEvents } from '../../src/ingest/sendEvents.js';
import type { LocalContext } from '../../src/composition/local/localContext.js';
import { startLocalRuntime, type LocalRuntime } from '../../src/composition/local/localRuntime.js';
import { createRecordingLogger } from '../../src/hosting/logger.js';
import { readBlobText } from '../../src/usecases/readBlobText.js';
import { unscoredBatches } from '../../src/usecases/stream/streamBatches.js';
import { startStreamRun } from '../../src/usecases/stream/startStreamRun.js';
import { fixturesDir, ocsvmDir } from '../support/fixtures.js';
import { openContext, registerOracleModels, tempHome, waitForJob } from '../support/localHarness.js';

const SENSOR_CSV = join(fixturesDir, 'sensors/batchai-sensor_data.csv');
const LAST_TS = Date.UTC(2018, 7, 29, 3, 12, 30);

/** Every committed window, latest revision per (device, tag, start). */
async function committedWindows(ctx: LocalContext): Promise<Map<string, StoredWindow>> {
  const out = new Map<string, StoredWindow>();
  for (const name of await unscoredBatches(ctx.stream)) {
    for (const w of decodeWindowBatch(await readBlobText(ctx.blobs, CONTAINERS.windows, name))) {
      const key = `${w.device},${w.tag},${new Date(w.start).toISOString().replace('.000Z', 'Z')}`;
      if ((out.get(key)?.revision ?? 0) < w.revision) out.set(key, w);
    }
  }
  return out;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Readings of a series no model covers, two and four minutes after the data, on every device's
 * partition: every real window closes, and so does the first flush window (reported as no model).
 */
function flushEvents(devices: string[]): string {
  const at = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
  return `TS,Device,Tag,Value\n${[120_000, 240_000].flatMap((dt) => devices.map((d) => `${at(LAST_TS + dt)},${d},flush,0`)).join('\n')}\n`;
}

describe('the sensor stream end to end: events in, windows by event time, scheduled scoring', () => {
  let home: ReturnType<typeof tempHome>;
  let config: Config;
  let ctx: LocalContext;
  let runtime: LocalRuntime;
  const oracle = readFileSync(join(ocsvmDir, 'scores.csv'), 'utf8').trim().split('\n').slice(1);

  beforeAll(async () => {
    home = tempHome();
    // The fixture is from 2018: accept old event times; a yearly cron keeps the runtime's own ticks out of the way.
    config = {
      ...home.config,
      scoreCron: '0 0 1 1 *',
      stream: { ...home.config.stream, maxPastSeconds: 20 * 365 * 86_400, lateMs: 10 * 60_000 },
    };
    ctx = openContext(config);
    await ctx.ensureContainers();
    await registerOracleModels(ctx);
    runtime = await startLocalRuntime(config, createRecordingLogger());
  });

  afterAll(async () => {
    await runtime?.stop();
    await ctx?.close();
    home?.cleanup();
  });

  it('windows the replayed readings exactly as the oracle, and a run scores them as scikit-learn does', async () => {
    const sent = await sendEvents({
      limits: aggregatorSettingsOf(config).limits,
      log: ctx.aggregate.events,
      input: createReadStream(SENSOR_CSV),
      inputName: SENSOR_CSV,
    });
    expect(sent.sent).toBe(17_768);
    await sendEvents({
      limits: aggregatorSettingsOf(config).limits,
      log: ctx.aggregate.events,
      input: (await import('node:stream')).Readable.from([flushEvents(['1', '2', '3'])]),
      inputName: 'flush',
    });
    await until(
      'every window committed',
      async () =>
        [...(await committedWindows(ctx)).keys()].filter((k) => !k.includes(',flush,')).length === oracle.length,
    );

    const run = await startStreamRun(ctx.stream, Date.now());
    expect(run).toBeDefined();
    const progress = await waitForJob(ctx, run!.jobId);
    expect(progress.job.state, progress.job.error).toBe('succeeded');
    const rows = (await readBlobText(ctx.blobs, CONTAINERS.results, resultBlobName(run!.jobId, 'scores.csv')))
      .trim()
      .split('\n');
    const header = rows[0]!.split(',');
    const at = (name: string) => header.indexOf(name);
    const byKey = new Map(
      rows.slice(1).map((l) => {
        const f = l.split(',');
        return [`${f[0]},${f[1]},${f[at('window_start')]}`, f] as const;
      }),
    );
    expect(byKey.size).toBe(oracle.length);
    for (const line of oracle) {
      const [device, tag, start, decision] = line.split(',');
      const f = byKey.get(`${device},${tag},${start}`);
      expect(f, `${device},${tag},${start}`).toBeDefined();
      expect(Math.abs(Number(f![at('score')]) - Number(decision))).toBeLessThan(1e-4);
      expect(f![at('revision')]).toBe('1');
      expect(Number(f![at('last_sequence')])).toBeGreaterThanOrEqual(Number(f![at('first_sequence')]));
    }
    const summary = JSON.parse(
      await readBlobText(ctx.blobs, CONTAINERS.results, resultBlobName(run!.jobId, 'summary.json')),
    ) as { seriesWithoutModel: { device: string; tag: string }[]; windows: number };
    expect(summary.windows).toBe(oracle.length);
    expect(summary.seriesWithoutModel.map((s) => `${s.device}/${s.tag}`).sort()).toEqual([
      '1/flush',
      '2/flush',
      '3/flush',
    ]);

    // Nothing is left to score: the next tick's run is not started, and nothing is scored twice.
    expect(await unscoredBatches(ctx.stream)).toEqual([]);
  });

  it('a late reading within the tolerance makes revision 2 of its window, which the next run re-scores', async () => {
    const start = parseTimestamp('2018-08-29T03:12:00Z')!;
    const late = `TS,Device,Tag,Value\n2018-08-29 03:12:10.000,1,1,99.5\n`;
    await sendEvents({
      limits: aggregatorSettingsOf(config).limits,
      log: ctx.aggregate.events,
      input: (await import('node:stream')).Readable.from([late]),
      inputName: 'late',
    });
    await until('revision 2 committed', async () =>
      [...(await committedWindows(ctx)).values()].some(
        (w) => w.device === '1' && w.tag === '1' && w.start === start && w.revision === 2,
      ),
    );
    const run = await startStreamRun(ctx.stream, Date.now() + 3_600_000);
    const progress = await waitForJob(ctx, run!.jobId);
    expect(progress.job.state, progress.job.error).toBe('succeeded');
    const rows = (await readBlobText(ctx.blobs, CONTAINERS.results, resultBlobName(run!.jobId, 'scores.csv')))
      .trim()
      .split('\n')
      .slice(1);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(/^1,1,2018-08-29T03:12:00Z,2018-08-29T03:13:00Z,2,/);
  });
});

describe('the aggregator SIGKILLed mid-stream', () => {
  it('restarts from its checkpoint and commits exactly the windows of an uninterrupted run', async () => {
    const home = tempHome();
    const config: Config = {
      ...home.config,
      scoreCron: '0 0 1 1 *',
      stream: { ...home.config.stream, maxPastSeconds: 20 * 365 * 86_400 },
    };
    const ctx = openContext(config);
    await ctx.ensureContainers();
    const runtime = await startLocalRuntime(config, createRecordingLogger());
    try {
      const { Readable } = await import('node:stream');
      const lines = readFileSync(SENSOR_CSV, 'utf8').trim().split('\n');
      // Send in slices, and kill the aggregator once it has committed part of the stream.
      let killed = false;
      for (let i = 1; i < lines.length; i += 2000) {
        await sendEvents({
          limits: aggregatorSettingsOf(config).limits,
          log: ctx.aggregate.events,
          input: Readable.from([`${lines[0]}\n${lines.slice(i, i + 2000).join('\n')}\n`]),
          inputName: `slice ${i}`,
        });
        if (!killed && i > 6000) {
          await until(
            'a partial checkpoint',
            async () => (await ctx.aggregate.events.getCheckpoint(config.stream.consumerGroup, 0)) !== undefined,
          );
          for (const pid of runtime.aggregator.pids()) process.kill(pid, 'SIGKILL');
          killed = true;
        }
      }
      expect(killed).toBe(true);
      await sendEvents({
        limits: aggregatorSettingsOf(config).limits,
        log: ctx.aggregate.events,
        input: Readable.from([flushEvents(['1', '2', '3'])]),
        inputName: 'flush',
      });
      await until(
        'every window committed after the restart',
        async () => [...(await committedWindows(ctx)).keys()].filter((k) => !k.includes(',flush,')).length === 3781,
        90_000,
      );
      const windows = await committedWindows(ctx);
      const expected = readFileSync(join(ocsvmDir, 'windows.csv'), 'utf8').trim().split('\n').slice(1);
      for (const row of expected) {
        const [device, tag, start, count, mean] = row.split(',');
        const w = windows.get(`${device},${tag},${start}`);
        expect(w, `${device},${tag},${start}`).toBeDefined();
        expect(w!.count).toBe(Number(count));
        expect(w!.revision).toBe(1);
        expect(Math.abs(w!.mean - Number(mean))).toBeLessThanOrEqual(1e-6 * Math.abs(Number(mean)));
      }
      // No window counted twice: every committed window appears once across the batches.
      let total = 0;
      for (const name of await unscoredBatches(ctx.stream))
        total += decodeWindowBatch(await readBlobText(ctx.blobs, CONTAINERS.windows, name)).length;
      expect(total).toBe(windows.size);
    } finally {
      await runtime.stop();
      await ctx.close();
      home.cleanup();
    }
  });
});
