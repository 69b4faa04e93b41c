/**
 * Redrive: a series' model blob is corrupted in storage, so its shards are dead-lettered and the
 * job finishes failed without them. Once the blob is repaired, re-driving the dead letters scores
 * them and the job finishes again, succeeded, with every row; the first finish's message, delivered
 * again late, changes nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CONTAINERS } from '../../src/core/jobNaming.js';
import { readAll } from '../../src/registry/readAll.js';
import type { ScoreMessage } from '../../src/usecases/anomaly/deps.js';
import { sweepDeadLetters } from '../../src/usecases/deadLetters.js';
import { redriveDeadLetters } from '../../src/usecases/redriveDeadLetters.js';
import { hookedLedger } from '../support/usecases/faultyPorts.js';
import { drainQueue, messageHandler } from '../support/usecases/queueDriver.js';
import {
  FULL_FILE_WINDOWS,
  modelColumn,
  openWorld,
  readResults,
  sensorCsv,
  withoutInputColumns,
  type UsecaseWorld,
} from '../support/usecases/usecaseWorld.js';

const CSV = sensorCsv();
const MODEL = 'ocsvm-1-1';
let world: UsecaseWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** Corrupts MODEL's stored bytes; returns the original bytes, to put back. */
async function corruptModel(w: UsecaseWorld): Promise<{ blob: string; original: Buffer }> {
  const record = await w.ctx.registry.resolve(MODEL);
  const original = await readAll((await w.ctx.blobs.get(CONTAINERS.models, record.blob)).stream);
  const corrupt = Buffer.from(original);
  const middle = corrupt.length >> 1;
  corrupt[middle] = (corrupt[middle] ?? 0) ^ 0xff;
  await w.ctx.blobs.put(CONTAINERS.models, record.blob, corrupt);
  return { blob: record.blob, original };
}

describe('re-driving shards dead-lettered by a corrupt model blob', () => {
  it('after the blob is repaired, the job runs again and succeeds with every row; the stale finish is a no-op', async () => {
    const w = (world = await openWorld());
    const record = await corruptModel(w);

    // The job runs; its finish message is taken by a worker that finishes the job but dies before completing the message.
    const job = await w.submitCsv('job.csv', CSV);
    const first = await drainQueue(w.deps, { holdWhen: (m) => (m.body as { kind: string }).kind === 'finish' });
    const deadShards = first.deadLettered.map((d) => (d.message.body as ScoreMessage).shardId).sort();
    expect(deadShards.length).toBeGreaterThan(0);
    expect(
      first.deadLettered.every(
        (d) => d.reason === 'ModelChecksumMismatch' && (d.message.body as ScoreMessage).model.name === MODEL,
      ),
    ).toBe(true);
    const staleFinish = first.held!;
    await messageHandler(w.deps)(staleFinish.body);

    const failed = await w.ctx.ledger.getJob(job.jobId);
    expect(failed?.state).toBe('failed');
    for (const id of deadShards) expect(failed?.error).toContain(id);
    const shards = await w.ctx.ledger.listShards(job.jobId);
    expect(
      shards
        .filter((s) => s.state === 'failed')
        .map((s) => s.shardId)
        .sort(),
    ).toEqual(deadShards);
    expect(shards.filter((s) => s.state === 'failed').every((s) => s.error?.startsWith('ModelChecksumMismatch:'))).toBe(
      true,
    );
    const partial = await readResults(w.ctx, job.jobId);
    expect(partial.summary).toMatchObject({ state: 'failed', shards: { failed: deadShards.length } });
    expect(partial.scores.length).toBeLessThan(FULL_FILE_WINDOWS);
    expect(partial.scores.some((l) => l.startsWith('1,1,'))).toBe(false);
    const dead = await w.queue.peekDeadLetters();
    expect(dead).toHaveLength(deadShards.length);

    // Repair the blob and re-drive.
    await w.ctx.blobs.put(CONTAINERS.models, record.blob, record.original);
    expect(await redriveDeadLetters(w.deps)).toBe(deadShards.length);
    const rerun = await w.ctx.ledger.getJob(job.jobId);
    expect(rerun?.state).toBe('running');
    expect(rerun?.error).toBeUndefined();
    for (const id of deadShards)
      expect(await w.ctx.ledger.getShard(job.jobId, id)).toMatchObject({ state: 'pending', error: undefined });
    expect(await w.queue.peekDeadLetters()).toEqual([]);

    // The first finish's message comes back (its lock expired): a no-op on the running job.
    w.clock.advance(w.queue.lockDurationMs + 1);
    const waiting = await w.queue.receive({ maxMessages: 100, maxWaitMs: 0 });
    expect(waiting.map((m) => (m.body as { kind: string }).kind).sort()).toEqual([
      'finish',
      ...Array<string>(deadShards.length).fill('score'),
    ]);
    for (const m of waiting) {
      if (m.messageId !== staleFinish.messageId) {
        await w.queue.abandon(m);
        continue;
      }
      await messageHandler(w.deps)(m.body);
      await w.queue.complete(m);
    }
    expect(await w.ctx.ledger.getJob(job.jobId)).toEqual(rerun);
    expect((await readResults(w.ctx, job.jobId)).summaryText).toBe(partial.summaryText);

    const second = await drainQueue(w.deps);
    expect(second.deadLettered).toEqual([]);
    expect(second.completed.map((m) => (m.body as { kind: string }).kind)).toEqual([
      ...Array<string>(deadShards.length).fill('score'),
      'finish',
    ]);
    expect(second.completed.at(-1)?.messageId).not.toBe(staleFinish.messageId);
    const done = await w.ctx.ledger.getJob(job.jobId);
    expect(done?.state, done?.error).toBe('succeeded');
    expect(done?.error).toBeUndefined();
    expect(await w.ctx.ledger.countShards(job.jobId)).toEqual({
      pending: 0,
      running: 0,
      succeeded: shards.length,
      failed: 0,
    });
    const results = await readResults(w.ctx, job.jobId);
    expect(results.scores).toHaveLength(FULL_FILE_WINDOWS);
    expect(new Set(results.scores).size).toBe(FULL_FILE_WINDOWS);
    expect(modelColumn(results.scores.filter((l) => l.startsWith('1,1,')))).toEqual(new Set([`${MODEL}@1`]));
    expect(results.summary).toMatchObject({
      state: 'succeeded',
      error: null,
      windows: FULL_FILE_WINDOWS,
      failedShards: [],
      shards: { total: shards.length, failed: 0 },
    });
    expect(await w.queue.countActive()).toBe(0);
    expect(await w.queue.peekDeadLetters()).toEqual([]);

    // The same rows as a clean run of the same readings.
    const clean = await w.submitCsv('clean.csv', CSV);
    await drainQueue(w.deps);
    expect(withoutInputColumns(results.scores)).toEqual(
      withoutInputColumns((await readResults(w.ctx, clean.jobId)).scores),
    );
  });

  // Fixed: a dead letter no longer fails a shard that changed after it was dead-lettered (re-driven to pending).
  it('a full dead-letter sweep running during the redrive does not undo it', async () => {
    const w = (world = await openWorld());
    const record = await corruptModel(w);
    const job = await w.submitCsv('job.csv', CSV);
    const first = await drainQueue(w.deps);
    expect(first.deadLettered.length).toBeGreaterThan(0);
    expect((await w.ctx.ledger.getJob(job.jobId))?.state).toBe('failed');
    await w.ctx.blobs.put(CONTAINERS.models, record.blob, record.original);

    let swept = false;
    const ledger = hookedLedger(w.ctx.ledger, {
      afterUpdateJob: async (updated) => {
        if (updated.state !== 'running' || swept) return;
        swept = true;
        await sweepDeadLetters(w.deps, 0); // the reconciler's periodic full sweep, at this moment
      },
    });
    await redriveDeadLetters(w.withPorts({ ledger }));
    expect(swept).toBe(true);
    await drainQueue(w.deps);

    const done = await w.ctx.ledger.getJob(job.jobId);
    expect(done?.state, done?.error).toBe('succeeded');
    expect((await readResults(w.ctx, job.jobId)).scores).toHaveLength(FULL_FILE_WINDOWS);
  });
});
