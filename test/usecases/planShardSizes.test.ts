/**
 * Shards sized to the work: with TESSERA_WINDOWS_PER_SHARD at auto (0), the planner chooses each
 * series' span from the start of the file, pins the choice on the job, and a re-plan cuts the same
 * shards; a fixed setting keeps fixed spans.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { detailOf } from '../../src/usecases/jobDetail.js';
import { anomalyPlan as planJob } from '../support/usecases/lifecycle.js';
import { drainQueue } from '../support/usecases/queueDriver.js';
import { openWorld, sensorCsv, type UsecaseWorld } from '../support/usecases/usecaseWorld.js';

let world: UsecaseWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('anomaly shard sizes', () => {
  it('auto: the sensor file (15 series, 17,768 rows) on two workers is a shard or two per series, pinned', async () => {
    const w = (world = await openWorld({ windowsPerShard: 0 }));
    expect(w.deps.settings.parallelism).toBe(2);
    const job = await w.submitCsv('auto.csv', sensorCsv());
    await planJob(w.deps, job.jobId);
    const shards = await w.ctx.ledger.listShards(job.jobId);
    // A span longer than the series' 253 windows, aligned to the epoch, may still cut them in two.
    const perSeries = new Map<string, number>();
    for (const s of shards)
      perSeries.set(
        s.shardId.split('.').slice(0, 2).join('.'),
        (perSeries.get(s.shardId.split('.').slice(0, 2).join('.')) ?? 0) + 1,
      );
    expect(perSeries.size).toBe(15);
    expect([...perSeries.values()].every((n) => n <= 2)).toBe(true);
    expect(shards.reduce((n, s) => n + (s.counts.rows ?? 0), 0)).toBe(17_768);
    const pinned = detailOf((await w.ctx.ledger.getJob(job.jobId))!).shardWindows as { otherwise: number };
    expect(pinned.otherwise).toBeGreaterThan(253); // a series spans 253 windows: all of it in one shard
    await drainQueue(w.deps);
    expect((await w.ctx.ledger.getJob(job.jobId))?.state).toBe('succeeded');
  });

  it('a fixed setting cuts fixed spans', async () => {
    const w = (world = await openWorld({ windowsPerShard: 60 }));
    const job = await w.submitCsv(
      'fixed.csv',
      sensorCsv((d, t) => d === '1' && t === '1'),
    );
    await planJob(w.deps, job.jobId);
    // 253 windows from 23:00 in epoch-aligned hours: 23:00, 00:00 … 03:00.
    expect((await w.ctx.ledger.listShards(job.jobId)).map((s) => s.shardId)).toEqual([
      '1.1.20180828T230000Z',
      '1.1.20180829T000000Z',
      '1.1.20180829T010000Z',
      '1.1.20180829T020000Z',
      '1.1.20180829T030000Z',
    ]);
  });
});
