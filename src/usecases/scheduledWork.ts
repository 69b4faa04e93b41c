import { PermanentError, ensureError } from '../core/errors.js';
import { modelNameFor, CONTAINERS } from '../core/jobNaming.js';
import { previousRun, type CronSchedule } from '../core/cron.js';
import type { JobRecord } from '../ports/jobLedger.js';
import type { WorkQueue } from '../ports/workQueue.js';
import { sweepDeadLetters } from './deadLetters.js';
import type { JobDeps } from './jobDeps.js';
import { readBlobText } from './readBlobText.js';
import { reconcileJobs, type ReconcileTimes } from './reconcileJobs.js';
import type { RunWindow, StreamDeps } from './stream/deps.js';
import { startStreamRun } from './stream/startStreamRun.js';
import { pendingBlobs, unscoredBatches } from './stream/streamBatches.js';

/** Every this many reconcile ticks, the dead-letter queues are swept whole again (see `reconciler`). */
export const FULL_SWEEP_EVERY = 30;

export interface ScoreTick {
  /** The schedule's last occurrence at or before now: the run's id comes from it. */
  readonly tick: number;
  readonly batches: number;
  /** Pending windows whose series now has a model. */
  readonly scoreablePending: number;
  /** The run started (or found) for this tick; undefined when there was nothing to score or a run is unfinished. */
  readonly run: JobRecord | undefined;
}

/**
 * The score schedule (a cron expression, UTC): each tick starts the stream run over the window
 * batches no successful run has scored, and the pending windows whose series has a model by now,
 * when there are any. The run's id comes from the tick, so a repeated or duplicated tick starts one
 * run, and a late one catches up what the missed ones left. A tick already handled by this
 * schedule returns undefined.
 */
export function scoreSchedule(
  deps: StreamDeps,
  schedule: CronSchedule,
): { tick(nowMs: number): Promise<ScoreTick | undefined> } {
  let last = Number.NEGATIVE_INFINITY;
  return {
    async tick(nowMs) {
      const tick = previousRun(schedule, nowMs);
      if (tick <= last) return undefined;
      const batches = (await unscoredBatches(deps)).length;
      const scoreablePending = await countScoreablePending(deps);
      const run = batches + scoreablePending > 0 ? await startStreamRun(deps, tick) : undefined;
      last = tick;
      return { tick, batches, scoreablePending, run };
    },
  };
}

/** Windows held back for want of a model whose series has one now. */
async function countScoreablePending(deps: StreamDeps): Promise<number> {
  const hasModel = new Map<string, boolean>();
  let count = 0;
  for (const blob of await pendingBlobs(deps)) {
    for (const line of (await readBlobText(deps.blobs, CONTAINERS.windows, blob)).split('\n')) {
      if (line === '') continue;
      const { window } = JSON.parse(line) as RunWindow;
      const name = modelNameFor(deps.settings.modelPattern, window);
      if (!hasModel.has(name)) hasModel.set(name, (await deps.models.latest(name)) !== undefined);
      if (hasModel.get(name)) count += 1;
    }
  }
  return count;
}

/** What a reconcile tick works with; `queues` are the queues whose dead letters it sweeps. */
export type ReconcileDeps = Pick<JobDeps, 'ledger' | 'queue' | 'control' | 'log'>;

export interface ReconcileTick {
  readonly fullSweep: boolean;
  readonly nudged: number;
  /** Per queue: the dead-letter sequence number the next sweep starts from. */
  readonly deadLetterCursors: Readonly<Record<string, number>>;
}

/**
 * What keeps every job moving whatever crashed, one tick at a time: sweeps the dead-letter queue of
 * each of `queues` into the ledger (a dead shard fails and its job fans in; a dead plan or finish
 * fails its job), then nudges jobs a crash left between two steps (reconcileJobs). Messages reach a
 * dead-letter queue out of sequence order (a lock expiring late, a re-drive), so besides following
 * new ones from a cursor, every FULL_SWEEP_EVERY-th tick sweeps each whole again. A queue whose
 * dead letters may not be read (a PermanentError) is skipped with a warning. Idempotent: ticks may
 * overlap or repeat. The cursors live in the returned object: keep one per process.
 */
export function reconciler(times: ReconcileTimes): {
  tick(deps: ReconcileDeps, queues: readonly WorkQueue[], nowMs?: number): Promise<ReconcileTick>;
} {
  const cursors = new Map<string, number>();
  let ticks = 0;
  return {
    async tick(deps, queues, nowMs = Date.now()) {
      const fullSweep = ticks++ % FULL_SWEEP_EVERY === 0;
      for (const queue of queues) {
        try {
          const from = fullSweep ? 0 : (cursors.get(queue.name) ?? 0);
          cursors.set(queue.name, await sweepDeadLetters({ ...deps, queue }, from));
        } catch (error) {
          if (!(error instanceof PermanentError)) throw error;
          deps.log.warn("cannot sweep this queue's dead letters", {
            queue: queue.name,
            error: ensureError(error).message,
          });
        }
      }
      const nudged = await reconcileJobs(deps, times, nowMs);
      return { fullSweep, nudged, deadLetterCursors: Object.fromEntries(cursors) };
    },
  };
}
