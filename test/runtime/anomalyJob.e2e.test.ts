import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTAINERS, resultBlobName } from '../../src/core/jobNaming.js';
import { startLocalRuntime, type LocalRuntime } from '../../src/composition/local/localRuntime.js';
import type { LocalContext } from '../../src/composition/local/localContext.js';
import { createRecordingLogger } from '../../src/hosting/logger.js';
import { submitFile } from '../../src/cli/submitFile.js';
import { readBlobText } from '../../src/usecases/readBlobText.js';
import { fixturesDir, ocsvmDir } from '../support/fixtures.js';
import { openContext, registerOracleModels, tempHome, waitForJob } from '../support/localHarness.js';

const SENSOR_CSV = join(fixturesDir, 'sensors/batchai-sensor_data.csv');

describe('the anomaly job end to end on the local runtime with 2 worker processes', () => {
  const home = tempHome();
  let runtime: LocalRuntime;
  let ctx: LocalContext;

  beforeAll(async () => {
    ctx = openContext(home.config);
    await ctx.ensureContainers();
    await registerOracleModels(ctx);
    runtime = await startLocalRuntime(home.config, createRecordingLogger());
  });

  afterAll(async () => {
    await runtime?.stop();
    await ctx?.close();
    home.cleanup();
  });

  it("windows, scores with each series' model, and reproduces scikit-learn's scores with lineage", async () => {
    const job = await submitFile(ctx, SENSOR_CSV);
    const progress = await waitForJob(ctx, job.jobId);
    expect(progress.job.state, progress.job.error).toBe('succeeded');
    expect(runtime.workers.pids()).toHaveLength(2);

    const scores = (await readBlobText(ctx.blobs, CONTAINERS.results, resultBlobName(job.jobId, 'scores.csv')))
      .trim()
      .split('\n');
    const header = scores[0]!.split(',');
    expect(header).toEqual([
      'device',
      'tag',
      'window_start',
      'window_end',
      'count',
      'mean',
      'std',
      'min',
      'max',
      'score',
      'label',
      'model',
      'model_sha256',
      'input_blob',
      'input_etag',
    ]);
    const ours = new Map(
      scores.slice(1).map((line) => {
        const f = line.split(',');
        return [`${f[0]},${f[1]},${f[2]}`, f] as const;
      }),
    );
    const oracle = readFileSync(join(ocsvmDir, 'scores.csv'), 'utf8').trim().split('\n').slice(1);
    expect(ours.size).toBe(oracle.length);
    expect(scores.length - 1).toBe(oracle.length); // no duplicate rows
    const manifest = JSON.parse(readFileSync(join(ocsvmDir, 'manifest.json'), 'utf8')) as {
      models: { device: string; tag: string; sha256: string }[];
    };
    const input = await ctx.blobs.head(CONTAINERS.inbox, 'batchai-sensor_data.csv');
    for (const row of oracle) {
      const [device, tag, start, decision, label] = row.split(',');
      const f = ours.get(`${device},${tag},${start}`);
      expect(f, `${device},${tag},${start}`).toBeDefined();
      expect(Math.abs(Number(f![9]) - Number(decision))).toBeLessThan(1e-4);
      if (Math.abs(Number(decision)) > 1e-4) expect(f![10]).toBe(label);
      expect(f![11]).toBe(`ocsvm-${device}-${tag}@1`);
      expect(f![12]).toBe(manifest.models.find((m) => m.device === device && m.tag === tag)?.sha256);
      expect(f![13]).toBe('inbox/batchai-sensor_data.csv');
      expect(f![14]).toBe(input?.etag);
    }
    const anomalies = (await readBlobText(ctx.blobs, CONTAINERS.results, resultBlobName(job.jobId, 'anomalies.csv')))
      .trim()
      .split('\n');
    expect(anomalies.slice(1)).toEqual(scores.slice(1).filter((l) => l.split(',')[10] === '-1'));
    const summary = JSON.parse(
      await readBlobText(ctx.blobs, CONTAINERS.results, resultBlobName(job.jobId, 'summary.json')),
    ) as Record<string, unknown>;
    expect(summary).toMatchObject({
      state: 'succeeded',
      rows: 17768,
      badRows: 0,
      series: 15,
      windows: oracle.length,
      anomalies: anomalies.length - 1,
    });
  });

  it('re-submitting the same file finds the same job: no second job, no duplicate results', async () => {
    const first = await submitFile(ctx, SENSOR_CSV);
    const again = await submitFile(ctx, SENSOR_CSV);
    expect(again.jobId).toBe(first.jobId);
    expect((await ctx.ledger.listJobs()).filter((j) => j.input.name === 'batchai-sensor_data.csv')).toHaveLength(1);
    const names = [];
    for await (const b of ctx.blobs.list(CONTAINERS.results, `${first.jobId}/`)) names.push(b.name);
    expect(names.sort()).toEqual([
      `${first.jobId}/anomalies.csv`,
      `${first.jobId}/scores.csv`,
      `${first.jobId}/summary.json`,
    ]);
  });

  it('a blob dropped straight into the inbox is picked up by the watcher', async () => {
    const text = readFileSync(SENSOR_CSV, 'utf8').split('\n').slice(0, 2001).join('\n');
    const put = await ctx.blobs.put(CONTAINERS.inbox, 'dropped/first-2000.csv', text);
    const deadline = Date.now() + 20_000;
    let jobs = await ctx.ledger.listJobs();
    while (!jobs.some((j) => j.input.etag === put.etag) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      jobs = await ctx.ledger.listJobs();
    }
    const job = jobs.find((j) => j.input.etag === put.etag);
    expect(job, 'the watcher created a job').toBeDefined();
    const progress = await waitForJob(ctx, job!.jobId);
    expect(progress.job.state).toBe('succeeded');
    expect(progress.job.counts.rows).toBe(2000);
    expect(
      (await ctx.blobs.head(CONTAINERS.inbox, 'dropped/first-2000.csv'))?.etag,
      'the input blob is never modified',
    ).toBe(put.etag);
  });
});
