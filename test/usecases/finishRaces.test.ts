/**
 * Races at the end of a job: two fan-ins after the last shard succeeded must queue one finish
 * between them, and two finishes running at once must leave one terminal state and the results
 * of one clean finish.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteJobLedger } from '../../src/adapters/local/sqliteJobLedger.js';
import { CONTAINERS, finishMessageId, resultBlobName } from '../../src/core/jobNaming.js';
import { TERMINAL_JOB_STATES, type JobLedger, type JobRecord } from '../../src/ports/jobLedger.js';
import type { BlobStore } from '../../src/ports/blobStore.js';
import { anomalyFinish as finishJob } from '../support/usecases/lifecycle.js';
import type { ScoreMessage } from '../../src/usecases/anomaly/deps.js';
import { anomalyShard as scoreShard } from '../support/usecases/lifecycle.js';
import { fanIn } from '../../src/usecases/fanIn.js';
import { reconcileJobs } from '../../src/usecases/reconcileJobs.js';
import { InjectedCrash, createBarrier, createGate, hookedLedger } from '../support/usecases/faultyPorts.js';
import { drainQueue, queuedMessages } from '../support/usecases/queueDriver.js';
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
const extraLedgers: JobLedger[] = [];
afterEach(async () => {
  for (const l of extraLedgers.splice(0)) await l.close();
  await world?.close();
  world = undefined;
});

const kindOf = (body: unknown) => (body as { kind: string }).kind;

/**
 * Scores every shard of a job; the worker of the last one records it succeeded and dies before
 * fanning in. The job is left running with every shard terminal and nothing queued but that
 * worker's locked message.
 */
async function lastShardJustSucceeded(w: UsecaseWorld) {
  const job = await w.submitCsv('job.csv', CSV);
  const total = () => w.ctx.ledger.getJob(job.jobId).then((j) => j?.shardsTotal ?? 0);
  let scored = 0;
  const first = await drainQueue(w.deps, { holdWhen: (m) => kindOf(m.body) === 'score' && ++scored === 45 });
  const held = first.held!;
  expect(await total()).toBe(45);
  const crashAfterSuccess = hookedLedger(w.ctx.ledger, {
    afterUpdateShard: (_s, patch) => {
      if (patch.state === 'succeeded')
        throw new InjectedCrash('after recording the shard succeeded, before fanning in');
    },
  });
  await expect(
    scoreShard(w.withPorts({ ledger: crashAfterSuccess }), held.body as ScoreMessage),
  ).rejects.toBeInstanceOf(InjectedCrash);
  expect(await w.ctx.ledger.getJob(job.jobId)).toMatchObject({ state: 'running' });
  expect(await w.ctx.ledger.countShards(job.jobId)).toEqual({ pending: 0, running: 0, succeeded: 45, failed: 0 });
  return { job, held };
}

async function expectOneFinishThenSuccess(w: UsecaseWorld, job: JobRecord, sentBefore: number) {
  const finishing = await w.ctx.ledger.getJob(job.jobId);
  expect(finishing?.state).toBe('finishing');
  const finishSends = w.queue.sent.slice(sentBefore).filter((m) => kindOf(m.body) === 'finish');
  expect(new Set(finishSends.map((m) => m.messageId))).toEqual(new Set([finishMessageId(job.jobId, finishing!.etag)]));
  w.clock.advance(w.queue.lockDurationMs + 1); // the dead worker's message comes back
  const queued = await queuedMessages(w.queue);
  expect(queued.map((m) => m.kind).sort()).toEqual(['finish', 'score']);
  const log = await drainQueue(w.deps);
  expect(log.completed.map((m) => kindOf(m.body))).toEqual(['score', 'finish']);
  expect((await w.ctx.ledger.getJob(job.jobId))?.state).toBe('succeeded');
  const results = await readResults(w.ctx, job.jobId);
  expect(results.scores).toHaveLength(FULL_FILE_WINDOWS);
  expect(new Set(results.scores).size).toBe(FULL_FILE_WINDOWS);
  expect(await w.queue.countActive()).toBe(0);
}

describe('two fan-ins racing after the last shard succeeded', () => {
  it('queue exactly one finish message (in one process)', async () => {
    const w = (world = await openWorld());
    const { job } = await lastShardJustSucceeded(w);
    const barrier = createBarrier(2);
    const racing = w.withPorts({ ledger: hookedLedger(w.ctx.ledger, { afterCountShards: barrier }) });
    const sentBefore = w.queue.sent.length;
    await Promise.all([fanIn(racing, job.jobId), fanIn(racing, job.jobId)]);
    // Both saw every shard terminal and both sent; duplicate detection kept one.
    expect(w.queue.sent.slice(sentBefore).map((m) => kindOf(m.body))).toEqual(['finish', 'finish']);
    await expectOneFinishThenSuccess(w, job, sentBefore);
  });

  it('queue exactly one finish message (the redelivered shard and the reconciler, on their own connections)', async () => {
    const w = (world = await openWorld());
    const { job, held } = await lastShardJustSucceeded(w);
    const barrier = createBarrier(2);
    const other = openSqliteJobLedger({ file: join(w.ctx.config.home, 'ledger.sqlite') });
    extraLedgers.push(other);
    const worker = w.withPorts({ ledger: hookedLedger(w.ctx.ledger, { afterCountShards: barrier }) });
    const reconciler = w.withPorts({ ledger: hookedLedger(other, { afterCountShards: barrier }) });
    const sentBefore = w.queue.sent.length;
    await Promise.all([
      scoreShard(worker, held.body as ScoreMessage), // a second delivery of the last shard: terminal, so it only fans in
      reconcileJobs(reconciler, { staleJobMs: 60_000, staleShardMs: 0 }),
    ]);
    expect(w.queue.sent.slice(sentBefore).map((m) => kindOf(m.body))).toEqual(['finish', 'finish']);
    await expectOneFinishThenSuccess(w, job, sentBefore);
  });
});

describe('finishJob run twice at once', () => {
  /** A job whose finish message was taken but not run: every shard succeeded, the job finishing. */
  async function finishingJob(w: UsecaseWorld) {
    const clean = await w.submitCsv('clean.csv', CSV);
    await drainQueue(w.deps);
    const reference = await readResults(w.ctx, clean.jobId);
    const job = await w.submitCsv('job.csv', CSV);
    await drainQueue(w.deps, { holdWhen: (m) => kindOf(m.body) === 'finish' });
    expect((await w.ctx.ledger.getJob(job.jobId))?.state).toBe('finishing');
    return { job, reference };
  }

  /** Two finishers, each over its own ledger connection, both past the `finishing` check before either writes. */
  function twoFinishers(
    w: UsecaseWorld,
    terminalWrites: JobRecord[],
    blobs: (i: number) => BlobStore = () => w.ctx.blobs,
  ) {
    const barrier = createBarrier(2);
    const ledgers = [w.ctx.ledger, openSqliteJobLedger({ file: join(w.ctx.config.home, 'ledger.sqlite') })];
    extraLedgers.push(ledgers[1]!);
    return ledgers.map((l, i) => ({
      ...w.deps,
      blobs: blobs(i),
      ledger: hookedLedger(l, {
        afterListShards: barrier,
        afterUpdateJob: (updated) => {
          if (TERMINAL_JOB_STATES.includes(updated.state)) terminalWrites.push(updated);
        },
      }),
    }));
  }

  it('leaves one terminal state and the results of one clean finish', async () => {
    const w = (world = await openWorld());
    const { job, reference } = await finishingJob(w);
    const terminalWrites: JobRecord[] = [];
    const [a, b] = twoFinishers(w, terminalWrites);
    const [ra, rb] = await Promise.all([finishJob(a!, job.jobId), finishJob(b!, job.jobId)]);

    expect(terminalWrites).toHaveLength(1);
    const stored = await w.ctx.ledger.getJob(job.jobId);
    expect(stored).toEqual(terminalWrites[0]);
    expect(ra).toEqual(stored);
    expect(rb).toEqual(stored);
    expect(stored?.state).toBe('succeeded');
    expect(stored?.counts).toMatchObject({ windows: FULL_FILE_WINDOWS, shardsFailed: 0 });
    const results = await readResults(w.ctx, job.jobId);
    expect(results.scores).toHaveLength(FULL_FILE_WINDOWS);
    expect(withoutInputColumns(results.scores)).toEqual(withoutInputColumns(reference.scores));
    expect(withoutInputColumns(results.anomalies)).toEqual(withoutInputColumns(reference.anomalies));
    const timing = ({
      jobId: _j,
      input: _i,
      submittedAt: _s,
      finishedAt: _f,
      seconds: _sec,
      rowsPerSecond: _r,
      results: _res,
      ...rest
    }: Record<string, unknown>) => rest;
    expect(timing(results.summary)).toEqual(timing(reference.summary));
    // A third, late finish (its message delivered again) is a no-op.
    expect(await finishJob(w.deps, job.jobId)).toEqual(stored);
    expect((await readResults(w.ctx, job.jobId)).summaryText).toBe(results.summaryText);
  });

  // When two finishes overlap, the one whose ledger update is a no-op (the job no longer finishing)
  // may write summary.json last, with its own finishedAt/seconds; it then writes it again with the
  // terminal record's, so summary.json agrees with the ledger whichever lands last.
  it('summary.json agrees with the terminal ledger record whichever finish writes it last', async () => {
    const w = (world = await openWorld());
    const { job } = await finishingJob(w);
    const terminalWrites: JobRecord[] = [];
    const committed = createGate();
    // The second finisher writes its results only after the first one has committed the terminal
    // state (and a few milliseconds later, so its clock reads differently).
    const slowSummary = (inner: BlobStore): BlobStore => ({
      ...inner,
      put: async (container, name, body, options) => {
        if (container === CONTAINERS.results && name.endsWith('scores.csv')) {
          await committed.wait();
          await sleep(5);
        }
        return inner.put(container, name, body, options);
      },
    });
    const [a, b] = twoFinishers(w, terminalWrites, (i) => (i === 1 ? slowSummary(w.ctx.blobs) : w.ctx.blobs));
    const first = finishJob(a!, job.jobId).then((r) => {
      committed.open();
      return r;
    });
    await Promise.all([first, finishJob(b!, job.jobId)]);

    expect(terminalWrites).toHaveLength(1);
    const stored = await w.ctx.ledger.getJob(job.jobId);
    const summary = (await readResults(w.ctx, job.jobId)).summary;
    expect(summary.finishedAt).toBe((stored?.detail as { finishedAt?: string }).finishedAt);
    expect(summary).toEqual((stored?.detail as { summary?: unknown }).summary);
  });

  it("a finish delivered after the job ended puts back the ending's summary.json (an earlier rewrite may have failed)", async () => {
    const w = (world = await openWorld());
    const { job } = await finishingJob(w);
    const ended = await finishJob(w.deps, job.jobId);
    const { summaryText } = await readResults(w.ctx, job.jobId);
    // As an overtaken finish leaves it when its rewrite fails: its own summary, with its own times.
    await w.ctx.blobs.put(
      CONTAINERS.results,
      resultBlobName(job.jobId, 'summary.json'),
      summaryText.replace(/"finishedAt": "[^"]+"/, '"finishedAt": "2000-01-01T00:00:00.000Z"'),
    );
    expect(await finishJob(w.deps, job.jobId)).toEqual(ended);
    expect((await readResults(w.ctx, job.jobId)).summaryText).toBe(summaryText);
  });
});
