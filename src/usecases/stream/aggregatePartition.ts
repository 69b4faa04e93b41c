import { CONTAINERS } from '../../core/jobNaming.js';
import { PartitionAggregator } from '../../core/stream/aggregator.js';
import type {
  AggregatorOptions,
  AggregatorSnapshot,
  AggregatorSnapshotV1,
  EmittedWindow,
  StreamReject,
} from '../../core/stream/aggregatorTypes.js';
import { decodeReadings, type DecodeLimits, type ReadingReject } from '../../core/stream/readingSchema.js';
import { encodeWindowBatch, windowBatchName, type StoredWindow } from '../../core/windowStore.js';
import type { BlobStore } from '../../ports/blobStore.js';
import type { EventLog, EventRecord } from '../../ports/eventLog.js';
import type { Logger } from '../../ports/logger.js';
import type { Telemetry, TelemetrySpan } from '../../ports/telemetry.js';
import { telemetryOf } from '../jobDeps.js';
import { readBlobText } from '../readBlobText.js';

export interface AggregateDeps {
  readonly events: EventLog;
  readonly blobs: BlobStore;
  readonly log: Logger;
  readonly consumerGroup: string;
  readonly aggregator: Omit<AggregatorOptions, 'partition'>;
  readonly limits: Omit<DecodeLimits, 'nowMs'>;
  /** Events read and committed per step. */
  readonly batchSize: number;
  readonly waitMs: number;
  readonly now?: () => number;
  /** Spans per step and the events counter; none when absent. */
  readonly telemetry?: Telemetry;
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

export function stateBlob(group: string, partition: number, sequenceNumber: number): string {
  return `_state/${group}/p${pad(partition, 4)}/${pad(sequenceNumber, 12)}.json`;
}

export function deadLetterEventBlob(partition: number, sequenceNumber: number): string {
  return `_deadletter/p${pad(partition, 4)}/${pad(sequenceNumber, 12)}.json`;
}

/** A dead-lettered event: what was wrong, and where it sat in its partition. */
export interface DeadLetteredEvent {
  readonly partition: number;
  readonly sequenceNumber: number;
  readonly offset: string;
  readonly enqueuedTime: string;
  readonly partitionKey: string | null;
  readonly rejects: readonly ReadingReject[];
  /** The raw body (cut at 64 KiB; `size` says how large it was). */
  readonly body: string;
  readonly size: number;
}

/** What a step committed, with the snapshot and the batch it wrote (so a restart can undo an uncommitted step). */
interface StepState {
  /** Version 1 in what was written before watermarks were per device: restore migrates it. */
  readonly snapshot: AggregatorSnapshot | AggregatorSnapshotV1;
  readonly batch: string | null;
}

function toStored(w: EmittedWindow): StoredWindow {
  return {
    device: w.device,
    tag: w.tag,
    start: w.start,
    end: w.end,
    count: w.count,
    mean: w.mean,
    std: w.std,
    min: w.min,
    max: w.max,
    revision: w.revision,
    partition: w.partition,
    firstSequenceNumber: w.firstSequenceNumber,
    lastSequenceNumber: w.lastSequenceNumber,
    watermark: w.watermark,
  };
}

/**
 * Restores a partition's aggregator from its checkpoint: the snapshot written with that checkpoint,
 * after undoing any step written past it (its window batch and snapshot are deleted; the events
 * are read again and produce them again, exactly).
 */
export async function restorePartition(
  deps: AggregateDeps,
  partition: number,
): Promise<{ aggregator: PartitionAggregator; next: number }> {
  const checkpoint = await deps.events.getCheckpoint(deps.consumerGroup, partition);
  const committed = checkpoint?.sequenceNumber ?? -1;
  const prefix = stateBlob(deps.consumerGroup, partition, 0).replace(/[^/]+$/, '');
  for await (const b of deps.blobs.list(CONTAINERS.windows, prefix)) {
    const seq = Number(b.name.slice(prefix.length, -'.json'.length));
    if (seq <= committed) {
      if (seq < committed) await deps.blobs.delete(CONTAINERS.windows, b.name).catch(() => undefined); // superseded
      continue;
    }
    const step = JSON.parse(await readBlobText(deps.blobs, CONTAINERS.windows, b.name)) as StepState;
    if (step.batch) await deps.blobs.delete(CONTAINERS.windows, step.batch).catch(() => undefined);
    await deps.blobs.delete(CONTAINERS.windows, b.name);
    deps.log.warn('undid an uncommitted aggregation step', {
      partition,
      sequenceNumber: seq,
      batch: step.batch ?? undefined,
    });
  }
  const options: AggregatorOptions = { ...deps.aggregator, partition };
  if (committed < 0) return { aggregator: new PartitionAggregator(options), next: 0 };
  const step = JSON.parse(
    await readBlobText(deps.blobs, CONTAINERS.windows, stateBlob(deps.consumerGroup, partition, committed)),
  ) as StepState;
  return { aggregator: PartitionAggregator.restore(step.snapshot, options), next: committed + 1 };
}

/**
 * One step of a partition's aggregation: reads up to `batchSize` events from `next`, validates them
 * (invalid ones go to the dead-letter store with their partition and sequence number, never
 * blocking the partition), feeds the aggregator, and commits: the emitted windows as one batch
 * blob (by date and hour of the watermark), the snapshot, then the checkpoint. Returns the next
 * sequence number, or `next` when there was nothing to read.
 */
export async function aggregateStep(
  deps: AggregateDeps,
  partition: number,
  aggregator: PartitionAggregator,
  next: number,
  signal?: AbortSignal,
): Promise<number> {
  const records: EventRecord[] = await deps.events.read(partition, next, deps.batchSize, {
    waitMs: deps.waitMs,
    signal,
  });
  if (records.length === 0) return next;
  // A span per step that read something (an idle partition's empty reads are not traced).
  return telemetryOf(deps).inSpan(
    'aggregate step',
    {
      'tessera.partition': partition,
      'tessera.events': records.length,
      'tessera.sequence.first': records[0]!.sequenceNumber,
    },
    (span) => commitStep(deps, partition, aggregator, next, records, span),
  );
}

async function commitStep(
  deps: AggregateDeps,
  partition: number,
  aggregator: PartitionAggregator,
  next: number,
  records: EventRecord[],
  span: TelemetrySpan,
): Promise<number> {
  const nowMs = (deps.now ?? Date.now)();
  let invalid = 0;
  const late: StreamReject[] = [];
  for (const r of records) {
    const decoded = decodeReadings(r.body, { ...deps.limits, nowMs });
    late.length = 0;
    aggregator.process(r, decoded.readings, late);
    const rejects = late.length === 0 ? decoded.rejects : withLate(decoded.rejects, late);
    if (rejects.length > 0) {
      invalid += 1;
      const dead: DeadLetteredEvent = {
        partition,
        sequenceNumber: r.sequenceNumber,
        offset: r.offset,
        enqueuedTime: r.enqueuedTime.toISOString(),
        partitionKey: r.partitionKey ?? null,
        rejects,
        body: r.body.slice(0, 65_536),
        size: Buffer.byteLength(r.body),
      };
      await deps.blobs.put(CONTAINERS.windows, deadLetterEventBlob(partition, r.sequenceNumber), JSON.stringify(dead), {
        contentType: 'application/json',
      });
    }
  }
  const first = records[0]!;
  const last = records[records.length - 1]!;
  const emitted = aggregator.drainEmitted().map(toStored);
  const batch =
    emitted.length === 0
      ? null
      : windowBatchName(emitted[emitted.length - 1]!.watermark, partition, first.sequenceNumber, last.sequenceNumber);
  const step: StepState = { snapshot: aggregator.snapshot(), batch };
  await deps.blobs.put(
    CONTAINERS.windows,
    stateBlob(deps.consumerGroup, partition, last.sequenceNumber),
    JSON.stringify(step),
    { contentType: 'application/json' },
  );
  if (batch)
    await deps.blobs.put(CONTAINERS.windows, batch, encodeWindowBatch(emitted), {
      contentType: 'application/x-ndjson',
    });
  await deps.events.setCheckpoint({
    consumerGroup: deps.consumerGroup,
    partition,
    sequenceNumber: last.sequenceNumber,
    offset: last.offset,
  });
  // The previous step's snapshot is superseded now that this one is committed.
  if (next > 0)
    await deps.blobs
      .delete(CONTAINERS.windows, stateBlob(deps.consumerGroup, partition, next - 1))
      .catch(() => undefined);
  span.setAttributes({ 'tessera.events.dead_lettered': invalid, 'tessera.windows.emitted': emitted.length });
  telemetryOf(deps).count('events', records.length - invalid, { partition, outcome: 'accepted' });
  if (invalid > 0) telemetryOf(deps).count('events', invalid, { partition, outcome: 'dead_lettered' });
  return last.sequenceNumber + 1;
}

/**
 * The decoder's rejects and the aggregator's (too late), each with its index in the message: the
 * aggregator counts among the readings the decoder kept, which skip the indexes it rejected.
 */
function withLate(decoded: readonly ReadingReject[], late: readonly StreamReject[]): ReadingReject[] {
  const skipped = new Set(decoded.map((r) => r.index));
  const out: ReadingReject[] = [...decoded];
  let index = -1;
  let kept = -1;
  for (const reject of late) {
    while (kept < reject.index) if (!skipped.has(++index)) kept += 1;
    out.push({ ...reject, index });
  }
  return out;
}

/** Aggregates one partition until `signal` aborts. */
export async function runPartition(deps: AggregateDeps, partition: number, signal: AbortSignal): Promise<void> {
  const restored = await restorePartition(deps, partition);
  let next = restored.next;
  while (!signal.aborted) next = await aggregateStep(deps, partition, restored.aggregator, next, signal);
}
