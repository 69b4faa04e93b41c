/**
 * A plan that runs long stays one plan: the lifecycle keeps a planning job fresh while its kind
 * works, so the reconciler (which nudges a planning job left alone past its staleness, in case the
 * plan message was lost) never queues a second plan beside a live one. And a line past the limit
 * ends a plan at once, however long the rest of it would be.
 */
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { CONTAINERS } from '../../src/core/jobNaming.js';
import { MAX_LINE_BYTES } from '../../src/lib/lineBlocks.js';
import type { BlobStore } from '../../src/ports/blobStore.js';
import { reconcileJobs } from '../../src/usecases/reconcileJobs.js';
import { drainQueue, messageHandler, queuedMessages } from '../support/usecases/queueDriver.js';
import { openWorld, sensorCsv, type UsecaseWorld } from '../support/usecases/usecaseWorld.js';

let world: UsecaseWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The inbox's blobs, counted as they are downloaded, each delivered by `deliver`. */
function inboxThrough(inner: BlobStore, deliver: (stream: Readable) => Readable) {
  const seen = { downloads: 0 };
  const blobs: BlobStore = {
    ...inner,
    async get(container, name) {
      const download = await inner.get(container, name);
      if (container !== CONTAINERS.inbox) return download;
      seen.downloads += 1;
      return { ...download, stream: deliver(download.stream) };
    },
  };
  return { blobs, seen };
}

describe('a long plan', () => {
  it('keeps its job fresh, so the reconciler never nudges it into a second plan', async () => {
    const w = (world = await openWorld({ lockDurationMs: 300 }));
    const staleJobMs = 2 * 300; // as the runtime sets it: twice the lock
    const job = await w.submitCsv('slow.csv', sensorCsv());
    const [plan] = await w.queue.receive({ maxMessages: 1, maxWaitMs: 0 });
    // The file arrives in 64 KiB pieces 150 ms apart: the plan takes over 1.2 s, twice the staleness.
    const slow = inboxThrough(w.ctx.blobs, (stream) =>
      Readable.from(
        (async function* () {
          for await (const chunk of stream as AsyncIterable<Buffer>)
            for (let at = 0; at < chunk.length; at += 65_536) {
              await delay(150);
              yield chunk.subarray(at, at + 65_536);
            }
        })(),
      ),
    );
    let done = false;
    const planning = messageHandler({ ...w.deps, blobs: slow.blobs })(plan!.body).finally(() => (done = true));
    let nudged = 0;
    let ticks = 0;
    while (!done) {
      nudged += await reconcileJobs(w.deps, { staleJobMs, staleShardMs: staleJobMs });
      ticks += 1;
      await delay(100);
    }
    await planning;
    expect(ticks).toBeGreaterThan(8);
    expect(nudged).toBe(0);
    expect(slow.seen.downloads).toBe(1);
    expect((await queuedMessages(w.queue)).filter((m) => m.kind === 'plan')).toEqual([]);
    await w.queue.complete(plan!);
    await drainQueue(w.deps);
    expect((await w.ctx.ledger.getJob(job.jobId))?.state).toBe('succeeded');
  });

  it('fails at planning on a line over 1 MiB, naming it, having read little more than that', async () => {
    const w = (world = await openWorld());
    // 100 MB of one line, made as it is read: only what the plan pulls is ever made.
    let pulled = 0;
    const huge = inboxThrough(w.ctx.blobs, () =>
      Readable.from(
        (function* () {
          yield Buffer.from('TS,Device,Tag,Value\n2018-08-28 23:00:05.000,1,1,10.16\n');
          const chunk = Buffer.alloc(65_536, 0x37);
          for (; pulled < 100 << 20; pulled += chunk.length) yield chunk;
        })(),
      ),
    );
    const job = await w.submitCsv('huge.csv', 'TS,Device,Tag,Value\n');
    await drainQueue({ ...w.deps, blobs: huge.blobs });
    const failed = await w.ctx.ledger.getJob(job.jobId);
    expect(failed?.state).toBe('failed');
    expect(failed?.error).toBe('inbox/huge.csv: line 3 is longer than 1 MiB; expected a CSV file of short lines');
    expect(huge.seen.downloads).toBe(1);
    expect(pulled).toBeLessThanOrEqual(MAX_LINE_BYTES + 2 * 65_536);
  });
});
