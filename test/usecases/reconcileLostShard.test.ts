/**
 * A lost shard message: the message is gone from the queue (received and completed without being
 * processed) and its shard stays pending. The reconciler re-sends it from the shard's stored
 * message once the queue is empty, and never while the queue still holds work.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../src/ports/jobLedger.js';
import type { ScoreMessage } from '../../src/usecases/anomaly/deps.js';
import { reconcileJobs } from '../../src/usecases/reconcileJobs.js';
import { drainQueue, messageHandler, queuedMessages } from '../support/usecases/queueDriver.js';
import {
  DEDUP_WINDOW_MS,
  FULL_FILE_WINDOWS,
  openWorld,
  readResults,
  sensorCsv,
  withoutInputColumns,
  type UsecaseWorld,
} from '../support/usecases/usecaseWorld.js';

const CSV = sensorCsv();
const TIMES = { staleJobMs: 60_000, staleShardMs: 0 };
let world: UsecaseWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** Plans a job, loses its first shard message, and scores the rest: the job is left running, the queue empty. */
async function loseOneShard(w: UsecaseWorld) {
  const clean = await w.submitCsv('clean.csv', CSV);
  await drainQueue(w.deps);
  const cleanScores = withoutInputColumns((await readResults(w.ctx, clean.jobId)).scores);

  const job = await w.submitCsv('job.csv', CSV);
  const [plan] = await w.queue.receive({ maxMessages: 1, maxWaitMs: 0 });
  await messageHandler(w.deps)(plan!.body);
  await w.queue.complete(plan!);
  const [lost] = await w.queue.receive({ maxMessages: 1, maxWaitMs: 0 });
  await w.queue.complete(lost!); // gone, never processed
  const lostShard = (lost!.body as ScoreMessage).shardId;
  const total = (await w.ctx.ledger.getJob(job.jobId))!.shardsTotal;

  // While the other shards are still queued, the reconciler must not send anything.
  const sentBefore = w.queue.sent.length;
  const queuedBefore = await queuedMessages(w.queue);
  expect(queuedBefore).toHaveLength(total - 1);
  expect(await reconcileJobs(w.deps, TIMES)).toBe(0);
  expect(w.queue.sent.length).toBe(sentBefore);
  expect((await queuedMessages(w.queue)).map((m) => m.messageId)).toEqual(queuedBefore.map((m) => m.messageId));

  // Nor while the last message is locked by a worker that is scoring it.
  const [last] = await w.queue.receive({ maxMessages: 1, maxWaitMs: 0 });
  const rest = await drainQueue(w.deps);
  expect(rest.completed).toHaveLength(total - 2);
  expect(await reconcileJobs(w.deps, TIMES)).toBe(0);
  expect(w.queue.sent.length).toBe(sentBefore);
  await messageHandler(w.deps)(last!.body);
  await w.queue.complete(last!);

  expect((await w.ctx.ledger.getJob(job.jobId))?.state).toBe('running');
  expect(await w.ctx.ledger.countShards(job.jobId)).toEqual({
    pending: 1,
    running: 0,
    succeeded: total - 1,
    failed: 0,
  });
  expect((await w.ctx.ledger.getShard(job.jobId, lostShard))?.state).toBe('pending');
  expect(await w.queue.countActive()).toBe(0);
  return { job, lostShard, lost: lost!, total, cleanScores };
}

async function expectRecovered(
  w: UsecaseWorld,
  job: JobRecord,
  lostShard: string,
  total: number,
  cleanScores: string[],
) {
  const queued = await queuedMessages(w.queue);
  expect(queued.map((m) => m.shardId)).toEqual([lostShard]);
  // A second pass while the re-sent message waits duplicates nothing.
  const sent = w.queue.sent.length;
  expect(await reconcileJobs(w.deps, TIMES)).toBe(0);
  expect(w.queue.sent.length).toBe(sent);
  expect(await queuedMessages(w.queue)).toHaveLength(1);

  const log = await drainQueue(w.deps);
  expect(log.completed.map((m) => (m.body as { kind: string }).kind)).toEqual(['score', 'finish']);
  const done = await w.ctx.ledger.getJob(job.jobId);
  expect(done?.state, done?.error).toBe('succeeded');
  expect(await w.ctx.ledger.countShards(job.jobId)).toEqual({ pending: 0, running: 0, succeeded: total, failed: 0 });
  const results = await readResults(w.ctx, job.jobId);
  expect(results.scores).toHaveLength(FULL_FILE_WINDOWS);
  expect(new Set(results.scores).size).toBe(FULL_FILE_WINDOWS);
  expect(withoutInputColumns(results.scores)).toEqual(cleanScores);
  expect(await w.queue.countActive()).toBe(0);
  expect(await w.queue.peekDeadLetters()).toEqual([]);
}

describe('a lost shard message', () => {
  // Fixed: a re-send gets its own id (keyed by the shard's ETag), so duplicate detection no longer drops it.
  it("is re-sent by the reconciler from the shard's stored message once the queue is empty, and the job completes", async () => {
    const w = (world = await openWorld());
    const { job, lostShard, lost, total, cleanScores } = await loseOneShard(w);
    w.clock.advance(60_000); // a minute later, well inside the duplicate-detection window

    expect(await reconcileJobs(w.deps, TIMES)).toBe(1);
    const resent = w.queue.sent.at(-1);
    expect(resent?.body).toEqual(lost.body);
    expect(await w.queue.countActive()).toBe(1); // fails: duplicate detection dropped the re-send
    await expectRecovered(w, job, lostShard, total, cleanScores);
  });

  it('is re-sent by the reconciler once the duplicate-detection window has passed, and the job completes', async () => {
    const w = (world = await openWorld());
    const { job, lostShard, lost, total, cleanScores } = await loseOneShard(w);
    w.clock.advance(DEDUP_WINDOW_MS + 1);

    expect(await reconcileJobs(w.deps, TIMES)).toBe(1);
    expect(w.queue.sent.at(-1)?.body).toEqual(lost.body);
    await expectRecovered(w, job, lostShard, total, cleanScores);
  });
});

describe('a lost finish message', () => {
  /** Scores every shard of a job, then loses its finish message: the job is left finishing, the queue empty. */
  async function loseFinish(w: UsecaseWorld) {
    const job = await w.submitCsv('job.csv', CSV);
    await drainQueue(w.deps, {
      handle: async (body) => {
        if ((body as { kind: string }).kind !== 'finish') await messageHandler(w.deps)(body);
      },
    });
    const finishing = await w.ctx.ledger.getJob(job.jobId);
    expect(finishing?.state).toBe('finishing');
    expect(await w.queue.countActive()).toBe(0);
    return { job, finishing: finishing! };
  }

  async function expectFinished(w: UsecaseWorld, job: JobRecord) {
    expect((await queuedMessages(w.queue)).map((m) => m.kind)).toEqual(['finish']);
    await drainQueue(w.deps);
    expect((await w.ctx.ledger.getJob(job.jobId))?.state).toBe('succeeded');
    expect((await readResults(w.ctx, job.jobId)).scores).toHaveLength(FULL_FILE_WINDOWS);
  }

  // Fixed: plan and finish nudges get their own id (keyed by the job's ETag).
  it('is re-sent by the reconciler once the job is stale, and the job finishes', async () => {
    const w = (world = await openWorld());
    const { job, finishing } = await loseFinish(w);
    w.clock.advance(TIMES.staleJobMs);
    expect(await reconcileJobs(w.deps, TIMES, finishing.updatedAt.getTime() + TIMES.staleJobMs)).toBe(1);
    expect(await w.queue.countActive()).toBe(1); // fails: duplicate detection dropped the nudge
    await expectFinished(w, job);
  });

  it('is re-sent by the reconciler once the duplicate-detection window has passed, and the job finishes', async () => {
    const w = (world = await openWorld());
    const { job, finishing } = await loseFinish(w);
    w.clock.advance(DEDUP_WINDOW_MS + 1);
    expect(await reconcileJobs(w.deps, TIMES, finishing.updatedAt.getTime() + DEDUP_WINDOW_MS + 1)).toBe(1);
    await expectFinished(w, job);
  });
});
