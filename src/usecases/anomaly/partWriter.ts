import { CONTAINERS, partBlobName } from '../../core/jobNaming.js';
import { encodeShardPart, type ShardFlush } from '../../core/sharding.js';
import type { BlobStore } from '../../ports/blobStore.js';

/** Parts written at once: the blob store's writes wait on the disk or the network, not on this thread. */
const CONCURRENCY = 4;

/**
 * Writes the planner's parts while it reads on: one flush is written in the background while the
 * next fills, never more (memory stays within two flushes). A failed write fails the next `write`
 * or `drain`, so a plan never ends with a part missing.
 */
export class PartWriter {
  private pending: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | undefined;
  parts = 0;

  constructor(
    private readonly blobs: BlobStore,
    private readonly jobId: string,
  ) {}

  /** Waits for the flush before, then starts writing this one. */
  async write(flushes: readonly ShardFlush[]): Promise<void> {
    await this.drain();
    this.parts += flushes.length;
    this.pending = this.writeAll(flushes).catch((error: unknown) => {
      this.failure ??= { error };
    });
  }

  /** Waits for every part started so far; throws the first write's failure. */
  async drain(): Promise<void> {
    await this.pending;
    if (this.failure) throw this.failure.error;
  }

  private async writeAll(flushes: readonly ShardFlush[]): Promise<void> {
    let next = 0;
    const lane = async () => {
      while (next < flushes.length) {
        const f = flushes[next++] as ShardFlush;
        await this.blobs.put(
          CONTAINERS.work,
          partBlobName(this.jobId, f.shardId, f.part),
          encodeShardPart(f.ts, f.values),
          { contentType: 'application/octet-stream' },
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, flushes.length) }, lane));
  }
}
