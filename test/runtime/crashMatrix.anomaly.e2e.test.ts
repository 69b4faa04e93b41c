/**
 * Issue 13: a SIGKILL at every step boundary, not one safe point (test/support/crashMatrix.ts).
 * Each case arms one named crash point; the process that reaches it kills itself there, once; the
 * runtime replaces it, the lock expires, the work is redelivered. The results must equal a clean
 * run of the same input: nothing missing, nothing doubled.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submitFile } from '../../src/cli/submitFile.js';
import { SERIES, expectSameAsClean, onRuntime, readingsCsv, scoreLines, type Outcome } from '../support/crashMatrix.js';
import { registerOracleModels } from '../support/localHarness.js';
import { mediaDir } from '../support/video/media.js';

const media = mediaDir('tessera-crash-anomaly-');
afterAll(() => media.cleanup());

// Real processes on a shared machine: generous limits (no timing is asserted).
describe('the anomaly job, killed at every step boundary', { timeout: 240_000 }, () => {
  const file = media.file('readings.csv');
  writeFileSync(file, readingsCsv);
  const run = (crashAt?: string) =>
    onRuntime(
      { windowsPerShard: 15 },
      crashAt,
      async (ctx) => {
        const job = await submitFile(ctx, file);
        return { jobId: job.jobId, results: () => scoreLines(ctx, job.jobId, 13) };
      },
      (ctx) => registerOracleModels(ctx, (d, t) => SERIES.has(`${d}/${t}`)),
    );
  let clean: Outcome;
  beforeAll(async () => {
    clean = await run();
    expect(clean.state).toBe('succeeded');
    expect((clean.results as string[]).length).toBeGreaterThan(100);
  }, 240_000);

  it.each([
    ['planning, after its first part is written', 'after:put:work/*/parts/*'],
    ['planning, after its shards are recorded and before they are queued', 'after:addShards'],
    ['planning, every shard queued, before the job runs', 'before:updateJob:running'],
    ["a shard's output written, before the ledger records it", 'after:put:work/*/out/*'],
    ['a shard recorded succeeded, before it fans in', 'after:updateShard:succeeded'],
    ['finishing, scores.csv written, before anomalies.csv', 'after:put:results/*/scores.csv'],
    ['finishing, summary.json written, before the job ends', 'before:updateJob:succeeded'],
  ])('%s (%s)', async (_where, point) => {
    expectSameAsClean(await run(point), clean);
  });
});
