/**
 * The job lifecycle's races and crash windows, once for every job kind: the rules live in one
 * module (src/usecases/jobLifecycle.ts), so each kind must pass the same set. Each test runs the
 * real local adapters over a small real input of the kind, drives the lifecycle's steps directly
 * (two at once where it races them, over two ledger connections), lets the rest run through the
 * dispatcher, and checks the kind's results against an oracle outside the lifecycle.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteJobLedger } from '../../src/adapters/local/sqliteJobLedger.js';
import { PermanentError } from '../../src/core/errors.js';
import { CONTAINERS, resultBlobName } from '../../src/core/jobNaming.js';
import type { BlobStore } from '../../src/ports/blobStore.js';
import { TERMINAL_JOB_STATES, type JobLedger, type JobRecord, type ShardRecord } from '../../src/ports/jobLedger.js';
import { fanIn } from '../../src/usecases/fanIn.js';
import { createJobDispatcher } from '../../src/usecases/jobDispatcher.js';
import { finishJob, planJob, runShard } from '../../src/usecases/jobLifecycle.js';
import { readBlobText } from '../../src/usecases/readBlobText.js';
import { InjectedCrash, createBarrier, hookedLedger } from '../support/usecases/faultyPorts.js';
import { KIND_WORLDS, type KindPorts, type KindWorld } from '../support/usecases/kindWorlds.js';
import { drainQueue, queuedMessages } from '../support/usecases/queueDriver.js';

let world: KindWorld | undefined;
const extraLedgers: JobLedger[] = [];
afterEach(async () => {
  for (const l of extraLedgers.splice(0)) await l.close();
  await world?.close();
  world = undefined;
});

/** Runs every queued message through the dispatcher of `w`'s kind until the queue is empty. */
async function drain(w: KindWorld, ports: KindPorts = {}, holdWhen?: (body: unknown) => boolean) {
  const { deps, kind } = w.with(ports);
  const log = await drainQueue(
    { ...deps, queue: w.ctx.queue },
    { handle: createJobDispatcher(deps, [kind]), holdWhen: holdWhen && ((m) => holdWhen(m.body)) },
  );
  expect(log.deadLettered.map((d) => d.description)).toEqual([]);
  return log;
}

const kindOf = (body: unknown) => (body as { kind: string }).kind;

/** A second ledger connection on the world's ledger file: another process's view. */
function otherLedger(w: KindWorld): JobLedger {
  const ledger = openSqliteJobLedger({ file: join(w.ctx.config.home, 'ledger.sqlite') });
  extraLedgers.push(ledger);
  return ledger;
}

/** A job planned, every shard done, its finish message taken but not run: the job is finishing. */
async function finishingJob(w: KindWorld): Promise<string> {
  const jobId = await w.submit('finishing');
  await drain(w, {}, (body) => kindOf(body) === 'finish');
  expect((await w.ctx.ledger.getJob(jobId))?.state).toBe('finishing');
  return jobId;
}

/** A planned job's shard messages, from the ledger. */
async function shardMessages(w: KindWorld, jobId: string): Promise<{ shard: ShardRecord; body: unknown }[]> {
  return (await w.ctx.ledger.listShards(jobId)).map((shard) => ({
    shard,
    body: (shard.detail as { message: unknown }).message,
  }));
}

/** A blob store that counts puts into the work container, and can crash right after one completes. */
function watchedBlobs(inner: BlobStore, crashAfterPut?: (name: string) => boolean) {
  const puts: string[] = [];
  const blobs: BlobStore = {
    ...inner,
    ensureContainer: (c) => inner.ensureContainer(c),
    get: (c, n) => inner.get(c, n),
    head: (c, n) => inner.head(c, n),
    list: (c, p) => inner.list(c, p),
    setMetadata: (c, n, m, o) => inner.setMetadata(c, n, m, o),
    delete: (c, n, o) => inner.delete(c, n, o),
    async put(container, name, body, options) {
      const stored = await inner.put(container, name, body, options);
      if (container === CONTAINERS.work) {
        puts.push(name);
        if (crashAfterPut?.(name)) throw new InjectedCrash(`after writing ${container}/${name}`);
      }
      return stored;
    },
  };
  return { blobs, puts };
}

describe.each(KIND_WORLDS)('the %s job on the shared lifecycle', (_name, open) => {
  it('two plans at once record and queue each shard once, and the job runs once', async () => {
    const w = (world = await open());
    const jobId = await w.submit('twice');
    const barrier = createBarrier(2);
    const runs = [w.ctx.ledger, otherLedger(w)].map((l) => {
      const { deps, kind } = w.with({ ledger: hookedLedger(l, { beforeAddShards: barrier }) });
      return planJob(deps, kind, jobId);
    });
    await Promise.all(runs);
    const job = await w.ctx.ledger.getJob(jobId);
    expect(job?.state).toBe('running');
    const shards = await w.ctx.ledger.listShards(jobId);
    expect(shards.length).toBe(job?.shardsTotal);
    expect(shards.length).toBeGreaterThan(1);
    const queued = (await queuedMessages(w.ctx.queue)).filter((m) => m.kind !== 'plan');
    expect(queued.map((m) => m.shardId).sort()).toEqual(shards.map((s) => s.shardId).sort());
    await drain(w);
    await w.expectComplete(jobId);
  });

  it('a plan that dies after recording its shards, before the job runs, is re-run to the same shards', async () => {
    const w = (world = await open());
    const jobId = await w.submit('replan');
    const crash = hookedLedger(w.ctx.ledger, {
      beforeUpdateJob: (_id, patch) => {
        if (patch.state === 'running') throw new InjectedCrash('before marking the job running');
      },
    });
    const dying = w.with({ ledger: crash });
    await expect(planJob(dying.deps, dying.kind, jobId)).rejects.toBeInstanceOf(InjectedCrash);
    const before = (await w.ctx.ledger.listShards(jobId)).map((s) => s.shardId);
    expect((await w.ctx.ledger.getJob(jobId))?.state).toBe('planning');
    const { deps, kind } = w.with();
    await planJob(deps, kind, jobId);
    expect((await w.ctx.ledger.listShards(jobId)).map((s) => s.shardId)).toEqual(before);
    await drain(w);
    await w.expectComplete(jobId);
  });

  it('a shard whose worker died between writing its output and recording it is not computed again', async () => {
    const w = (world = await open());
    const jobId = await w.submit('crash-after-output');
    const { deps, kind } = w.with();
    await planJob(deps, kind, jobId);
    const [first] = await shardMessages(w, jobId);
    const dying = watchedBlobs(w.ctx.blobs, (name) => /\/(out|segments)\//.test(name));
    const before = w.with({ blobs: dying.blobs });
    await expect(runShard(before.deps, before.kind, first!.body)).rejects.toBeInstanceOf(InjectedCrash);
    expect((await w.ctx.ledger.getShard(jobId, first!.shard.shardId))?.state).toBe('running');
    const written = dying.puts.at(-1)!;
    const watching = watchedBlobs(w.ctx.blobs);
    const again = w.with({ blobs: watching.blobs });
    await runShard(again.deps, again.kind, first!.body);
    expect(watching.puts).not.toContain(written);
    const shard = await w.ctx.ledger.getShard(jobId, first!.shard.shardId);
    expect(shard?.state).toBe('succeeded');
    expect(shard?.attempts).toBe(2);
    await drain(w);
    await w.expectComplete(jobId);
  });

  it('a shard delivered twice at once ends succeeded once, and the results hold each item once', async () => {
    const w = (world = await open());
    const jobId = await w.submit('shard-twice');
    const { deps, kind } = w.with();
    await planJob(deps, kind, jobId);
    const [first] = await shardMessages(w, jobId);
    const barrier = createBarrier(2);
    await Promise.all(
      [w.ctx.ledger, otherLedger(w)].map((l) => {
        const run = w.with({
          ledger: hookedLedger(l, { afterGetShard: (s) => (s?.state === 'pending' ? barrier() : undefined) }),
        });
        return runShard(run.deps, run.kind, first!.body);
      }),
    );
    const shard = await w.ctx.ledger.getShard(jobId, first!.shard.shardId);
    expect(shard?.state).toBe('succeeded');
    await drain(w);
    await w.expectComplete(jobId);
  });

  it('two fan-ins after the last shard queue one finish', async () => {
    const w = (world = await open());
    const jobId = await w.submit('fan-in');
    const { deps, kind } = w.with();
    await planJob(deps, kind, jobId);
    // The messages are taken off the queue: the test runs each shard itself.
    for (const m of await w.ctx.queue.receive({ maxMessages: 1000, maxWaitMs: 0 })) await w.ctx.queue.complete(m);
    // Every shard done, but each worker died before fanning in: the job is left running.
    const skipFanIn = hookedLedger(w.ctx.ledger, {
      afterUpdateShard: (s, patch) => {
        if (patch.state === 'succeeded') throw new InjectedCrash(`after ${s.shardId} succeeded`);
      },
    });
    const dying = w.with({ ledger: skipFanIn });
    for (const { body } of await shardMessages(w, jobId))
      await expect(runShard(dying.deps, dying.kind, body)).rejects.toBeInstanceOf(InjectedCrash);
    expect((await w.ctx.ledger.getJob(jobId))?.state).toBe('running');
    const barrier = createBarrier(2);
    const racing = [w.ctx.ledger, otherLedger(w)].map((l) => ({
      ...deps,
      ledger: hookedLedger(l, { afterCountShards: barrier }),
    }));
    await Promise.all(racing.map((d) => fanIn(d, jobId)));
    const finishes = (await queuedMessages(w.ctx.queue)).filter((m) => m.kind === 'finish');
    expect(finishes).toHaveLength(1);
    await drain(w);
    await w.expectComplete(jobId);
  });

  it("two finishes at once leave one terminal write, and summary.json is the ledger's", async () => {
    const w = (world = await open());
    const jobId = await finishingJob(w);
    const terminal: JobRecord[] = [];
    const barrier = createBarrier(2);
    const ended = await Promise.all(
      [w.ctx.ledger, otherLedger(w)].map((l) => {
        const run = w.with({
          ledger: hookedLedger(l, {
            afterListShards: barrier,
            afterUpdateJob: (j) => void (TERMINAL_JOB_STATES.includes(j.state) && terminal.push(j)),
          }),
        });
        return finishJob(run.deps, run.kind, jobId);
      }),
    );
    expect(terminal).toHaveLength(1);
    const stored = await w.ctx.ledger.getJob(jobId);
    expect(ended).toEqual([stored, stored]);
    await w.expectComplete(jobId);
  });

  it("a finish delivered after the job ended puts back the ending's summary.json", async () => {
    const w = (world = await open());
    const jobId = await finishingJob(w);
    const { deps, kind } = w.with();
    const ended = await finishJob(deps, kind, jobId);
    const name = resultBlobName(jobId, 'summary.json');
    const text = await readBlobText(w.ctx.blobs, CONTAINERS.results, name);
    await w.ctx.blobs.put(CONTAINERS.results, name, '{"state": "stale"}');
    expect(await finishJob(deps, kind, jobId)).toEqual(ended);
    expect(await readBlobText(w.ctx.blobs, CONTAINERS.results, name)).toBe(text);
  });

  it('a job that has ended runs none of its shards', async () => {
    const w = (world = await open());
    const jobId = await w.submit('ended');
    const { deps, kind } = w.with();
    await planJob(deps, kind, jobId);
    const job = await w.ctx.ledger.getJob(jobId);
    await w.ctx.ledger.updateJob(jobId, { state: 'failed', error: 'cancelled' }, job!.etag);
    const watching = watchedBlobs(w.ctx.blobs);
    const run = w.with({ blobs: watching.blobs });
    for (const { body } of await shardMessages(w, jobId)) await runShard(run.deps, run.kind, body);
    expect(watching.puts).toEqual([]);
    expect((await w.ctx.ledger.countShards(jobId)).pending).toBe(job!.shardsTotal);
  });

  it('every step of a job that does not exist is a PermanentError naming it', async () => {
    const w = (world = await open());
    const jobId = await w.submit('real');
    const { deps, kind } = w.with();
    await planJob(deps, kind, jobId);
    const [first] = await shardMessages(w, jobId);
    const ghost = { ...(first!.body as object), jobId: 'jnosuchjob' };
    for (const step of [
      () => planJob(deps, kind, 'jnosuchjob'),
      () => runShard(deps, kind, ghost),
      () => finishJob(deps, kind, 'jnosuchjob'),
    ]) {
      const error = await step().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PermanentError);
      expect((error as Error).message).toContain('jnosuchjob');
    }
  });
});
