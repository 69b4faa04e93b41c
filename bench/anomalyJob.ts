/**
 * The whole anomaly job on the embedded runtime with 2 worker processes: the sensor readings
 * tiled COPIES times (each copy shifted by a day, so every window is distinct), scored with the
 * oracle's 15 models. Reports rows per second from submission to summary.json.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/config.js';
import { submitFile } from '../src/cli/submitFile.js';
import { openLocalContext } from '../src/composition/local/localContext.js';
import { startLocalRuntime } from '../src/composition/local/localRuntime.js';
import { createLogger } from '../src/hosting/logger.js';
import { tiledReadings } from './jobInput.js';
import { formatTimestamp } from '../src/core/timestamps.js';
import { getJobProgress } from '../src/usecases/jobStatus.js';
import { ocsvmDir } from '../test/support/fixtures.js';

const DAY = 86_400_000;

export async function benchJob(copies = 20): Promise<Record<string, number>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tessera-bench-'));
  try {
    const config = loadConfig(
      { TESSERA_HOME: path.join(dir, 'home'), TESSERA_LOG_LEVEL: 'warn' },
      { workers: 2, pollMs: 20 },
    );
    const log = createLogger({ level: 'warn', sink: () => undefined });
    const input = path.join(dir, 'readings.csv');
    const rows = await tiledReadings(input, copies, DAY, formatTimestamp);
    const ctx = openLocalContext(config, log);
    await ctx.ensureContainers();
    const manifest = JSON.parse(readFileSync(path.join(ocsvmDir, 'manifest.json'), 'utf8')) as {
      models: { device: string; tag: string; model: string }[];
    };
    for (const m of manifest.models)
      await ctx.registry.add(`ocsvm-${m.device}-${m.tag}`, readFileSync(path.join(ocsvmDir, m.model)));
    const runtime = await startLocalRuntime(config, log);
    try {
      const start = performance.now();
      const job = await submitFile(ctx, input);
      let progress = await getJobProgress(ctx.ledger, job.jobId);
      while (progress && progress.job.state !== 'succeeded' && progress.job.state !== 'failed') {
        await new Promise((r) => setTimeout(r, 20));
        progress = await getJobProgress(ctx.ledger, job.jobId);
      }
      const seconds = (performance.now() - start) / 1000;
      if (progress?.job.state !== 'succeeded') throw new Error(`bench job failed: ${progress?.job.error ?? 'unknown'}`);
      const planMs = Number((progress.job.detail as { planMs?: number } | null)?.planMs ?? NaN);
      return {
        job_rows: rows,
        job_seconds: seconds,
        job_rows_per_s: rows / seconds,
        job_plan_seconds: planMs / 1000,
        job_shards: progress.shards.total,
        job_windows: progress.job.counts.windows ?? 0,
      };
    } finally {
      await runtime.stop();
      await ctx.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
