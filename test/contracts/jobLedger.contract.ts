import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError, PreconditionFailedError } from '../../src/core/errors.js';
import type { JobLedger, JobRecord } from '../../src/ports/jobLedger.js';

export interface JobLedgerHarness {
  readonly ledger: JobLedger;
  /** A new instance over the same location; when given, durability is checked through it. */
  readonly reopen?: () => Promise<JobLedger>;
  /** Closes every instance and removes what `make` created; jobs may be left behind in shared backends. */
  readonly cleanup: () => Promise<void>;
}

const unique = (label: string): string => `${label}-${randomBytes(6).toString('hex')}`;

/** Read-modify-write of `counts.n`, retried until this writer's ETag wins. Returns how many times it lost. */
async function increment(ledger: JobLedger, jobId: string): Promise<number> {
  for (let lost = 0; ; lost++) {
    const job = await ledger.getJob(jobId);
    if (job === undefined) throw new Error(`job ${jobId} vanished`);
    try {
      await ledger.updateJob(jobId, { counts: { ...job.counts, n: (job.counts['n'] ?? 0) + 1 } }, job.etag);
      return lost;
    } catch (error) {
      if (!(error instanceof PreconditionFailedError)) throw error;
    }
  }
}

/** The JobLedger contract (see src/ports/jobLedger.ts), run against any adapter. Every test uses its own job ids and kind. */
export function jobLedgerContract(name: string, make: () => Promise<JobLedgerHarness>): void {
  describe(`JobLedger contract: ${name}`, () => {
    let harness: JobLedgerHarness;
    let ledger: JobLedger;
    beforeAll(async () => {
      harness = await make();
      ledger = harness.ledger;
    });
    afterAll(async () => harness.cleanup());

    const newJob = (overrides: Partial<Parameters<JobLedger['createJob']>[0]> = {}): Promise<JobRecord> =>
      ledger.createJob({
        jobId: unique('job'),
        kind: unique('kind'),
        input: { container: 'in', name: 'a.csv', etag: 'e1' },
        ...overrides,
      });

    it('createJob starts in planning with empty counts unless told otherwise; getJob reads it back', async () => {
      const before = Date.now();
      const job = await newJob();
      expect(job).toMatchObject({
        state: 'planning',
        shardsTotal: 0,
        counts: {},
        error: undefined,
        input: { container: 'in', name: 'a.csv', etag: 'e1' },
      });
      expect(job.etag.length).toBeGreaterThan(0);
      expect(job.createdAt).toBeInstanceOf(Date);
      expect(Math.abs(job.createdAt.getTime() - before)).toBeLessThan(60_000);
      expect(await ledger.getJob(job.jobId)).toEqual(job);
      const given = await newJob({
        state: 'running',
        shardsTotal: 4,
        counts: { rows: 10 },
        detail: { model: 'm', sizes: [1, 2], ok: true },
      });
      expect(await ledger.getJob(given.jobId)).toMatchObject({
        state: 'running',
        shardsTotal: 4,
        counts: { rows: 10 },
        detail: { model: 'm', sizes: [1, 2], ok: true },
      });
    });

    it('createJob of an existing id throws PreconditionFailedError and changes nothing', async () => {
      const job = await newJob();
      await expect(ledger.createJob({ jobId: job.jobId, kind: 'other', input: {} })).rejects.toBeInstanceOf(
        PreconditionFailedError,
      );
      expect(await ledger.getJob(job.jobId)).toEqual(job);
    });

    it('getJob and getShard of unknown ids return undefined', async () => {
      expect(await ledger.getJob(unique('nope'))).toBeUndefined();
      const job = await newJob();
      expect(await ledger.getShard(job.jobId, 'nope')).toBeUndefined();
    });

    it('updateJob with the current etag applies the patch, replaces counts and detail whole, and issues a new etag', async () => {
      const job = await newJob({ counts: { a: 1, b: 2 }, detail: { x: 1, y: 2 } });
      await sleep(5);
      const updated = await ledger.updateJob(
        job.jobId,
        { state: 'running', counts: { c: 3 }, detail: { z: [3] }, error: 'warn' },
        job.etag,
      );
      expect(updated).toMatchObject({
        jobId: job.jobId,
        kind: job.kind,
        input: job.input,
        state: 'running',
        counts: { c: 3 },
        detail: { z: [3] },
        error: 'warn',
        shardsTotal: 0,
      });
      expect(updated.etag).not.toBe(job.etag);
      expect(updated.createdAt.getTime()).toBe(job.createdAt.getTime());
      expect(updated.updatedAt.getTime()).toBeGreaterThanOrEqual(job.updatedAt.getTime());
      expect(await ledger.getJob(job.jobId)).toEqual(updated);
      const again = await ledger.updateJob(job.jobId, { shardsTotal: 7 }, updated.etag);
      expect(again).toMatchObject({ state: 'running', counts: { c: 3 }, shardsTotal: 7 });
      expect(again.etag).not.toBe(updated.etag);
    });

    it('updateJob with a stale etag throws PreconditionFailedError and changes nothing; an unknown job throws NotFoundError', async () => {
      const job = await newJob();
      const updated = await ledger.updateJob(job.jobId, { state: 'running' }, job.etag);
      await expect(ledger.updateJob(job.jobId, { state: 'failed' }, job.etag)).rejects.toBeInstanceOf(
        PreconditionFailedError,
      );
      await expect(ledger.updateJob(job.jobId, { state: 'failed' }, 'made-up')).rejects.toBeInstanceOf(
        PreconditionFailedError,
      );
      expect(await ledger.getJob(job.jobId)).toEqual(updated);
      await expect(ledger.updateJob(unique('missing'), { state: 'failed' }, job.etag)).rejects.toBeInstanceOf(
        NotFoundError,
      );
    });

    it('concurrent updates with one etag: exactly one wins', async () => {
      const job = await newJob({ counts: { n: 0 } });
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => ledger.updateJob(job.jobId, { counts: { n: 1, writer: i } }, job.etag)),
      );
      const won = results.filter((r): r is PromiseFulfilledResult<JobRecord> => r.status === 'fulfilled');
      expect(won).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(PreconditionFailedError);
      expect(await ledger.getJob(job.jobId)).toEqual(won[0]!.value);
    });

    it('concurrent read-modify-write loops with etag retry lose no increment', async () => {
      const job = await newJob({ counts: { n: 0 } });
      const writers = 8;
      const each = 5;
      await Promise.all(
        Array.from({ length: writers }, async () => {
          for (let i = 0; i < each; i++) await increment(ledger, job.jobId);
        }),
      );
      expect((await ledger.getJob(job.jobId))?.counts['n']).toBe(writers * each);
    });

    it('addShards creates missing shards as pending, leaves existing ones untouched, and returns how many it created', async () => {
      const job = await newJob();
      expect(
        await ledger.addShards(job.jobId, [
          { shardId: 's-1' },
          { shardId: 's-2', counts: { rows: 5 }, detail: { from: 0, to: 5 } },
        ]),
      ).toBe(2);
      const s2 = await ledger.getShard(job.jobId, 's-2');
      expect(s2).toMatchObject({
        jobId: job.jobId,
        shardId: 's-2',
        state: 'pending',
        attempts: 0,
        counts: { rows: 5 },
        detail: { from: 0, to: 5 },
        error: undefined,
      });
      const s1 = await ledger.getShard(job.jobId, 's-1');
      const running = await ledger.updateShard(job.jobId, 's-1', { state: 'running', attempts: 1 }, s1!.etag);
      expect(await ledger.addShards(job.jobId, [{ shardId: 's-1' }, { shardId: 's-2' }, { shardId: 's-3' }])).toBe(1);
      expect(await ledger.getShard(job.jobId, 's-1')).toEqual(running);
      expect(await ledger.getShard(job.jobId, 's-2')).toEqual(s2);
      expect(await ledger.addShards(job.jobId, [{ shardId: 's-3' }])).toBe(0);
      expect(await ledger.listShards(job.jobId)).toHaveLength(3);
    });

    it('updateShard follows the etag rule: current etag wins, stale etag fails and changes nothing, unknown shard is NotFound', async () => {
      const job = await newJob();
      await ledger.addShards(job.jobId, [{ shardId: 'only' }]);
      const shard = (await ledger.getShard(job.jobId, 'only'))!;
      const done = await ledger.updateShard(
        job.jobId,
        'only',
        { state: 'succeeded', counts: { rows: 9 }, detail: 'ok' },
        shard.etag,
      );
      expect(done).toMatchObject({ state: 'succeeded', counts: { rows: 9 }, detail: 'ok', attempts: 0 });
      expect(done.etag).not.toBe(shard.etag);
      await expect(
        ledger.updateShard(job.jobId, 'only', { state: 'failed', error: 'x' }, shard.etag),
      ).rejects.toBeInstanceOf(PreconditionFailedError);
      expect(await ledger.getShard(job.jobId, 'only')).toEqual(done);
      await expect(ledger.updateShard(job.jobId, 'missing', { state: 'failed' }, done.etag)).rejects.toBeInstanceOf(
        NotFoundError,
      );
    });

    it('listShards orders by shard id and filters by state; countShards reports every state', async () => {
      const job = await newJob();
      const ids = ['s-003', 's-001', 's-010', 's-002'];
      await ledger.addShards(
        job.jobId,
        ids.map((shardId) => ({ shardId })),
      );
      expect((await ledger.listShards(job.jobId)).map((s) => s.shardId)).toEqual(['s-001', 's-002', 's-003', 's-010']);
      expect(await ledger.countShards(job.jobId)).toEqual({ pending: 4, running: 0, succeeded: 0, failed: 0 });
      const s2 = (await ledger.getShard(job.jobId, 's-002'))!;
      await ledger.updateShard(job.jobId, 's-002', { state: 'running' }, s2.etag);
      const s10 = (await ledger.getShard(job.jobId, 's-010'))!;
      await ledger.updateShard(job.jobId, 's-010', { state: 'failed', error: 'bad row' }, s10.etag);
      expect((await ledger.listShards(job.jobId, { state: 'pending' })).map((s) => s.shardId)).toEqual([
        's-001',
        's-003',
      ]);
      expect(await ledger.listShards(job.jobId, { state: 'failed' })).toMatchObject([
        { shardId: 's-010', error: 'bad row' },
      ]);
      expect(await ledger.countShards(job.jobId)).toEqual({ pending: 2, running: 1, succeeded: 0, failed: 1 });
    });

    it('listJobs returns jobs newest first, filtered by kind and state, at most limit', async () => {
      const kind = unique('kind');
      const jobs: JobRecord[] = [];
      for (let i = 0; i < 3; i++) {
        jobs.push(await newJob({ kind }));
        await sleep(20);
      }
      const [j1, j2, j3] = jobs as [JobRecord, JobRecord, JobRecord];
      await newJob();
      expect((await ledger.listJobs({ kind })).map((j) => j.jobId)).toEqual([j3.jobId, j2.jobId, j1.jobId]);
      await ledger.updateJob(j2.jobId, { state: 'running' }, j2.etag);
      expect((await ledger.listJobs({ kind, state: 'running' })).map((j) => j.jobId)).toEqual([j2.jobId]);
      expect((await ledger.listJobs({ kind, state: 'planning' })).map((j) => j.jobId)).toEqual([j3.jobId, j1.jobId]);
      expect((await ledger.listJobs({ kind, limit: 2 })).map((j) => j.jobId)).toEqual([j3.jobId, j2.jobId]);
      const running = await ledger.listJobs({ state: 'running', limit: 50 });
      expect(running.length).toBeGreaterThan(0);
      expect(running.every((j) => j.state === 'running')).toBe(true);
    });

    it('state is durable: a new instance over the same location sees jobs and shards', async (ctx) => {
      if (harness.reopen === undefined) return ctx.skip();
      const job = await newJob({ counts: { rows: 1 } });
      const updated = await ledger.updateJob(job.jobId, { state: 'running', shardsTotal: 2 }, job.etag);
      await ledger.addShards(job.jobId, [{ shardId: 'a' }, { shardId: 'b' }]);
      const other = await harness.reopen();
      expect(await other.getJob(job.jobId)).toEqual(updated);
      expect(await other.listShards(job.jobId)).toEqual(await ledger.listShards(job.jobId));
      await other.updateJob(job.jobId, { state: 'succeeded' }, updated.etag);
      expect((await ledger.getJob(job.jobId))?.state).toBe('succeeded');
    });
  });
}
