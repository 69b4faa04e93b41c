import { InputError } from '../../core/errors.js';
import { CONTAINERS } from '../../core/jobNaming.js';
import type { BlobStore } from '../../ports/blobStore.js';
import type { EventLog } from '../../ports/eventLog.js';
import { delay } from '../../lib/delay.js';
import { readBlobText } from '../readBlobText.js';
import { deadLetterEventBlob, type DeadLetteredEvent } from './aggregatePartition.js';

/** Dead-lettered stream events, oldest first per partition. */
export async function listDeadLetteredEvents(blobs: BlobStore, max = 1000): Promise<DeadLetteredEvent[]> {
  const out: DeadLetteredEvent[] = [];
  for await (const b of blobs.list(CONTAINERS.windows, '_deadletter/')) {
    out.push(JSON.parse(await readBlobText(blobs, CONTAINERS.windows, b.name)) as DeadLetteredEvent);
    if (out.length >= max) break;
  }
  return out;
}

/** Parses `P:SEQ` (partition and sequence number). */
export function parseEventRef(text: string): { partition: number; sequenceNumber: number } {
  const m = /^(\d+):(\d+)$/.exec(text);
  if (!m) throw new InputError(text, 'expected PARTITION:SEQUENCE, e.g. 2:1041');
  return { partition: Number(m[1]), sequenceNumber: Number(m[2]) };
}

/**
 * Re-drives dead-lettered events: appends each raw body again (same partition key, so the same
 * partition) and removes its record. An event whose body was cut (over 64 KiB) cannot be re-sent
 * whole and is refused with the reason.
 */
export async function redriveDeadLetteredEvents(
  blobs: BlobStore,
  events: EventLog,
  refs?: readonly { partition: number; sequenceNumber: number }[],
): Promise<{ redriven: number; refused: string[] }> {
  const all = refs ? undefined : await listDeadLetteredEvents(blobs, Number.MAX_SAFE_INTEGER);
  const targets = refs ?? all?.map((e) => ({ partition: e.partition, sequenceNumber: e.sequenceNumber })) ?? [];
  let redriven = 0;
  const refused: string[] = [];
  for (const ref of targets) {
    const name = deadLetterEventBlob(ref.partition, ref.sequenceNumber);
    const head = await blobs.head(CONTAINERS.windows, name);
    if (!head) throw new InputError(`${ref.partition}:${ref.sequenceNumber}`, 'no such dead-lettered event');
    const dead = JSON.parse(await readBlobText(blobs, CONTAINERS.windows, name)) as DeadLetteredEvent;
    if (Buffer.byteLength(dead.body) !== dead.size) {
      refused.push(
        `${ref.partition}:${ref.sequenceNumber}: its body (${dead.size} bytes) was cut when stored and cannot be re-sent`,
      );
      continue;
    }
    await events.append(dead.partitionKey ?? undefined, [{ body: dead.body }]);
    await blobs.delete(CONTAINERS.windows, name, { ifMatch: head.etag });
    redriven += 1;
  }
  return { redriven, refused };
}

/** Sequence numbers appended to one partition, first to last. */
export interface SequenceRange {
  readonly partition: number;
  readonly first: number;
  readonly last: number;
}

/**
 * What the aggregator made of events a producer just sent: waits (polling every `pollMs`, at most
 * `timeoutMs`) until the consumer group's checkpoint has passed the last of each range, then
 * returns the events in the ranges it dead-lettered. `consumed` is false when it timed out (or
 * `signal` aborted); the events dead-lettered by then are returned all the same.
 */
export async function deadLettersOfSent(
  deps: { readonly blobs: BlobStore; readonly events: EventLog; readonly consumerGroup: string },
  ranges: readonly SequenceRange[],
  options: { readonly timeoutMs: number; readonly pollMs?: number; readonly signal?: AbortSignal },
): Promise<{ consumed: boolean; deadLettered: DeadLetteredEvent[] }> {
  const deadline = Date.now() + options.timeoutMs;
  let waiting = [...ranges];
  for (;;) {
    const left: SequenceRange[] = [];
    for (const r of waiting)
      if (((await deps.events.getCheckpoint(deps.consumerGroup, r.partition))?.sequenceNumber ?? -1) < r.last)
        left.push(r);
    waiting = left;
    if (waiting.length === 0 || Date.now() >= deadline || options.signal?.aborted === true) break;
    await delay(Math.min(options.pollMs ?? 200, Math.max(0, deadline - Date.now())), options.signal);
  }
  const deadLettered: DeadLetteredEvent[] = [];
  for (const r of ranges) {
    const prefix = deadLetterEventBlob(r.partition, 0).replace(/[^/]+$/, '');
    for await (const b of deps.blobs.list(CONTAINERS.windows, prefix)) {
      const seq = Number(b.name.slice(prefix.length, -'.json'.length));
      if (seq >= r.first && seq <= r.last)
        deadLettered.push(JSON.parse(await readBlobText(deps.blobs, CONTAINERS.windows, b.name)) as DeadLetteredEvent);
    }
  }
  return { consumed: waiting.length === 0, deadLettered };
}
