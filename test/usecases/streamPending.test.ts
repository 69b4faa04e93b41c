/**
 * Issue 13, defect 3: a stream run over windows whose series has no model used to mark them scored
 * with the rest, so registering the model later never scored them. They now stay pending, reported,
 * and the first run after their model exists scores them, once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CONTAINERS } from '../../src/core/jobNaming.js';
import { detailOf } from '../../src/usecases/jobDetail.js';
import { readBlobText } from '../../src/usecases/readBlobText.js';
import { scoreSchedule } from '../../src/usecases/scheduledWork.js';
import { parseCron } from '../../src/core/cron.js';
import { pendingBlobs } from '../../src/usecases/stream/streamBatches.js';
import { createJobDispatcher } from '../../src/usecases/jobDispatcher.js';
import { drainQueue } from '../support/usecases/queueDriver.js';
import { streamWorld, type KindWorld } from '../support/usecases/kindWorlds.js';
import { registerOracleModels } from '../support/localHarness.js';

let world: KindWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

async function runToEnd(w: KindWorld) {
  const { deps, kind } = w.with();
  const log = await drainQueue({ ...deps, queue: w.ctx.queue }, { handle: createJobDispatcher(deps, [kind]) });
  expect(log.deadLettered).toEqual([]);
}

async function summary(w: KindWorld, jobId: string): Promise<Record<string, unknown>> {
  return detailOf((await w.ctx.ledger.getJob(jobId))!).summary as Record<string, unknown>;
}

const scoredSeries = async (w: KindWorld, jobId: string) =>
  (await readBlobText(w.ctx.blobs, CONTAINERS.results, `${jobId}/scores.csv`))
    .split('\n')
    .slice(1)
    .filter((l) => l !== '')
    .map((l) => l.split(',').slice(0, 2).join('/'));

describe('stream windows whose series has no model', () => {
  it('stay pending, are reported, and the first run after the model is registered scores them once', async () => {
    const w = (world = await streamWorld({ models: (d, t) => `${d}/${t}` !== '2/3' }));
    const schedule = scoreSchedule(w.ctx.stream, parseCron('0 * * * *'));
    const first = await w.submit('first');
    await runToEnd(w);
    const s1 = await summary(w, first);
    expect(s1.state).toBe('succeeded');
    expect(s1.seriesWithoutModel).toEqual(expect.arrayContaining([{ device: '2', tag: '3' }]));
    const pendingAfterFirst = s1.windowsPending as number;
    expect(pendingAfterFirst).toBeGreaterThan(0);
    expect(new Set(await scoredSeries(w, first))).toEqual(new Set(['1/1', '1/2']));

    // Nothing new, and no model for the pending series yet: no run.
    expect((await schedule.tick(Date.UTC(2027, 0, 1, 1)))?.run).toBeUndefined();

    await registerOracleModels(w.ctx, (d, t) => `${d}/${t}` === '2/3');
    const tick = await schedule.tick(Date.UTC(2027, 0, 1, 2));
    expect(tick?.batches).toBe(0);
    expect(tick?.scoreablePending).toBeGreaterThan(0);
    const second = tick!.run!.jobId;
    await runToEnd(w);
    const s2 = await summary(w, second);
    expect(s2.state).toBe('succeeded');
    const series = await scoredSeries(w, second);
    expect(new Set(series)).toEqual(new Set(['2/3']));
    expect(series).toHaveLength(tick!.scoreablePending);
    // What is still pending now is only what still has no model (the flush readings), and it is reported.
    expect(s2.windowsPending).toBe(pendingAfterFirst - tick!.scoreablePending);
    expect(await pendingBlobs(w.ctx.stream)).toEqual([`_pending/${second}.jsonl`]);

    // And a later tick scores nothing twice.
    expect((await schedule.tick(Date.UTC(2027, 0, 1, 3)))?.run).toBeUndefined();
  });
});
