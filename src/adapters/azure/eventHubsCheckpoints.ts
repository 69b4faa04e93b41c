/**
 * Event Hubs checkpoints in Blob Storage, in @azure/eventhubs-checkpointstore-blob's layout (one
 * empty blob per partition, `<namespace>/<hub>/<group>/checkpoint/<partition>`, lower-cased, with
 * metadata `sequencenumber` and `offset`), so the SDK's own EventHubConsumerClient with a
 * BlobCheckpointStore over the same container starts where Tessera's consumers left off.
 *
 * - Reads go through the store's `listCheckpoints`.
 * - Writes do not use the store's `updateCheckpoint`: it sets the metadata unconditionally (last
 *   writer wins), so a slow consumer could move a checkpoint back. `advance` is a compare-and-set on
 *   the blob's ETag instead: read the current checkpoint, return if it is at or ahead of the new one,
 *   else write with `If-Match` (or `If-None-Match: *` for the first), and start over when another
 *   writer got there first. No window remains in which a checkpoint can move backwards.
 * - Consumer groups are case-insensitive, as in Event Hubs (the store lower-cases the path).
 */
import { BlobCheckpointStore } from '@azure/eventhubs-checkpointstore-blob';
import type { ContainerClient } from '@azure/storage-blob';
import { TransientError } from '../../core/errors.js';
import type { Checkpoint } from '../../ports/eventLog.js';
import { callAzure, isAzureNotFound, mapAzureError } from './azureErrors.js';

const MAX_ATTEMPTS = 64;

export interface EventHubsCheckpoints {
  get(consumerGroup: string, partition: number): Promise<Checkpoint | undefined>;
  /** Moves the checkpoint forward only; a checkpoint at or behind the stored one is ignored. */
  advance(checkpoint: Checkpoint): Promise<void>;
}

export function eventHubsCheckpoints(
  container: ContainerClient,
  fullyQualifiedNamespace: string,
  eventHubName: string,
): EventHubsCheckpoints {
  const store = new BlobCheckpointStore(container);
  // The store's own naming (its getBlobPrefix is private).
  const blobName = (consumerGroup: string, partition: number) =>
    [fullyQualifiedNamespace, eventHubName, consumerGroup].map((s) => s.toLowerCase()).join('/') +
    `/checkpoint/${partition}`;

  return {
    async get(consumerGroup, partition) {
      const all = await callAzure(`checkpoints of ${eventHubName}/${consumerGroup}`, () =>
        store.listCheckpoints(fullyQualifiedNamespace, eventHubName, consumerGroup),
      );
      const found = all.find((c) => c.partitionId === String(partition));
      return found && { consumerGroup, partition, sequenceNumber: found.sequenceNumber, offset: String(found.offset) };
    },

    async advance(checkpoint) {
      const name = blobName(checkpoint.consumerGroup, checkpoint.partition);
      const blob = container.getBlockBlobClient(name);
      const metadata = { sequencenumber: String(checkpoint.sequenceNumber), offset: checkpoint.offset };
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const current = await blob.getProperties().catch((error: unknown) => {
          if (isAzureNotFound(error)) return undefined;
          throw mapAzureError(`checkpoint ${name}`, error);
        });
        if (current && Number(current.metadata?.['sequencenumber'] ?? -1) >= checkpoint.sequenceNumber) return;
        try {
          if (current) await blob.setMetadata(metadata, { conditions: { ifMatch: current.etag } });
          else await blob.upload('', 0, { metadata, conditions: { ifNoneMatch: '*' } });
          return;
        } catch (error) {
          if (!lostRace(error)) throw mapAzureError(`checkpoint ${name}`, error);
        }
      }
      throw new TransientError(`checkpoint ${name}: still contended after ${MAX_ATTEMPTS} attempts`);
    },
  };
}

/** 412 (the ETag moved) or 409 (created meanwhile): another writer won this round. */
function lostRace(error: unknown): boolean {
  const status = (error as { statusCode?: number }).statusCode;
  return (error as Error).name === 'RestError' && (status === 412 || status === 409);
}
