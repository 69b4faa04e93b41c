import { readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startLocalRuntime } from '../../src/composition/local/localRuntime.js';
import { createRecordingLogger } from '../../src/hosting/logger.js';
import { fixturesDir } from '../support/fixtures.js';
import { openContext, registerOracleModels, tempHome, waitForJob } from '../support/localHarness.js';

const LINES = readFileSync(join(fixturesDir, 'sensors/batchai-sensor_data.csv'), 'utf8').split('\n');

describe('files copied into the blob directory inbox by hand', () => {
  const home = tempHome();
  afterAll(() => home.cleanup());

  it('are taken in as uploads and run as jobs; a file that cannot be is logged with why', async () => {
    const ctx = openContext(home.config);
    await ctx.ensureContainers();
    await registerOracleModels(ctx);
    const log = createRecordingLogger();
    const runtime = await startLocalRuntime(home.config, log);
    try {
      const inbox = join(home.config.home, 'blobs', 'inbox');
      const copy = (name: string, content: string) => {
        writeFileSync(join(inbox, name), content);
        utimesSync(join(inbox, name), new Date(Date.now() - 10_000), new Date(Date.now() - 10_000));
      };
      copy('by-hand.csv', `${LINES.slice(0, 1001).join('\n')}\n`);
      copy('.by-hand.csv.part', 'a copy in progress');

      const deadline = Date.now() + 30_000;
      let jobId: string | undefined;
      while (jobId === undefined && Date.now() < deadline) {
        jobId = (await ctx.ledger.listJobs()).find((j) => j.input.name === 'by-hand.csv')?.jobId;
        if (jobId === undefined) await new Promise((r) => setTimeout(r, 100));
      }
      expect(jobId, JSON.stringify(log.lines.slice(-5))).toBeDefined();
      const progress = await waitForJob(ctx, jobId!);
      expect(progress.job.state, progress.job.error).toBe('succeeded');
      expect(log.lines.filter((l) => l.msg === 'inbox file copied in by hand taken in')).toMatchObject([
        { blob: 'inbox/by-hand.csv' },
      ]);
      const skipped = log.lines.filter((l) => l.msg === 'inbox file not picked up');
      expect(skipped).toHaveLength(1); // said once, not on every tick
      expect(skipped[0]).toMatchObject({ level: 'warn', file: 'inbox/.by-hand.csv.part' });
      expect(String(skipped[0]!.reason)).toContain('a hidden file');
    } finally {
      await runtime.stop();
      await ctx.close();
    }
  });
});
