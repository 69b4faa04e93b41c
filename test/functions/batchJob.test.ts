import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTAINERS } from '../../src/core/jobNaming.js';
import { controlQueue } from '../../functions/src/functions/controlQueue.js';
import { inboxBlobCreated } from '../../functions/src/functions/inboxBlobCreated.js';
import { apiCaller } from '../support/apiCalls.js';
import { ocsvmDir } from '../support/fixtures.js';
import { functionsFetch } from './support/functionsFetch.js';
import { deliverControlMessage, openAzureWorld, receiveAll, type AzureWorld } from './support/azureWorld.js';

/** Readings of series (1, 1) over six minutes: 6 one-minute windows, 3 shards of 2 windows. */
function readingsCsv(): string {
  const rows = ['TS,Device,Tag,Value'];
  for (let minute = 0; minute < 6; minute++) {
    for (const [i, second] of [5, 25, 45].entries())
      rows.push(
        `2018-08-28 23:0${minute}:${String(second).padStart(2, '0')}.000,1,1,${(11 + ((minute * 3 + i) % 5) * 0.7).toFixed(2)}`,
      );
  }
  return `${rows.join('\n')}\n`;
}

describe('a batch anomaly job through the Functions handlers (Azurite + test broker)', () => {
  let world: AzureWorld;
  beforeAll(async () => {
    world = await openAzureWorld({ TESSERA_WINDOWS_PER_SHARD: '2' });
    await world.ctx.registry.add('ocsvm-1-1', readFileSync(join(ocsvmDir, 'models/ocsvm-1-1.onnx')));
  });
  afterAll(async () => world?.close());

  it('inbox blob → job and a plan message on control → shards on jobs → finish on control → status with its summary', async () => {
    const { ctx } = world;
    const name = `readings-${randomBytes(4).toString('hex')}.csv`;
    const blob = await ctx.blobs.put(CONTAINERS.inbox, name, readingsCsv(), { contentType: 'text/csv' });

    // The blob trigger: a job is created from the blob's name and ETag, its planning queued on control.
    await inboxBlobCreated(
      Buffer.from('the host hands over the bytes; the handler does not read them'),
      world.invocation('inboxBlobCreated', { name, blobTrigger: `inbox/${name}` }),
    );
    const [job] = await ctx.ledger.listJobs();
    expect(job).toMatchObject({
      kind: 'anomaly',
      state: 'planning',
      input: { container: 'inbox', name, etag: blob.etag },
    });
    const jobId = job!.jobId;
    expect(await receiveAll(ctx.queue, 200)).toEqual([]); // nothing for the GPU workers yet

    // Event Grid delivers at least once: a second event for the same blob version is the same job.
    await inboxBlobCreated(undefined, world.invocation('inboxBlobCreated', { name }));
    expect(await ctx.ledger.listJobs()).toHaveLength(1);

    // The control trigger plans it: one plan message (duplicate detection dropped the second), shards on jobs.
    const plan = await deliverControlMessage(world, controlQueue);
    expect(plan).toMatchObject({
      outcome: 'completed',
      message: { messageId: `${jobId}:plan`, body: { kind: 'plan', jobId } },
    });
    const planned = await ctx.ledger.getJob(jobId);
    expect(planned).toMatchObject({ state: 'running', shardsTotal: 3 });
    const shards = await receiveAll(ctx.queue);
    expect(shards.map((m) => (m.body as { kind: string }).kind)).toEqual(['score', 'score', 'score']);
    expect(new Set(shards.map((m) => m.messageId)).size).toBe(3);
    expect(await receiveAll(ctx.control, 200)).toEqual([]);

    // The scorer's part, in-process: the last shard's fan-in queues finish on control, not on jobs.
    for (const m of shards) {
      await ctx.dispatch(m.body);
      await ctx.queue.complete(m);
    }
    const finish = await deliverControlMessage(world, controlQueue);
    expect(finish).toMatchObject({ outcome: 'completed', message: { body: { kind: 'finish', jobId } } });

    const detail = await apiCaller(functionsFetch(world), 'http://localhost').json('getJob', `/jobs/${jobId}`, 200);
    expect(detail).toMatchObject({
      job: {
        id: jobId,
        state: 'succeeded',
        kind: 'anomaly',
        progress: { shards: { total: 3, succeeded: 3, failed: 0 } },
      },
      errors: { job: null, shards: [] },
      summary: { jobId, state: 'succeeded', rows: 18 },
    });
    // Use-case lines went through the invocation's own log, scoped to it.
    expect(
      world.invocationLogs.some(
        (l) => l.text.includes('"msg":"job created"') && l.text.includes('"function":"inboxBlobCreated"'),
      ),
    ).toBe(true);
  });
});
