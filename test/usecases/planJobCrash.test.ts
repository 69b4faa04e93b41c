/**
 * Failure windows of planning: planJob dies after some shard messages were sent, or after the
 * models were pinned, and its message is redelivered. The re-run must end in the same place as a
 * clean run: the same shards, each queued once, the same results row for row.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../src/ports/jobLedger.js';
import { anomalyPlan as planJob } from '../support/usecases/lifecycle.js';
import { ocsvmDir, readOcsvmManifest } from '../support/fixtures.js';
import { InjectedCrash, hookedLedger } from '../support/usecases/faultyPorts.js';
import { drainQueue, messageHandler, queuedMessages } from '../support/usecases/queueDriver.js';
import {
  DEDUP_WINDOW_MS,
  FULL_FILE_WINDOWS,
  modelColumn,
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

/** A clean run of the same readings under another name: what every recovery must reproduce. */
async function cleanRun(w: UsecaseWorld) {
  const job = await w.submitCsv('clean.csv', CSV);
  await drainQueue(w.deps);
  const done = await w.ctx.ledger.getJob(job.jobId);
  expect(done?.state).toBe('succeeded');
  const shards = (await w.ctx.ledger.listShards(job.jobId)).map((s) => s.shardId);
  return { results: await readResults(w.ctx, job.jobId), shards };
}

/** Receives the job's plan message and runs it; the run is expected to crash. The message stays locked. */
async function planAndCrash(w: UsecaseWorld, job: JobRecord, handle = messageHandler(w.deps)) {
  const [plan] = await w.queue.receive({ maxMessages: 1, maxWaitMs: 0 });
  expect(plan?.body).toEqual({ kind: 'plan', jobId: job.jobId });
  await expect(handle(plan!.body)).rejects.toBeInstanceOf(InjectedCrash);
  return plan!;
}

async function expectSameAsClean(w: UsecaseWorld, job: JobRecord, clean: Awaited<ReturnType<typeof cleanRun>>) {
  const done = await w.ctx.ledger.getJob(job.jobId);
  expect(done?.state, done?.error).toBe('succeeded');
  const shards = await w.ctx.ledger.listShards(job.jobId);
  expect(shards.map((s) => s.shardId)).toEqual(clean.shards);
  expect(shards.every((s) => s.state === 'succeeded')).toBe(true);
  const results = await readResults(w.ctx, job.jobId);
  expect(results.scores).toHaveLength(FULL_FILE_WINDOWS);
  expect(new Set(results.scores).size).toBe(FULL_FILE_WINDOWS);
  expect(withoutInputColumns(results.scores)).toEqual(withoutInputColumns(clean.results.scores));
  expect(withoutInputColumns(results.anomalies)).toEqual(withoutInputColumns(clean.results.anomalies));
  expect(results.scores.every((l) => l.endsWith(`,inbox/${job.input.name},${job.input.etag}`))).toBe(true);
  expect(results.summary).toMatchObject({
    state: 'succeeded',
    windows: FULL_FILE_WINDOWS,
    shards: { total: clean.shards.length, succeeded: clean.shards.length, failed: 0 },
  });
  expect(await w.queue.countActive()).toBe(0);
  expect(await w.queue.peekDeadLetters()).toEqual([]);
}

describe('planJob crashes after sending some shard messages, before marking the job running', () => {
  it('its redelivered plan leaves the job running with every shard queued exactly once, and finishes as a clean run', async () => {
    const w = (world = await openWorld());
    const clean = await cleanRun(w);
    const job = await w.submitCsv('crash.csv', CSV);
    const sentBefore = w.queue.sent.length;
    w.queue.crashSend(1, 20); // the next send (the shard batch) reaches the queue with 20 of its messages, then the process dies
    await planAndCrash(w, job);

    expect((await w.ctx.ledger.getJob(job.jobId))?.state).toBe('planning');
    expect(await w.ctx.ledger.listShards(job.jobId)).toHaveLength(clean.shards.length);
    w.clock.advance(w.queue.lockDurationMs + 1); // the dead worker's lock expires: the plan is redelivered
    const [again] = await w.queue.receive({ maxMessages: 1, maxWaitMs: 0 });
    expect(again?.body).toEqual({ kind: 'plan', jobId: job.jobId });
    expect(again?.deliveryCount).toBe(2);
    await planJob(w.deps, job.jobId);
    await w.queue.complete(again!);

    const running = await w.ctx.ledger.getJob(job.jobId);
    expect(running?.state).toBe('running');
    expect(running?.shardsTotal).toBe(clean.shards.length);
    // The re-run sent every shard again; duplicate detection kept the 20 that had already arrived once.
    const scoreSends = w.queue.sent.slice(sentBefore).filter((m) => (m.body as { kind: string }).kind === 'score');
    expect(scoreSends).toHaveLength(20 + clean.shards.length);
    const queued = await queuedMessages(w.queue);
    expect(queued.every((m) => m.kind === 'score')).toBe(true);
    expect(queued.map((m) => m.shardId).sort()).toEqual(clean.shards);
    expect(new Set(queued.map((m) => m.messageId)).size).toBe(clean.shards.length);

    const log = await drainQueue(w.deps);
    expect(log.deadLettered).toEqual([]);
    expect(log.abandoned).toEqual([]);
    await expectSameAsClean(w, job, clean);
  });

  it('shards scored while the plan waits for redelivery are not scored again, and the job still finishes', async () => {
    const w = (world = await openWorld());
    const clean = await cleanRun(w);
    const job = await w.submitCsv('crash.csv', CSV);
    w.queue.crashSend(1, 20);
    await planAndCrash(w, job);

    // Other workers take the 20 shard messages that did arrive, while the plan message is still locked.
    const early = await drainQueue(w.deps);
    expect(early.completed.map((m) => (m.body as { kind: string }).kind)).toEqual(Array<string>(20).fill('score'));
    expect((await w.ctx.ledger.countShards(job.jobId)).succeeded).toBe(20);
    expect((await w.ctx.ledger.getJob(job.jobId))?.state).toBe('planning');

    w.clock.advance(w.queue.lockDurationMs + 1);
    const late = await drainQueue(w.deps);
    // The plan, the 25 shards not yet sent (the 20 scored ones are dropped as duplicates), one finish.
    expect(late.completed.map((m) => (m.body as { kind: string }).kind).sort()).toEqual([
      'finish',
      'plan',
      ...Array<string>(clean.shards.length - 20).fill('score'),
    ]);
    const shards = await w.ctx.ledger.listShards(job.jobId);
    expect(shards.every((s) => s.attempts === 1)).toBe(true);
    await expectSameAsClean(w, job, clean);
  });

  it('after the duplicate-detection window, the re-sent shards that were already scored are no-ops: no duplicate rows', async () => {
    const w = (world = await openWorld());
    const clean = await cleanRun(w);
    const job = await w.submitCsv('crash.csv', CSV);
    w.queue.crashSend(1, 20);
    await planAndCrash(w, job);
    await drainQueue(w.deps); // the 20 that arrived are scored

    w.clock.advance(DEDUP_WINDOW_MS + 1); // the plan is redelivered only after duplicate detection forgot the first sends
    const late = await drainQueue(w.deps);
    expect(late.completed.filter((m) => (m.body as { kind: string }).kind === 'score')).toHaveLength(
      clean.shards.length,
    );
    expect(late.deadLettered).toEqual([]);
    await expectSameAsClean(w, job, clean);
  });
});

describe('planJob crashes after queueing every shard, just before marking the job running', () => {
  it('the redelivered plan marks it running, queues nothing twice, and the job finishes as a clean run', async () => {
    const w = (world = await openWorld());
    const clean = await cleanRun(w);
    const job = await w.submitCsv('crash.csv', CSV);
    let crashes = 1;
    const ledger = hookedLedger(w.ctx.ledger, {
      beforeUpdateJob: (_jobId, patch) => {
        if (patch.state === 'running' && crashes-- > 0) throw new InjectedCrash('before the job is marked running');
      },
    });
    await planAndCrash(w, job, messageHandler(w.withPorts({ ledger })));
    expect((await w.ctx.ledger.getJob(job.jobId))?.state).toBe('planning');
    expect((await queuedMessages(w.queue)).map((m) => m.shardId).sort()).toEqual(clean.shards);

    w.clock.advance(w.queue.lockDurationMs + 1);
    const log = await drainQueue(w.withPorts({ ledger }));
    expect(log.completed.filter((m) => (m.body as { kind: string }).kind === 'score')).toHaveLength(
      clean.shards.length,
    );
    expect(log.completed.filter((m) => (m.body as { kind: string }).kind === 'plan')).toHaveLength(1);
    await expectSameAsClean(w, job, clean);
  });
});

describe('planJob crashes after pinning its models, and a new model version appears before the re-run', () => {
  it('the re-run uses the pinned versions: the same shards, the same results, the pinned model named in every row', async () => {
    const w = (world = await openWorld());
    const clean = await cleanRun(w);
    const job = await w.submitCsv('crash.csv', CSV);
    const ledger = hookedLedger(w.ctx.ledger, {
      beforeAddShards: () => {
        throw new InjectedCrash('after pinning, before recording shards');
      },
    });
    await planAndCrash(w, job, messageHandler(w.withPorts({ ledger })));
    const pins = (
      (await w.ctx.ledger.getJob(job.jobId))?.detail as {
        pins?: Record<string, { version: number; windowSeconds: number }>;
      }
    ).pins;
    expect(Object.keys(pins ?? {})).toHaveLength(15);
    expect(Object.values(pins ?? {}).every((p) => p.version === 1 && p.windowSeconds === 60)).toBe(true);
    expect(await w.ctx.ledger.listShards(job.jobId)).toEqual([]);

    // Version 2 of every series' model: the same graph, but windows of 120 s.
    for (const m of readOcsvmManifest().models) {
      const added = await w.ctx.registry.add(`ocsvm-${m.device}-${m.tag}`, readFileSync(join(ocsvmDir, m.model)), {
        meta: { window_seconds: '120' },
      });
      expect(added.record.version).toBe(2);
    }
    expect(await w.deps.models.latest('ocsvm-1-1')).toMatchObject({ version: 2, windowSeconds: 120 });

    w.clock.advance(w.queue.lockDurationMs + 1);
    await drainQueue(w.deps);
    await expectSameAsClean(w, job, clean);
    const results = await readResults(w.ctx, job.jobId);
    expect([...modelColumn(results.scores)].every((ref) => ref.endsWith('@1'))).toBe(true);
    const stored = (await w.ctx.ledger.listShards(job.jobId)).map(
      (s) => (s.detail as { message: { windowSeconds: number; model: { version: number } } }).message,
    );
    expect(stored.every((m) => m.windowSeconds === 60 && m.model.version === 1)).toBe(true);

    // The control: a job planned now takes version 2, so its windows and shards differ.
    const fresh = await w.submitCsv('fresh.csv', CSV);
    await drainQueue(w.deps);
    const freshShards = (await w.ctx.ledger.listShards(fresh.jobId)).map((s) => s.shardId);
    expect(freshShards).not.toEqual(clean.shards);
    expect([...modelColumn((await readResults(w.ctx, fresh.jobId)).scores)].every((ref) => ref.endsWith('@2'))).toBe(
      true,
    );
  });
});
