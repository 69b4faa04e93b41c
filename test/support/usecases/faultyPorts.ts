import type {
  JobLedger,
  JobPatch,
  JobRecord,
  NewShard,
  ShardPatch,
  ShardRecord,
} from '../../../src/ports/jobLedger.js';
import { forwardingQueue, type OutgoingMessage, type WorkQueue } from '../../../src/ports/workQueue.js';

/** Thrown by a fault-injecting wrapper: stands for a process dying at that point. */
export class InjectedCrash extends Error {
  constructor(where: string) {
    super(`injected crash: ${where}`);
    this.name = 'InjectedCrash';
  }
}

/**
 * A real WorkQueue, recording every `send` call (before duplicate detection) and able to crash
 * one send part-way: `crashSend(nth, forwardFirst)` makes the nth later send forward its first
 * `forwardFirst` messages to the real queue, then throw, as a process killed mid-send would.
 */
export interface RecordingQueue extends WorkQueue {
  /** Every message passed to `send`, in call order, whether or not the queue kept it. */
  readonly sent: OutgoingMessage[];
  crashSend(nth: number, forwardFirst: number): void;
}

export function recordingQueue(inner: WorkQueue): RecordingQueue {
  const sent: OutgoingMessage[] = [];
  let crash: { countdown: number; forwardFirst: number } | undefined;
  return {
    ...forwardingQueue(inner),
    sent,
    crashSend(nth, forwardFirst) {
      crash = { countdown: nth, forwardFirst };
    },
    async send(messages) {
      if (crash && --crash.countdown === 0) {
        const forward = messages.slice(0, crash.forwardFirst);
        crash = undefined;
        sent.push(...forward);
        await inner.send(forward);
        throw new InjectedCrash(`send (after ${forward.length} of ${messages.length} messages)`);
      }
      sent.push(...messages);
      return inner.send(messages);
    },
  };
}

/** Hooks around a real ledger's writes and counts; a hook may throw (a crash) or wait (a race). */
export interface LedgerHooks {
  /** Before a job update: throwing here is a crash before the write. */
  beforeUpdateJob?(jobId: string, patch: JobPatch): Promise<void> | void;
  /** After a job update committed: throwing here is a crash right after the write. */
  afterUpdateJob?(updated: JobRecord, patch: JobPatch): Promise<void> | void;
  /** Before shards are recorded: throwing here is a crash before the write. */
  beforeAddShards?(jobId: string, shards: readonly NewShard[]): Promise<void> | void;
  /** After `countShards` read its answer, before the caller sees it. */
  afterCountShards?(jobId: string): Promise<void> | void;
  afterUpdateShard?(updated: ShardRecord, patch: ShardPatch): Promise<void> | void;
  /** After `getShard` read its answer, before the caller sees it (the caller may then act on a stale read). */
  afterGetShard?(shard: ShardRecord | undefined): Promise<void> | void;
  /** After `listShards` read its answer, before the caller sees it. */
  afterListShards?(jobId: string): Promise<void> | void;
}

export function hookedLedger(inner: JobLedger, hooks: LedgerHooks): JobLedger {
  return {
    createJob: (j) => inner.createJob(j),
    getJob: (id) => inner.getJob(id),
    async updateJob(jobId, patch, etag) {
      await hooks.beforeUpdateJob?.(jobId, patch);
      const updated = await inner.updateJob(jobId, patch, etag);
      await hooks.afterUpdateJob?.(updated, patch);
      return updated;
    },
    listJobs: (q) => inner.listJobs(q),
    async addShards(jobId, shards) {
      await hooks.beforeAddShards?.(jobId, shards);
      return inner.addShards(jobId, shards);
    },
    async getShard(jobId, shardId) {
      const shard = await inner.getShard(jobId, shardId);
      await hooks.afterGetShard?.(shard);
      return shard;
    },
    async updateShard(jobId, shardId, patch, etag) {
      const updated = await inner.updateShard(jobId, shardId, patch, etag);
      await hooks.afterUpdateShard?.(updated, patch);
      return updated;
    },
    async listShards(jobId, query) {
      const shards = await inner.listShards(jobId, query);
      await hooks.afterListShards?.(jobId);
      return shards;
    },
    async countShards(jobId) {
      const counts = await inner.countShards(jobId);
      await hooks.afterCountShards?.(jobId);
      return counts;
    },
    close: () => inner.close(),
  };
}

/** A gate that parties wait on until `open` is called; `arrived` resolves when `n` are waiting. */
export function createGate(n = 1): { wait(): Promise<void>; open(): void; readonly arrived: Promise<void> } {
  let release!: () => void;
  let allArrived!: () => void;
  const opened = new Promise<void>((r) => (release = r));
  const arrived = new Promise<void>((r) => (allArrived = r));
  let count = 0;
  return {
    wait() {
      if (++count === n) allArrived();
      return opened;
    },
    open: () => release(),
    arrived,
  };
}

/** A barrier: each of `n` parties waits until all `n` have arrived (later arrivals pass at once). */
export function createBarrier(n: number): () => Promise<void> {
  const gate = createGate(n);
  void gate.arrived.then(() => gate.open());
  return () => gate.wait();
}
