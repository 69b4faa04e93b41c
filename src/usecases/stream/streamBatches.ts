import { CONTAINERS } from '../../core/jobNaming.js';
import { ensureCommittedBatch } from './aggregatePartition.js';
import type { StreamDeps } from './deps.js';

/** Marker of a window batch whose windows a successful run scored. */
export const SCORED_PREFIX = '_scored/';
/** Windows a successful run could not score because their series had no model: kept for a later run. */
export const PENDING_PREFIX = '_pending/';

const BATCH = /\/p(\d+)-(\d+)-(\d+)\.jsonl$/;

/**
 * Window batches not yet scored by a successful run, in name order (date, hour, partition,
 * sequence). Only batches the aggregator has committed (their last event is at or before its
 * checkpoint) count: a batch written by a step that crashed before its checkpoint is undone on
 * restart, and must never be scored. The batch of each partition's last committed step is written
 * first when it is missing (the aggregator writes it just after its checkpoint, and may not have yet).
 */
export async function unscoredBatches(deps: Pick<StreamDeps, 'blobs' | 'events' | 'consumerGroup'>): Promise<string[]> {
  const committed = new Map<number, number>();
  for (let partition = 0; partition < deps.events.partitions; partition++) {
    const at = (await deps.events.getCheckpoint(deps.consumerGroup, partition))?.sequenceNumber ?? -1;
    committed.set(partition, at);
    await ensureCommittedBatch(deps, partition, at);
  }
  const scored = new Set<string>();
  for await (const b of deps.blobs.list(CONTAINERS.windows, SCORED_PREFIX))
    scored.add(b.name.slice(SCORED_PREFIX.length));
  const out: string[] = [];
  for await (const b of deps.blobs.list(CONTAINERS.windows, 'date=')) {
    if (scored.has(b.name)) continue;
    const m = BATCH.exec(b.name);
    if (!m) continue;
    if (Number(m[3]) <= (committed.get(Number(m[1])) ?? -1)) out.push(b.name);
  }
  return out;
}

/** The pending-window blobs (`_pending/<run>.jsonl`), oldest run first. */
export async function pendingBlobs(deps: Pick<StreamDeps, 'blobs'>): Promise<string[]> {
  const out: string[] = [];
  for await (const b of deps.blobs.list(CONTAINERS.windows, PENDING_PREFIX)) out.push(b.name);
  return out;
}

/** The blob holding the windows a run left pending. */
export function pendingBlob(jobId: string): string {
  return `${PENDING_PREFIX}${jobId}.jsonl`;
}
