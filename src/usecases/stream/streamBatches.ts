import { CONTAINERS } from '../../core/jobNaming.js';
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
 * restart, and must never be scored.
 */
export async function unscoredBatches(deps: Pick<StreamDeps, 'blobs' | 'events' | 'consumerGroup'>): Promise<string[]> {
  const scored = new Set<string>();
  for await (const b of deps.blobs.list(CONTAINERS.windows, SCORED_PREFIX))
    scored.add(b.name.slice(SCORED_PREFIX.length));
  const committed = new Map<number, number>();
  const out: string[] = [];
  for await (const b of deps.blobs.list(CONTAINERS.windows, 'date=')) {
    if (scored.has(b.name)) continue;
    const m = BATCH.exec(b.name);
    if (!m) continue;
    const partition = Number(m[1]);
    if (!committed.has(partition))
      committed.set(partition, (await deps.events.getCheckpoint(deps.consumerGroup, partition))?.sequenceNumber ?? -1);
    if (Number(m[3]) <= (committed.get(partition) ?? -1)) out.push(b.name);
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
