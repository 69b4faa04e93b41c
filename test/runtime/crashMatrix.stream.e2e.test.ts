/**
 * Issue 13: a SIGKILL at every step boundary, not one safe point (test/support/crashMatrix.ts).
 * Each case arms one named crash point; the process that reaches it kills itself there, once; the
 * runtime replaces it, the lock expires, the work is redelivered. The results must equal a clean
 * run of the same input: nothing missing, nothing doubled.
 */
import { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config/config.js';
import { sendEvents } from '../../src/ingest/sendEvents.js';
import { startStreamRun } from '../../src/usecases/stream/startStreamRun.js';
import {
  LAST_TS,
  SERIES,
  allCommitted,
  expectSameAsClean,
  onRuntime,
  readingsCsv,
  scoreLines,
  type Outcome,
} from '../support/crashMatrix.js';
import { registerOracleModels } from '../support/localHarness.js';

// Real processes on a shared machine: generous limits (no timing is asserted).
describe('the stream, killed at every step boundary of the aggregator and of a run', { timeout: 240_000 }, () => {
  const flush = [2, 4].flatMap((m) =>
    ['1', '2'].map(
      (d) => `${new Date(LAST_TS + m * 60_000).toISOString().replace('T', ' ').replace('Z', '')},${d},flush,0`,
    ),
  );
  // The fixture is from 2018: accept old event times; a yearly cron keeps the runtime's own ticks out of the way.
  const defaults = loadConfig({});
  const overrides: Partial<Config> = {
    stream: { ...defaults.stream, maxPastSeconds: 20 * 365 * 86_400, lateMs: 10 * 60_000 },
    scoreCron: '0 0 1 1 *',
  };
  const run = (crashAt?: string) =>
    onRuntime(
      overrides,
      crashAt,
      async (ctx) => {
        const sent = await sendEvents({
          limits: { maxPastMs: overrides.stream!.maxPastSeconds * 1000 },
          log: ctx.aggregate.events,
          input: Readable.from([readingsCsv, `${flush.join('\n')}\n`]),
          inputName: 'readings.csv',
          batchSize: 50,
        });
        await allCommitted(ctx, sent.sent);
        const job = await startStreamRun(ctx.stream, Date.UTC(2030, 0, 1));
        return { jobId: job!.jobId, results: () => scoreLines(ctx, job!.jobId, 12) };
      },
      (ctx) => registerOracleModels(ctx, (d, t) => SERIES.has(`${d}/${t}`)),
    );
  let clean: Outcome;
  beforeAll(async () => {
    clean = await run();
    expect(clean.state).toBe('succeeded');
    expect((clean.results as string[]).length).toBeGreaterThan(50);
  }, 240_000);

  it.each([
    // A step writes its state, then the checkpoint (fenced by the partition claim), then the window batch.
    ['the aggregator, its state written, before its checkpoint', 'after:put:windows/_state/*'],
    ['the aggregator, its checkpoint committed, before its window batch', 'after:setCheckpoint'],
    ['the aggregator, its window batch written, before the old snapshot goes', 'after:put:windows/date=*'],
    ["a run's device output written, before the ledger records it", 'after:put:work/*/out/*'],
    ['finishing a run, its first batch marked scored', 'after:put:windows/_scored/*'],
    ['finishing a run, summary.json written, before the run ends', 'before:updateJob:succeeded'],
  ])('%s (%s)', async (_where, point) => {
    expectSameAsClean(await run(point), clean);
  });
});
