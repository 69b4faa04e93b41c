/**
 * Event Hubs checkpoints and partition ownership in Blob Storage, in
 * @azure/eventhubs-checkpointstore-blob's layout (one empty blob per partition under
 * `<namespace>/<hub>/<group>/`, lower-cased: `checkpoint/<partition>` with metadata `sequencenumber`
 * and `offset`, `ownership/<partition>` with metadata `ownerid`), so the SDK's own
 * EventHubConsumerClient with a BlobCheckpointStore over the same container starts where Tessera's
 * consumers left off.
 *
 * - Every write is a compare-and-set on the blob's ETag: read the blob, decide, write with
 *   `If-Match` (or `If-None-Match: *` for the first), and start over when another writer got there
 *   first. The store's own `updateCheckpoint` sets metadata unconditionally (last writer wins), so a
 *   slow consumer could move a checkpoint back; `advance` cannot.
 * - Ownership (Event Hubs' owner level, or epoch): `claim` raises `ownerlevel` on the ownership blob
 *   and writes its owner id. A checkpoint committed under a lease is written on that same blob
 *   (`sequencenumber`, `offset`) by a compare-and-set that first checks `ownerlevel` is still the
 *   lease's: a claim in between moves the ETag, so the check and the write are one atomic step. It is
 *   then mirrored onto the checkpoint blob (forward-only) for the SDK; `get` reads both and returns the
 *   further one, so a lost mirror write hides nothing.
 * - Consumer groups are case-insensitive, as in Event Hubs (the store lower-cases the path).
 * - An SDK load balancer claiming these ownership blobs itself would reset `ownerlevel`: Tessera's
 *   consumers and the SDK's processors must not share a consumer group.
 */
import { BlobCheckpointStore } from '@azure/eventhubs-checkpointstore-blob';
import type { BlockBlobClient, ContainerClient } from '@azure/storage-blob';
import { OwnershipLostError, TransientError } from '../../core/errors.js';
import type { Checkpoint, PartitionLease } from '../../ports/eventLog.js';
import { callAzure, isAzureNotFound, mapAzureError } from './azureErrors.js';

const MAX_ATTEMPTS = 64;

export interface EventHubsCheckpoints {
  get(consumerGroup: string, partition: number): Promise<Checkpoint | undefined>;
  /** Moves the checkpoint forward only; a checkpoint at or behind the stored one is ignored. With a lease, fenced. */
  advance(checkpoint: Checkpoint, lease?: PartitionLease): Promise<void>;
  claim(consumerGroup: string, partition: number, ownerId: string): Promise<PartitionLease>;
}

type Metadata = Record<string, string>;

export function eventHubsCheckpoints(
  container: ContainerClient,
  fullyQualifiedNamespace: string,
  eventHubName: string,
): EventHubsCheckpoints {
  const store = new BlobCheckpointStore(container);
  // The store's own naming (its getBlobPrefix is private).
  const blobName = (consumerGroup: string, kind: 'checkpoint' | 'ownership', partition: number) =>
    [fullyQualifiedNamespace, eventHubName, consumerGroup].map((s) => s.toLowerCase()).join('/') +
    `/${kind}/${partition}`;
  const blob = (consumerGroup: string, kind: 'checkpoint' | 'ownership', partition: number) =>
    container.getBlockBlobClient(blobName(consumerGroup, kind, partition));

  const advanceMirror = (checkpoint: Checkpoint) =>
    compareAndSet(blob(checkpoint.consumerGroup, 'checkpoint', checkpoint.partition), (current) =>
      current && Number(current['sequencenumber'] ?? -1) >= checkpoint.sequenceNumber
        ? undefined
        : { sequencenumber: String(checkpoint.sequenceNumber), offset: checkpoint.offset },
    );

  return {
    async get(consumerGroup, partition) {
      const [all, owned] = await Promise.all([
        callAzure(`checkpoints of ${eventHubName}/${consumerGroup}`, () =>
          store.listCheckpoints(fullyQualifiedNamespace, eventHubName, consumerGroup),
        ),
        readMetadata(blob(consumerGroup, 'ownership', partition)),
      ]);
      const found = all.find((c) => c.partitionId === String(partition));
      const mirrored = found && { sequenceNumber: found.sequenceNumber, offset: String(found.offset) };
      const fenced = owned?.['sequencenumber'] !== undefined && {
        sequenceNumber: Number(owned['sequencenumber']),
        offset: owned['offset'] ?? '',
      };
      const best = fenced && (!mirrored || fenced.sequenceNumber >= mirrored.sequenceNumber) ? fenced : mirrored;
      return best ? { consumerGroup, partition, ...best } : undefined;
    },

    async advance(checkpoint, lease) {
      if (lease !== undefined) {
        const { consumerGroup, partition } = checkpoint;
        await compareAndSet(blob(consumerGroup, 'ownership', partition), (current) => {
          const level = Number(current?.['ownerlevel'] ?? 0);
          if (level !== lease.epoch) {
            throw new OwnershipLostError(
              `partition ${partition} of event hub ${eventHubName}, consumer group ${consumerGroup}, owner ${lease.ownerId} epoch ${lease.epoch} (now ${current?.['ownerid'] ?? 'nobody'}, epoch ${level})`,
            );
          }
          if (Number(current?.['sequencenumber'] ?? -1) >= checkpoint.sequenceNumber) return undefined;
          return { ...current, sequencenumber: String(checkpoint.sequenceNumber), offset: checkpoint.offset };
        });
      }
      await advanceMirror(checkpoint);
    },

    async claim(consumerGroup, partition, ownerId) {
      let epoch = 0;
      await compareAndSet(blob(consumerGroup, 'ownership', partition), (current) => {
        epoch = Number(current?.['ownerlevel'] ?? 0) + 1;
        return { ...current, ownerid: ownerId, ownerlevel: String(epoch) };
      });
      return { consumerGroup, partition, ownerId, epoch };
    },
  };
}

async function readMetadata(blob: BlockBlobClient): Promise<Metadata | undefined> {
  try {
    return (await blob.getProperties()).metadata ?? {};
  } catch (error) {
    if (isAzureNotFound(error)) return undefined;
    throw mapAzureError(`blob ${blob.name}`, error);
  }
}

/**
 * Replaces the metadata of an empty blob with `next(current)` (current undefined: no blob yet), as one
 * compare-and-set on its ETag, retried while other writers win; `next` returning undefined writes nothing.
 */
async function compareAndSet(blob: BlockBlobClient, next: (current: Metadata | undefined) => Metadata | undefined) {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const current = await blob.getProperties().catch((error: unknown) => {
      if (isAzureNotFound(error)) return undefined;
      throw mapAzureError(`blob ${blob.name}`, error);
    });
    const metadata = next(current?.metadata);
    if (metadata === undefined) return;
    try {
      if (current) await blob.setMetadata(metadata, { conditions: { ifMatch: current.etag } });
      else await blob.upload('', 0, { metadata, conditions: { ifNoneMatch: '*' } });
      return;
    } catch (error) {
      if (!lostRace(error)) throw mapAzureError(`blob ${blob.name}`, error);
    }
  }
  throw new TransientError(`blob ${blob.name}: still contended after ${MAX_ATTEMPTS} attempts`);
}

/** 412 (the ETag moved) or 409 (created meanwhile): another writer won this round. */
function lostRace(error: unknown): boolean {
  const status = (error as { statusCode?: number }).statusCode;
  return (error as Error).name === 'RestError' && (status === 412 || status === 409);
}
