import { app, type InvocationContext } from '@azure/functions';
import { InputError, PermanentError } from '../../../src/core/errors.js';
import type { EventRecord } from '../../../src/ports/eventLog.js';
import { aggregateDelivered } from '../../../src/usecases/stream/aggregateDelivered.js';
import { contextFor } from '../context.js';
import { tracedHandler } from '../tracedHandler.js';

/**
 * A batch of reading events from one partition (Event Hubs trigger, cardinality many): validate,
 * window and commit them with the stream aggregator, exactly as the embedded runtime's loop does.
 * The host delivers the events; aggregateDelivered (src/usecases/stream) restores the partition
 * from Tessera's own checkpoint, skips what it committed already, reads any gap from the log, and
 * commits. A throw hands the batch to the retry policy; invalid events never throw (they are
 * dead-lettered).
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
// The consumer group is the app setting TESSERA_EVENTHUB_CONSUMER_GROUP (infra sets `aggregator`), the
// one the Azure event log reads for Tessera's checkpoints (src/composition/azure/azureConfig.ts), so
// the host's position and Tessera's checkpoints follow the same readers and cannot name two groups. The retry policy reruns a failed
// batch (storage or checkpoint trouble) with backoff before the host moves past it; a batch it moves
// past is still read from the log by the next invocation (aggregateDelivered).
app.eventHub('readingsEventHub', {
  eventHubName: '%TESSERA_EVENTHUB_NAME%',
  consumerGroup: '%TESSERA_EVENTHUB_CONSUMER_GROUP%',
  connection: 'TESSERA_EVENTHUBS',
  cardinality: 'many',
  retry: { strategy: 'exponentialBackoff', maxRetryCount: 5, minimumInterval: 1000, maximumInterval: 60000 },
  handler: readingsEventHub,
});
