/**
 * Failure windows around dead letters: messages reach the dead-letter queue out of sequence order
 * (a lock that keeps expiring dead-letters an early message late), and a slow worker finishes a
 * shard after its message was dead-lettered and its job finished without it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LockLostError } from '../../src/core/errors.js';
import { CONTAINERS, partBlobName, shardOutputName } from '../../src/core/jobNaming.js';
import type { JobRecord } from '../../src/ports/jobLedger.js';
import { MAX_DELIVERY_COUNT_EXCEEDED, type ReceivedMessage } from '../../src/ports/workQueue.js';
import type { AnomalyDeps } from '../../src/usecases/anomaly/deps.js';
import type { ScoreMessage } from '../../src/usecases/anomaly/deps.js';
import { anomalyShard as scoreShard } from '../support/usecases/lifecycle.js';
import { recordDeadLetter, sweepDeadLetters } from '../../src/usecases/deadLetters.js';
import { readBlobText } from '../../src/usecases/readBlobText.js';
import { createGate, hookedLedger } from '../support/usecases/faultyPorts.js';
import { drainQueue, messageHandler } from '../support/usecases/queueDriver.js';
import {
  FULL_FILE_WINDOWS,
  openWorld,
  readResults,
  sensorCsv,
  withoutInputColumns,
  type UsecaseWorld,
} from '../support/usecases/usecaseWorld.js';

const CSV = sensorCsv();
let world: UsecaseWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

async function runPlan(w: UsecaseWorld, job: JobRecord): Promise<ScoreMessage[]> {
  const [plan] = await w.queue.receive({ maxMessages: 1, maxWaitMs: 0 });
  expect(plan?.body).toEqual({ kind: 'plan', jobId: job.jobId });
  await messageHandler(w.deps)(plan!.body);
  await w.queue.complete(plan!);
  expect((await w.ctx.ledger.getJob(job.jobId))?.state).toBe('running');
  return (await w.ctx.ledger.listShards(job.jobId)).map(
    (s) => (s.detail as unknown as { message: ScoreMessage }).message,
  );
}

/**
 * Workers that die holding `message`: each delivery's lock expires unsettled until the queue
 * dead-letters it itself (MaxDeliveryCountExceeded). Nobody tells the ledger: only a sweep can.
 */
async function expireUntilDeadLettered(w: UsecaseWorld, first: ReceivedMessage): Promise<void> {
  let delivery = first;
  while (delivery.deliveryCount < w.queue.maxDeliveryCount) {
    w.clock.advance(w.queue.lockDurationMs + 1);
    const [next] = await w.queue.receive({ maxMessages: 1, maxWaitMs: 0 });
    expect(next?.messageId).toBe(first.messageId);
    delivery = next!;
  }
  w.clock.advance(w.queue.lockDurationMs + 1);
  expect(await w.queue.countActive()).toBe(0); // the expired last delivery is swept to the dead-letter queue
}

/** scores.csv lines of a clean run of the same readings, and each shard's own output lines. */
async function cleanRun(w: UsecaseWorld) {
  const job = await w.submitCsv('clean.csv', CSV);
  await drainQueue(w.deps);
  expect((await w.ctx.ledger.getJob(job.jobId))?.state).toBe('succeeded');
  const outputs = new Map<string, string[]>();
  for (const s of await w.ctx.ledger.listShards(job.jobId)) {
    const text = await readBlobText(w.ctx.blobs, CONTAINERS.work, shardOutputName(job.jobId, s.shardId));
    outputs.set(s.shardId, withoutInputColumns(text.split('\n').filter((l) => l !== '')));
  }
  return { scores: withoutInputColumns((await readResults(w.ctx, job.jobId)).scores), outputs };
}

function expectScoresWithout(
  scores: readonly string[],
  clean: Awaited<ReturnType<typeof cleanRun>>,
  failed: readonly string[],
) {
  const missing = new Set(failed.flatMap((id) => clean.outputs.get(id) ?? []));
  expect(missing.size).toBeGreaterThan(0);
  const expected = clean.scores.filter((l) => !missing.has(l));
  expect(expected).toHaveLength(FULL_FILE_WINDOWS - missing.size);
  expect(withoutInputColumns(scores)).toEqual(expected);
  expect(new Set(scores).size).toBe(scores.length);
}

describe('dead letters arriving out of sequence order', () => {
  it('a full sweep records the early message that a cursor sweep skipped, and the job finishes failed naming its shard', async () => {
    const w = (world = await openWorld());
    const clean = await cleanRun(w);
    const job = await w.submitCsv('job.csv', CSV);
    const shards = await runPlan(w, job);
    const a = shards[0]!;
    const b = shards.at(-1)!;

    // A (the lowest sequence number) is taken by a worker that dies; B's part goes missing, so B is
    // dead-lettered at once, and the rest succeed.
    const [heldA] = await w.queue.receive({ maxMessages: 1, maxWaitMs: 0 });
    expect(heldA?.body).toMatchObject({ shardId: a.shardId });
    await w.ctx.blobs.delete(CONTAINERS.work, partBlobName(job.jobId, b.shardId, 0));
    const log = await drainQueue(w.deps);
    expect(log.deadLettered.map((d) => (d.message.body as ScoreMessage).shardId)).toEqual([b.shardId]);
    expect(log.completed).toHaveLength(shards.length - 2);

    const cursor = await sweepDeadLetters(w.deps, 0);
    const [deadB] = await w.queue.peekDeadLetters();
    expect(cursor).toBe(deadB!.sequenceNumber + 1);
    expect(heldA!.sequenceNumber).toBeLessThan(deadB!.sequenceNumber);

    // A is now dead-lettered too, after B, with a lower sequence number than the cursor.
    await expireUntilDeadLettered(w, heldA!);
    const dead = await w.queue.peekDeadLetters();
    expect(dead.map((m) => m.sequenceNumber)).toEqual([heldA!.sequenceNumber, deadB!.sequenceNumber]);
    expect(dead[0]?.deadLetterReason).toBe(MAX_DELIVERY_COUNT_EXCEEDED);

    expect(await sweepDeadLetters(w.deps, cursor)).toBe(cursor); // the cursor sweep cannot see A
    expect((await w.ctx.ledger.getJob(job.jobId))?.state).toBe('running');
    expect((await w.ctx.ledger.getShard(job.jobId, a.shardId))?.state).toBe('pending');

    await sweepDeadLetters(w.deps, 0); // the runtime's periodic full sweep
    expect(await w.ctx.ledger.getShard(job.jobId, a.shardId)).toMatchObject({
      state: 'failed',
      error: expect.stringContaining(MAX_DELIVERY_COUNT_EXCEEDED) as unknown,
    });
    const finish = await drainQueue(w.deps);
    expect(finish.completed.map((m) => (m.body as { kind: string }).kind)).toEqual(['finish']);

    const done = await w.ctx.ledger.getJob(job.jobId);
    expect(done?.state).toBe('failed');
    expect(done?.error).toContain(`2 of ${shards.length} shards failed`);
    expect(done?.error).toContain(a.shardId);
    expect(done?.error).toContain(b.shardId);
    const counts = await w.ctx.ledger.countShards(job.jobId);
    expect(counts).toEqual({ pending: 0, running: 0, succeeded: shards.length - 2, failed: 2 });
    const results = await readResults(w.ctx, job.jobId);
    expectScoresWithout(results.scores, clean, [a.shardId, b.shardId]);
    expect(results.summary).toMatchObject({
      state: 'failed',
      shards: { total: shards.length, succeeded: shards.length - 2, failed: 2 },
    });
    expect((results.summary.failedShards as { shardId: string }[]).map((f) => f.shardId).sort()).toEqual(
      [a.shardId, b.shardId].sort(),
    );
    expect(await w.queue.countActive()).toBe(0);
    expect(await w.queue.peekDeadLetters()).toHaveLength(2);
  });
});

describe('a slow duplicate worker finishes a shard after it was dead-lettered and its job finished', () => {
  /** Plans a job, lets a slow worker take its first shard, and finishes the job with that shard dead-lettered. */
  async function finishWithoutSlowShard(
    w: UsecaseWorld,
    startSlow?: (msg: ScoreMessage) => { done: Promise<void>; inside: Promise<void> },
  ) {
    const job = await w.submitCsv('job.csv', CSV);
    const shards = await runPlan(w, job);
    const s = shards[0]!;
    const [held] = await w.queue.receive({ maxMessages: 1, maxWaitMs: 0 });
    expect(held?.body).toMatchObject({ shardId: s.shardId });
    const slow = startSlow?.(held!.body as ScoreMessage);
    await slow?.inside; // the slow worker has claimed the shard and is scoring it
    await drainQueue(w.deps); // the other shards, while S is locked
    await expireUntilDeadLettered(w, held!);
    await sweepDeadLetters(w.deps, 0);
    await drainQueue(w.deps); // the finish
    const finished = await w.ctx.ledger.getJob(job.jobId);
    expect(finished?.state).toBe('failed');
    expect(finished?.error).toContain(s.shardId);
    return {
      job,
      s,
      held: held!,
      slow,
      finished: finished!,
      results: await readResults(w.ctx, job.jobId),
      shardBefore: await w.ctx.ledger.getShard(job.jobId, s.shardId),
    };
  }

  async function expectUnchanged(
    w: UsecaseWorld,
    before: Awaited<ReturnType<typeof finishWithoutSlowShard>>,
    clean: Awaited<ReturnType<typeof cleanRun>>,
  ) {
    const { job, s } = before;
    const shard = await w.ctx.ledger.getShard(job.jobId, s.shardId);
    expect(shard?.state).toBe('failed');
    expect(shard?.error).toBe(before.shardBefore?.error);
    const after = await w.ctx.ledger.getJob(job.jobId);
    expect(after).toEqual(before.finished);
    const results = await readResults(w.ctx, job.jobId);
    expect(results.summaryText).toBe(before.results.summaryText);
    expect(results.scores).toEqual(before.results.scores);
    expectScoresWithout(results.scores, clean, [s.shardId]);
    expect(await w.queue.countActive()).toBe(0);
    expect((await w.queue.peekDeadLetters()).map((m) => (m.body as ScoreMessage).shardId)).toEqual([s.shardId]);
  }

  it('a worker that starts the shard only after the job finished leaves it failed and the job as it was', async () => {
    const w = (world = await openWorld());
    const clean = await cleanRun(w);
    const before = await finishWithoutSlowShard(w);
    await scoreShard(w.deps, before.held.body);
    await expectUnchanged(w, before, clean);
  });

  it('a worker that was already scoring the shard when it was dead-lettered completes without reviving it', async () => {
    const w = (world = await openWorld());
    const clean = await cleanRun(w);
    const gate = createGate();
    const slowDeps: AnomalyDeps = {
      ...w.deps,
      scorer: {
        features: (m) => w.deps.scorer.features(m),
        score: async (...args) => {
          await gate.wait();
          return w.deps.scorer.score(...args);
        },
      },
    };
    const before = await finishWithoutSlowShard(w, (msg) => ({
      done: scoreShard(slowDeps, msg),
      inside: gate.arrived,
    }));
    expect(before.shardBefore?.attempts).toBe(1); // the slow worker did claim it before it was dead-lettered
    gate.open();
    await before.slow?.done;
    // The slow worker's output exists (it is the pinned model's correct output), but nothing uses it.
    expect(await w.ctx.blobs.head(CONTAINERS.work, shardOutputName(before.job.jobId, before.s.shardId))).toBeDefined();
    await expect(w.queue.complete(before.held)).rejects.toBeInstanceOf(LockLostError);
    await expectUnchanged(w, before, clean);
  });

  it('a worker whose final write races the dead-lettering (it read the shard as running just before) leaves it failed', async () => {
    const w = (world = await openWorld());
    const clean = await cleanRun(w);
    const job = await w.submitCsv('job.csv', CSV);
    const shards = await runPlan(w, job);
    const s = shards[0]!;
    const [held] = await w.queue.receive({ maxMessages: 1, maxWaitMs: 0 });
    expect(held?.body).toMatchObject({ shardId: s.shardId });
    await drainQueue(w.deps); // the other shards, while S is locked

    let reads = 0;
    const ledger = hookedLedger(w.ctx.ledger, {
      afterGetShard: async (shard) => {
        if (shard?.shardId !== s.shardId || ++reads !== 2) return;
        // The slow worker has read S as running for its final write. Meanwhile its lock expired,
        // and the next delivery failed permanently: S is dead-lettered and recorded failed.
        expect(shard.state).toBe('running');
        w.clock.advance(w.queue.lockDurationMs + 1);
        const [second] = await w.queue.receive({ maxMessages: 1, maxWaitMs: 0 });
        expect(second?.messageId).toBe(held!.messageId);
        await w.queue.deadLetter(second!, {
          reason: 'Permanent',
          description: 'injected: the second delivery failed permanently',
        });
        await recordDeadLetter(w.deps, second!.body, 'Permanent', 'injected: the second delivery failed permanently');
      },
    });
    await scoreShard(w.withPorts({ ledger }), held!.body);
    expect(reads).toBe(3); // its write lost the ETag race, it re-read S as failed and left it
    await drainQueue(w.deps); // the finish

    expect(await w.ctx.ledger.getShard(job.jobId, s.shardId)).toMatchObject({
      state: 'failed',
      error: 'Permanent: injected: the second delivery failed permanently',
    });
    const done = await w.ctx.ledger.getJob(job.jobId);
    expect(done?.state).toBe('failed');
    expect(done?.error).toContain(s.shardId);
    const results = await readResults(w.ctx, job.jobId);
    expectScoresWithout(results.scores, clean, [s.shardId]);
    expect(await w.queue.countActive()).toBe(0);
  });
});
