import { NotFoundError } from '../../core/errors.js';
import { CONTAINERS } from '../../core/jobNaming.js';
import { PartitionAggregator } from '../../core/stream/aggregator.js';
import type {
  AggregatorOptions,
  AggregatorSnapshot,
  AggregatorSnapshotV1,
  EmittedWindow,
} from '../../core/stream/aggregatorTypes.js';
import { aggregateRecords } from '../../core/stream/aggregateRecords.js';
import type { DecodeLimits, ReadingReject } from '../../core/stream/readingSchema.js';
import { encodeWindowBatch, windowBatchName, type StoredWindow } from '../../core/windowStore.js';
import type { BlobStore } from '../../ports/blobStore.js';
import type { EventLog, EventRecord, PartitionLease } from '../../ports/eventLog.js';
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
  /** Names this consumer in its partition claims (default: its process id). */
  readonly ownerId?: string;
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** The state of the step ending at `sequenceNumber`, written by the owner of `epoch`. */
export function stateBlob(group: string, partition: number, sequenceNumber: number, epoch: number): string {
  return `_state/${group}/p${pad(partition, 4)}/${pad(sequenceNumber, 12)}-e${epoch}.json`;
}

/** Sequence number and epoch of a state blob's name (no epoch: written before epochs, 0). */
const STATE_NAME = /^(\d+)(?:-e(\d+))?\.json$/;

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

/**
 * What a step commits: the snapshot, and the batch it emits with its windows. The state is written
 * before the checkpoint and the batch after it, so only a committed step's windows are ever written
 * (a restart writes a committed step's batch again if it is missing). Without `windows` the state
 * is from before that order, when the batch was written first.
 */
interface StepState {
  /** Version 1 in what was written before watermarks were per device: restore migrates it. */
  readonly snapshot: AggregatorSnapshot | AggregatorSnapshotV1;
  readonly batch: string | null;
  readonly windows?: readonly StoredWindow[];
}

/** A partition this consumer owns: its aggregator, its lease, and the state blob of its last commit. */
export interface OwnedPartition {
  readonly aggregator: PartitionAggregator;
  readonly lease: PartitionLease;
  committedState: string | undefined;
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
 * Claims a partition (a new epoch: from now on no earlier owner can commit) and restores its
 * aggregator from the checkpoint: the snapshot committed with it, after removing the state of
 * steps not committed (older owners' and crashed ones'; their events are read again and produce
 * the same windows). A committed step whose batch never got written (a crash right after the
 * checkpoint) has it written now.
 */
export async function restorePartition(
  deps: AggregateDeps,
  partition: number,
): Promise<OwnedPartition & { next: number }> {
  const lease = await deps.events.claimPartition(deps.consumerGroup, partition, deps.ownerId ?? `pid ${process.pid}`);
  const committed = (await deps.events.getCheckpoint(deps.consumerGroup, partition))?.sequenceNumber ?? -1;
  // A newer owner's state (it claimed after this one) is left alone: this owner will be fenced.
  const states = (await listStates(deps, partition)).filter((x) => x.epoch < lease.epoch);
  const kept = committedState(states, committed);
  for (const x of states) {
    if (x === kept) continue;
    if (x.seq > committed) await undoStep(deps, partition, x.name);
    else await deps.blobs.delete(CONTAINERS.windows, x.name).catch(() => undefined); // superseded or never committed
  }
  const options: AggregatorOptions = { ...deps.aggregator, partition };
  if (committed < 0) return { aggregator: new PartitionAggregator(options), lease, committedState: undefined, next: 0 };
  if (!kept) throw new Error(`partition ${partition}: no state blob for its checkpoint at ${committed}`);
  const step = JSON.parse(await readBlobText(deps.blobs, CONTAINERS.windows, kept.name)) as StepState;
  await ensureBatchOf(deps, step);
  return {
    aggregator: PartitionAggregator.restore(step.snapshot, options),
    lease,
    committedState: kept.name,
    next: committed + 1,
  };
}

/** Removes an uncommitted step's state (and, for a state from before epochs, the batch it wrote first). */
async function undoStep(deps: AggregateDeps, partition: number, name: string): Promise<void> {
  const step = JSON.parse(await readBlobText(deps.blobs, CONTAINERS.windows, name)) as StepState;
  if (step.batch && !step.windows) await deps.blobs.delete(CONTAINERS.windows, step.batch).catch(() => undefined);
  await deps.blobs.delete(CONTAINERS.windows, name).catch(() => undefined);
  deps.log.warn('undid an uncommitted aggregation step', { partition, state: name, batch: step.batch ?? undefined });
}

/**
 * Writes the window batch of a partition's committed step when it is missing. A step commits its
 * checkpoint before it writes its batch, so whoever reads batches up to the checkpoint (a stream
 * run) may find the last one not yet written: the aggregator is between the two, or died there and
 * has not restarted. The committed state holds the windows, and the same bytes the aggregator would
 * write are written, so it does not matter which of the two writes them, or whether both do.
 */
export async function ensureCommittedBatch(
  deps: Pick<AggregateDeps, 'blobs' | 'consumerGroup'>,
  partition: number,
  committed: number,
): Promise<void> {
  if (committed < 0) return;
  const kept = committedState(await listStates(deps, partition, committed), committed);
  if (!kept) return;
  const text = await readBlobText(deps.blobs, CONTAINERS.windows, kept.name).catch((error: unknown) => {
    // Gone since it was listed: a newer step committed, and it goes only once its own batch is written.
    if (error instanceof NotFoundError) return undefined;
    throw error;
  });
  if (text !== undefined) await ensureBatchOf(deps, JSON.parse(text) as StepState);
}

interface StateName {
  readonly name: string;
  readonly seq: number;
  readonly epoch: number;
}

/** The state blobs of a partition (of one sequence number, when given) with their step's last sequence number and owner's epoch. */
async function listStates(
  deps: Pick<AggregateDeps, 'blobs' | 'consumerGroup'>,
  partition: number,
  sequenceNumber?: number,
): Promise<StateName[]> {
  const dir = stateBlob(deps.consumerGroup, partition, 0, 0).replace(/[^/]+$/, '');
  const prefix = sequenceNumber === undefined ? dir : `${dir}${pad(sequenceNumber, 12)}`;
  const states: StateName[] = [];
  for await (const b of deps.blobs.list(CONTAINERS.windows, prefix)) {
    const m = STATE_NAME.exec(b.name.slice(dir.length));
    if (m) states.push({ name: b.name, seq: Number(m[1]), epoch: Number(m[2] ?? 0) });
  }
  return states;
}

/** The committed step's state: a later claim was made after its commit, so its epoch is the highest at that sequence number. */
function committedState(states: readonly StateName[], committed: number): StateName | undefined {
  return states.filter((x) => x.seq === committed).sort((a, b) => b.epoch - a.epoch)[0];
}

/** Writes a committed step's window batch when it is not there (its windows are in the step's state). */
async function ensureBatchOf(deps: Pick<AggregateDeps, 'blobs'>, step: StepState): Promise<void> {
  if (step.batch && step.windows && !(await deps.blobs.head(CONTAINERS.windows, step.batch)))
    await putBatch(deps, step.batch, step.windows);
}

function putBatch(deps: Pick<AggregateDeps, 'blobs'>, batch: string, windows: readonly StoredWindow[]) {
  return deps.blobs.put(CONTAINERS.windows, batch, encodeWindowBatch(windows), {
    contentType: 'application/x-ndjson',
  });
}

/**
 * One step of a partition's aggregation: reads up to `batchSize` events from `next`, validates them
 * (invalid ones go to the dead-letter store with their partition and sequence number, never
 * blocking the partition), feeds the aggregator, and commits: the snapshot and the emitted windows
 * as the step's state, the checkpoint under the partition's lease, then the windows as one batch
 * blob (by date and hour of the watermark). Returns the next sequence number, or `next` when there
 * was nothing to read; OwnershipLostError when a newer owner has claimed the partition.
 */
export async function aggregateStep(
  deps: AggregateDeps,
  owned: OwnedPartition,
  next: number,
  signal?: AbortSignal,
): Promise<number> {
  const { partition } = owned.lease;
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
    (span) => commitStep(deps, owned, records, span),
  );
}

async function commitStep(
  deps: AggregateDeps,
  owned: OwnedPartition,
  records: EventRecord[],
  span: TelemetrySpan,
): Promise<number> {
  const { aggregator, lease } = owned;
  const { partition } = lease;
  const nowMs = (deps.now ?? Date.now)();
  const rejected = aggregateRecords(aggregator, records, { ...deps.limits, nowMs });
  for (const { record: r, rejects } of rejected) {
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
  const invalid = rejected.length;
  const first = records[0]!;
  const last = records[records.length - 1]!;
  const emitted = aggregator.drainEmitted().map(toStored);
  const batch =
    emitted.length === 0
      ? null
      : windowBatchName(emitted[emitted.length - 1]!.watermark, partition, first.sequenceNumber, last.sequenceNumber);
  const step: StepState = { snapshot: aggregator.snapshot(), batch, ...(batch ? { windows: emitted } : {}) };
  const state = stateBlob(deps.consumerGroup, partition, last.sequenceNumber, lease.epoch);
  await deps.blobs.put(CONTAINERS.windows, state, JSON.stringify(step), { contentType: 'application/json' });
  // The commit: fenced, so an owner a newer claim has replaced stops here and writes no windows.
  const checkpoint = { consumerGroup: deps.consumerGroup, partition, sequenceNumber: last.sequenceNumber };
  await deps.events.setCheckpoint({ ...checkpoint, offset: last.offset }, lease);
  if (batch) await putBatch(deps, batch, emitted);
  // The previous step's snapshot is superseded now that this one is committed.
  const previous = owned.committedState;
  owned.committedState = state;
  if (previous) await deps.blobs.delete(CONTAINERS.windows, previous).catch(() => undefined);
  span.setAttributes({ 'tessera.events.dead_lettered': invalid, 'tessera.windows.emitted': emitted.length });
  telemetryOf(deps).count('events', records.length - invalid, { partition, outcome: 'accepted' });
  if (invalid > 0) telemetryOf(deps).count('events', invalid, { partition, outcome: 'dead_lettered' });
  return last.sequenceNumber + 1;
}

/** Aggregates one partition until `signal` aborts. */
export async function runPartition(deps: AggregateDeps, partition: number, signal: AbortSignal): Promise<void> {
  const owned = await restorePartition(deps, partition);
  let next = owned.next;
  while (!signal.aborted) next = await aggregateStep(deps, owned, next, signal);
}
