import { PermanentError, ensureError } from '../core/errors.js';
import { CONTAINERS, shardMessageId } from '../core/jobNaming.js';
import { TERMINAL_JOB_STATES, TERMINAL_SHARD_STATES, type JobRecord, type JsonValue } from '../ports/jobLedger.js';
import { fanIn } from './fanIn.js';
import { lifecycleQueue, type JobDeps } from './jobDeps.js';
import { detailOf } from './jobDetail.js';
import type { Counts, Detail, Ending, JobKind, Plan, ShardMessage } from './jobKind.js';
import { restoreSummary, writeSummary } from './jobSummary.js';
import { updateJobWithRetry, updateShardWithRetry } from './ledgerRetry.js';
import { readShardOutputCounts } from './shardOutput.js';

/**
 * The one job lifecycle every kind runs on: plan → claim shard → complete shard → fan-in →
 * finish → end. Each step reads the ledger first and writes it under the record's ETag, so a
 * step run twice (a redelivered message, a reconciler nudge, two workers racing) does its work
 * once and the second run finds it done. Kinds supply only their compute (jobKind.ts).
 */

/** Messages queued per send call. */
const SEND_BATCH = 100;

/**
 * Plans a job: the kind cuts it into shards (pinning its choices on the job first), then the
 * shards are recorded, their messages queued, and only then is the job marked running. A re-run
 * after a crash records and queues the same shards (ids and message ids are deterministic, and
 * duplicates are dropped). A PermanentError fails the job with its reason; a job that is not
 * planning any more is left alone.
 */
export async function planJob(deps: JobDeps, kind: JobKind, jobId: string, signal?: AbortSignal): Promise<void> {
  const job = await deps.ledger.getJob(jobId);
  if (!job) throw new PermanentError(`plan: job ${jobId} does not exist`);
  const log = deps.log.child({ jobId });
  if (job.state !== 'planning') {
    log.info('plan skipped: the job is planned already', { state: job.state });
    return;
  }
  const started = Date.now();
  const whilePlanning = (patch: (j: JobRecord) => { counts?: Counts; detail?: Detail }) =>
    updateJobWithRetry(deps.ledger, jobId, (j) => (j.state === 'planning' ? patch(j) : undefined)).then(
      () => undefined,
    );
  let plan: Plan;
  // A running plan keeps its job fresh (as the pump keeps its message locked), however long the kind
  // goes without a heartbeat of its own: the reconciler nudges only a planning job left alone past
  // its staleness (at least twice the lock), so it never starts a second plan beside a live one.
  const keepFresh = setInterval(
    () => {
      whilePlanning(() => ({})).catch((error: unknown) =>
        log.warn('plan heartbeat failed; the next one tries again', { error: ensureError(error).message }),
      );
    },
    Math.max(20, Math.floor(lifecycleQueue(deps).lockDurationMs / 3)),
  );
  try {
    plan = await kind.plan({
      job,
      log,
      signal,
      pin: (detail) => whilePlanning((j) => ({ detail: { ...detailOf(j), ...detail } })),
      heartbeat: (counts) => whilePlanning((j) => ({ counts: { ...j.counts, ...counts } })),
    });
  } catch (error) {
    if (!(error instanceof PermanentError)) throw error;
    log.warn('job failed at planning', { reason: error.message, input: inputLabel(job) });
    await updateJobWithRetry(deps.ledger, jobId, (j) =>
      j.state === 'planning' ? { state: 'failed', error: error.message } : undefined,
    );
    return;
  } finally {
    clearInterval(keepFresh);
  }
  const messages = plan.shards.map(({ message }) => ({
    messageId: shardMessageId(jobId, message.shardId),
    body: message,
    subject: message.kind,
  }));
  // The shard keeps its message, so the reconciler can send it again if it is ever lost.
  await deps.ledger.addShards(
    jobId,
    plan.shards.map((s) => ({
      shardId: s.message.shardId,
      counts: s.counts ?? {},
      detail: { message: s.message as unknown as JsonValue },
    })),
  );
  for (let i = 0; i < messages.length; i += SEND_BATCH) await deps.queue.send(messages.slice(i, i + SEND_BATCH));
  await updateJobWithRetry(deps.ledger, jobId, (j) =>
    j.state !== 'planning'
      ? undefined
      : {
          state: 'running',
          shardsTotal: plan.shards.length,
          counts: { ...j.counts, ...plan.counts },
          detail: {
            ...detailOf(j),
            ...plan.detail,
            plannedAt: new Date().toISOString(),
            planMs: Date.now() - started,
          },
        },
  );
  log.info('job planned', { kind: kind.name, shards: plan.shards.length, ms: Date.now() - started, ...plan.log });
  await fanIn(deps, jobId);
}

/**
 * Runs one shard: claims it under its ETag (pending or running → running, one more attempt), does
 * the kind's work unless its output exists already, marks it succeeded, and fans in. A shard that
 * is terminal is never redone (a failed one stays failed: its job may have finished without it),
 * and a job that has ended (finished, failed, cancelled) runs no more of its shards.
 */
export async function runShard(
  deps: JobDeps,
  kind: JobKind,
  body: unknown,
  signal?: AbortSignal,
  nextMayStart?: () => void,
): Promise<void> {
  const handler = kind.shards[(body as { kind?: string } | null)?.kind ?? ''];
  if (!handler) throw new PermanentError(`job kind ${kind.name} has no shard work for this message`);
  const message: ShardMessage = handler.decode(body);
  const log = deps.log.child({ jobId: message.jobId, shardId: message.shardId });
  const job = await deps.ledger.getJob(message.jobId);
  if (!job) throw new PermanentError(`${message.kind}: job ${message.jobId} does not exist`);
  if (TERMINAL_JOB_STATES.includes(job.state)) {
    log.info('shard skipped: its job has ended', { state: job.state });
    return;
  }
  const shard = await updateShardWithRetry(deps.ledger, message.jobId, message.shardId, (s) =>
    TERMINAL_SHARD_STATES.includes(s.state) ? undefined : { state: 'running', attempts: s.attempts + 1 },
  );
  if (TERMINAL_SHARD_STATES.includes(shard.state)) {
    log.info('shard already terminal', { state: shard.state });
    if (shard.state === 'succeeded') await fanIn(deps, message.jobId);
    return;
  }
  const started = Date.now();
  const work = await handler.work(message, { job, shard, log, signal, nextMayStart });
  const existing = readShardOutputCounts(await deps.blobs.head(CONTAINERS.work, work.output));
  if (existing) log.info('shard output exists; not recomputed');
  const counts = existing ?? (await work.compute());
  signal?.throwIfAborted();
  // A shard that failed meanwhile (its message dead-lettered while this worker was slow) stays failed.
  await updateShardWithRetry(deps.ledger, message.jobId, message.shardId, (s) =>
    TERMINAL_SHARD_STATES.includes(s.state)
      ? undefined
      : { state: 'succeeded', error: undefined, counts: { ...s.counts, ...counts, ms: Date.now() - started } },
  );
  log.info('shard done', { kind: message.kind, ms: Date.now() - started, ...counts });
  await fanIn(deps, message.jobId);
}

/**
 * Finishes a job once every shard is terminal: the kind writes its results and says how the job
 * ends; summary.json is written, then the job ends under its ETag with the summary kept in the
 * ledger. A finish that finds the job ended (a stale or redelivered message), or that another
 * finish overtook while it worked, writes the ending's summary back, so summary.json always agrees
 * with the ledger. A PermanentError from the kind fails the job with its reason.
 */
export async function finishJob(deps: JobDeps, kind: JobKind, jobId: string, signal?: AbortSignal): Promise<JobRecord> {
  const job = await deps.ledger.getJob(jobId);
  if (!job) throw new PermanentError(`finish: job ${jobId} does not exist`);
  const log = deps.log.child({ jobId });
  if (job.state !== 'finishing') {
    await restoreSummary(deps.blobs, job);
    log.info('finish skipped', { state: job.state });
    return job;
  }
  const shards = await deps.ledger.listShards(jobId);
  const succeeded = shards.filter((s) => s.state === 'succeeded');
  const failed = shards.filter((s) => s.state === 'failed');
  if (succeeded.length + failed.length < shards.length) {
    log.info('finish skipped: shards still running', { unfinished: shards.length - succeeded.length - failed.length });
    return job;
  }
  let ending: Ending;
  try {
    ending = await kind.finish({ job, shards, succeeded, failed, log, signal });
  } catch (error) {
    // The finish that ended the job may have removed what this one was working on.
    const now = await deps.ledger.getJob(jobId);
    if (now && TERMINAL_JOB_STATES.includes(now.state)) return overtaken(deps, kind, now, error);
    if (!(error instanceof PermanentError)) throw error;
    ending = { state: 'failed', error: error.message, summary: {} };
  }
  const finishedAt = new Date();
  const seconds = Math.max(1e-3, (finishedAt.getTime() - job.createdAt.getTime()) / 1000);
  const summary: Detail = {
    jobId,
    kind: job.kind,
    state: ending.state,
    error: ending.error ?? null,
    input: job.input,
    shards: { total: shards.length, succeeded: succeeded.length, failed: failed.length },
    failedShards: failed.map((s) => ({ shardId: s.shardId, reason: s.error ?? 'unknown' })),
    submittedAt: job.createdAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    seconds,
    ...ending.summary,
  };
  // Written before the job turns terminal, so a terminal job always has its summary.
  await writeSummary(deps.blobs, jobId, summary);
  let ended = false;
  const finished = await updateJobWithRetry(deps.ledger, jobId, (j) => {
    ended = j.state === 'finishing';
    return !ended
      ? undefined
      : {
          state: ending.state,
          error: ending.error,
          counts: { ...j.counts, ...ending.counts, shardsFailed: failed.length },
          detail: { ...detailOf(j), finishedAt: summary.finishedAt ?? null, seconds, summary },
        };
  });
  if (!ended) return overtaken(deps, kind, finished);
  await kind.cleanup?.(finished);
  log.info('job finished', { kind: kind.name, state: ending.state, seconds, failedShards: failed.length });
  return finished;
}

/** Another finish ended the job first: its outcome and its summary stand, and the job's working files go. */
async function overtaken(deps: JobDeps, kind: JobKind, ended: JobRecord, error?: unknown): Promise<JobRecord> {
  await restoreSummary(deps.blobs, ended);
  await kind.cleanup?.(ended);
  deps.log.info('finish overtaken: the job had already ended', {
    jobId: ended.jobId,
    state: ended.state,
    ...(error === undefined ? {} : { error: ensureError(error).message }),
  });
  return ended;
}

/** `container/name` of a job's input, for log lines and errors. */
export function inputLabel(job: Pick<JobRecord, 'input'>): string {
  return `${job.input.container ?? CONTAINERS.inbox}/${job.input.name ?? ''}`;
}
