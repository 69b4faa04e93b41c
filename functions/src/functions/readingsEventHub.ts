import { app, type InvocationContext } from '@azure/functions';
import { InputError, PermanentError } from '../../../src/core/errors.js';
import type { EventLog, EventRecord } from '../../../src/ports/eventLog.js';
import {
  aggregateStep,
  restorePartition,
  type AggregateDeps,
} from '../../../src/usecases/stream/aggregatePartition.js';
import { contextFor } from '../context.js';
import { tracedHandler } from '../tracedHandler.js';

/**
 * A batch of reading events from one partition (Event Hubs trigger, cardinality many): validate,
 * window and commit them with the stream aggregator, exactly as the embedded runtime's loop does.
 *
 * The host delivers the events, so instead of the aggregator reading the log, `aggregateDelivered`
 * claims the partition and restores its aggregator from Tessera's own checkpoint (restorePartition),
 * then runs aggregateStep over a view of the log that serves the delivered events; aggregateStep
 * commits the snapshot, the checkpoint under the claim, then the window batch, as always. An
 * invocation still running for this partition on another instance (the host rebalanced) is fenced
 * by the claim: its commit fails and its batch is retried, from the new checkpoint. Events at or before Tessera's
 * checkpoint (the host redelivers after a failure or a rebalance) are skipped: nothing is counted
 * twice. Events the host skipped (it checkpoints past a batch whose retries ran out) are read from
 * the event log itself before the delivered ones: nothing is lost while the hub retains them.
 * A throw hands the batch to the retry policy; invalid events never throw (they are dead-lettered).
 */
async function readingsEventHubHandler(messages: unknown, invocation: InvocationContext): Promise<void> {
  const ctx = await contextFor(invocation);
  if (!ctx.stream)
    throw new PermanentError('the sensor stream is not configured: the Functions context opened no event log');
  const records = deliveredRecords(messages, invocation.triggerMetadata ?? {});
  if (records.length === 0) return;
  const result = await aggregateDelivered(ctx.stream.aggregate, records);
  ctx.log.info('readings aggregated', { partition: records[0]!.partition, delivered: records.length, ...result });
}

/** The handler as registered: the invocation in its own span (tracedHandler.ts). */
export const readingsEventHub = tracedHandler('pubsub', 'readingsEventHub', readingsEventHubHandler);

/** Restores the partition, processes the delivered records after its checkpoint, commits. */
export async function aggregateDelivered(
  deps: AggregateDeps,
  records: readonly EventRecord[],
): Promise<{ skipped: number; fromLog: number; next: number }> {
  const partition = records[0]!.partition;
  const owned = await restorePartition(deps, partition);
  const start = owned.next;
  const fresh = records.filter((r) => r.sequenceNumber >= start);
  const last = records[records.length - 1]!.sequenceNumber;
  let next = start;
  let fromLog = 0;
  const events = deliveredView(deps.events, fresh, () => (fromLog += 1));
  while (next <= last) {
    const after = await aggregateStep({ ...deps, events }, owned, next);
    if (after === next)
      throw new PermanentError(`partition ${partition}: no event at sequence number ${next} in the batch or the log`);
    next = after;
  }
  return { skipped: records.length - fresh.length, fromLog, next };
}

/** The log as aggregateStep reads it: the delivered events, preceded by any gap read from the log itself. */
function deliveredView(log: EventLog, delivered: readonly EventRecord[], countFromLog: () => void): EventLog {
  const first = delivered[0]?.sequenceNumber ?? Number.POSITIVE_INFINITY;
  return {
    name: log.name,
    partitions: log.partitions,
    append: (key, events) => log.append(key, events),
    async read(partition, from, max) {
      if (from < first) {
        const gap = (await log.read(partition, from, Math.min(max, first - from))).filter(
          (r) => r.sequenceNumber < first,
        );
        gap.forEach(countFromLog);
        if (gap.length > 0) return gap;
      }
      return delivered.filter((r) => r.sequenceNumber >= from).slice(0, max);
    },
    lastSequenceNumber: (partition) => log.lastSequenceNumber(partition),
    getCheckpoint: (group, partition) => log.getCheckpoint(group, partition),
    setCheckpoint: (checkpoint, lease) => log.setCheckpoint(checkpoint, lease),
    claimPartition: (group, partition, ownerId) => log.claimPartition(group, partition, ownerId),
    close: () => Promise.resolve(),
  };
}

type Metadata = Record<string, unknown>;

/**
 * The trigger's batch as EventRecords. The worker hands over bodies parsed (JSON), as strings or
 * as bytes, and the metadata camel-cased: `partitionContext.partitionId` and one array per field
 * (`sequenceNumberArray`, `offsetArray`, `enqueuedTimeUtcArray`, `partitionKeyArray`, `propertiesArray`).
 */
export function deliveredRecords(messages: unknown, metadata: Metadata): EventRecord[] {
  const bodies = Array.isArray(messages) ? messages : [messages];
  const partitionId = (metadata['partitionContext'] as Metadata | undefined)?.['partitionId'];
  const partition = Number(partitionId);
  if (!Number.isInteger(partition) || partition < 0)
    throw new InputError(
      'trigger metadata partitionContext.partitionId',
      `must be a partition number, got ${String(partitionId)}`,
    );
  const field = (name: string): unknown[] => {
    const value = metadata[name];
    if (!Array.isArray(value) || value.length !== bodies.length)
      throw new InputError(`trigger metadata ${name}`, `must hold one entry per event (${bodies.length})`);
    return value;
  };
  const sequenceNumbers = field('sequenceNumberArray');
  const offsets = field('offsetArray');
  const times = field('enqueuedTimeUtcArray');
  const keys = Array.isArray(metadata['partitionKeyArray']) ? metadata['partitionKeyArray'] : [];
  const properties = Array.isArray(metadata['propertiesArray']) ? metadata['propertiesArray'] : [];
  return bodies
    .map((body, i) => ({
      partition,
      sequenceNumber: Number(sequenceNumbers[i]),
      offset: String(offsets[i]),
      enqueuedTime: new Date(String(times[i])),
      partitionKey: typeof keys[i] === 'string' ? keys[i] : undefined,
      body: bodyText(body),
      properties: scalars(properties[i]),
    }))
    .sort((a, b) => a.sequenceNumber - b.sequenceNumber);
}

function bodyText(body: unknown): string {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8');
  return JSON.stringify(body) ?? '';
}

function scalars(value: unknown): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries((value ?? {}) as Record<string, unknown>)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
  }
  return out;
}

// Identity-based connection (TESSERA_EVENTHUBS__fullyQualifiedNamespace, __credential, __clientId).
// The consumer group is the aggregator's own (TESSERA_STREAM_CONSUMER_GROUP defaults to it), so the
// host's position and Tessera's checkpoints follow the same readers. The retry policy reruns a failed
// batch (storage or checkpoint trouble) with backoff before the host moves past it; a batch it moves
// past is still read from the log by the next invocation (aggregateDelivered).
app.eventHub('readingsEventHub', {
  eventHubName: '%TESSERA_EVENTHUB_NAME%',
  consumerGroup: 'aggregator',
  connection: 'TESSERA_EVENTHUBS',
  cardinality: 'many',
  retry: { strategy: 'exponentialBackoff', maxRetryCount: 5, minimumInterval: 1000, maximumInterval: 60000 },
  handler: readingsEventHub,
});
