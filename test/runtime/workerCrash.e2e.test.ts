import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTAINERS, resultBlobName } from '../../src/core/jobNaming.js';
import { startLocalRuntime } from '../../src/composition/local/localRuntime.js';
import { createRecordingLogger } from '../../src/hosting/logger.js';
import { submitFile } from '../../src/cli/submitFile.js';
import { readBlobText } from '../../src/usecases/readBlobText.js';
import { fixturesDir } from '../support/fixtures.js';
import { openContext, registerOracleModels, tempHome, waitForJob } from '../support/localHarness.js';
import type { Config } from '../../src/config/config.js';

const SENSOR_CSV = join(fixturesDir, 'sensors/batchai-sensor_data.csv');

/** Runs the sensor job in a fresh home; `chaos` may kill workers while it runs. Returns scores.csv without the input ETag column. */
async function runJob(
  overrides: Partial<Config>,
  chaos?: (pids: () => number[], ctx: ReturnType<typeof openContext>, jobId: string) => Promise<void>,
) {
  const home = tempHome({ windowsPerShard: 240, ...overrides });
  const ctx = openContext(home.config);
  await ctx.ensureContainers();
  await registerOracleModels(ctx);
  const runtime = await startLocalRuntime(home.config, createRecordingLogger());
  try {
    const job = await submitFile(ctx, SENSOR_CSV);
    await chaos?.(runtime.workers.pids, ctx, job.jobId);
    const progress = await waitForJob(ctx, job.jobId, 120_000);
    const shards = await ctx.ledger.listShards(job.jobId);
    const scores = (await readBlobText(ctx.blobs, CONTAINERS.results, resultBlobName(job.jobId, 'scores.csv')))
      .trim()
      .split('\n')
      .map((l) => l.split(',').slice(0, -1).join(','));
    return { progress, shards, scores };
  } finally {
    await runtime.stop();
    await ctx.close();
    home.cleanup();
  }
}

describe('a worker SIGKILLed in the middle of a shard', () => {
  it('has its shard redelivered after the lock expires, and the results equal a clean run exactly', async () => {
    const clean = await runJob({});
    expect(clean.progress.job.state).toBe('succeeded');

    let killed = 0;
    const crashed = await runJob({ lockDurationMs: 1000, faultShardDelayMs: 400 }, async (pids, ctx, jobId) => {
      // Wait until shards are in flight (every shard sleeps 400 ms inside the worker), then kill both workers once.
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        const running = (await ctx.ledger.listShards(jobId, { state: 'running' })).length;
        if (running >= 1 && pids().length === 2) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      for (const pid of pids()) {
        process.kill(pid, 'SIGKILL');
        killed += 1;
      }
    });
    expect(killed).toBe(2);
    expect(crashed.progress.job.state, crashed.progress.job.error).toBe('succeeded');
    // The killed shards ran again: redelivered after their locks expired.
    expect(crashed.shards.some((s) => s.attempts >= 2)).toBe(true);
    expect(crashed.shards.every((s) => s.state === 'succeeded')).toBe(true);
    // Identical results: same rows, same order, no duplicates, none missing.
    expect(crashed.scores.length).toBe(clean.scores.length);
    expect(crashed.scores).toEqual(clean.scores);
    const keys = crashed.scores.slice(1).map((l) => l.split(',').slice(0, 3).join(','));
    expect(new Set(keys).size).toBe(keys.length);
  });
});
