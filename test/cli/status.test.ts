import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { CONTAINERS } from '../../src/core/jobNaming.js';
import { writeSummary } from '../../src/usecases/jobSummary.js';
import { streamRunId } from '../../src/usecases/stream/startStreamRun.js';
import { cliEnv, cliHome, runCli, TESSERA_BIN } from '../support/cli.js';
import { openContext } from '../support/localHarness.js';

/** A stream run as finishStreamRun leaves it: succeeded, its summary.json written and kept in the ledger. */
async function recordStreamRun(home: string, tick: string): Promise<string> {
  const ctx = openContext(loadConfig({ TESSERA_HOME: home }));
  try {
    await ctx.ensureContainers();
    const jobId = streamRunId(Date.parse(tick));
    const created = await ctx.ledger.createJob({ jobId, kind: 'stream', input: { tick }, counts: {} });
    const summary = {
      jobId,
      kind: 'stream',
      state: 'succeeded',
      error: null,
      tick,
      batches: 2,
      windows: 30,
      revisions: 3,
      anomalies: 1,
      seriesWithoutModel: [{ device: '9', tag: '9' }],
    };
    await writeSummary(ctx.blobs, jobId, summary);
    await ctx.blobs.put(CONTAINERS.results, `${jobId}/scores.csv`, 'device,tag\n');
    await ctx.ledger.updateJob(
      jobId,
      { state: 'succeeded', counts: { windows: 30, anomalies: 1 }, detail: { summary } },
      created.etag,
    );
    return jobId;
  } finally {
    await ctx.close();
  }
}

describe('tessera status over a stream run, and a closed pipe', () => {
  const home = cliHome();
  let runId: string;
  beforeAll(async () => {
    runId = await recordStreamRun(home.home, '2024-05-01T10:00:00.000Z');
  });
  afterAll(() => home.cleanup());

  it('status RUN prints the stream summary (it has no shards: this crashed on "succeeded")', async () => {
    const result = await runCli(home, ['status', runId]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`job ${runId} (stream) succeeded: tick 2024-05-01T10:00:00.000Z`);
    expect(result.stdout).toContain(
      'tick 2024-05-01T10:00:00.000Z: 2 window batches, windows 30 (3 revisions), anomalies 1',
    );
    expect(result.stdout).toContain('no model for 9/9');
    expect(result.stdout).toContain(`results: scores.csv, summary.json (download: tessera results ${runId} --out DIR)`);
  });

  it('status lists the run by its tick, and --json gives the stable job shape', async () => {
    const result = await runCli(home, ['status', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const { jobs } = JSON.parse(result.stdout) as { jobs: Record<string, unknown>[] };
    expect(jobs).toEqual([
      expect.objectContaining({
        id: runId,
        kind: 'stream',
        state: 'succeeded',
        error: null,
        cancelled: false,
        input: expect.objectContaining({ tick: '2024-05-01T10:00:00.000Z', size: null }) as unknown,
        progress: { shards: { total: 0, pending: 0, running: 0, succeeded: 0, failed: 0 }, fraction: 1 },
        counts: { windows: 30, anomalies: 1 },
        attempt: 1,
      }),
    ]);
    expect(jobs[0]).not.toHaveProperty('detail');
  });

  it('results RUN --out DIR downloads its files; an unknown job exits 2', async () => {
    const result = await runCli(home, ['results', runId, '--out', 'got']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual([
      join(home.dir, 'got', 'scores.csv'),
      join(home.dir, 'got', 'summary.json'),
    ]);
    const unknown = await runCli(home, ['results', 'jnosuch', '--out', 'x']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('tessera results: job jnosuch not found\n');
  });

  it('a reader that closes the pipe ends the command quietly, exit 0, no stack trace', async () => {
    const child = spawn(process.execPath, [TESSERA_BIN, 'status', runId], { cwd: home.dir, env: cliEnv(home) });
    child.stdout.destroy(); // as `| head -0` would: every write the command makes now fails with EPIPE
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
