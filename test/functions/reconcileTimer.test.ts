import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Timer } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlQueue } from '../../functions/src/functions/controlQueue.js';
import { reconcileTimer } from '../../functions/src/functions/reconcileTimer.js';
import { ocsvmDir } from '../support/fixtures.js';
import {
  deliverControlMessage,
  openAzureWorld,
  receiveAll,
  submitThroughTrigger,
  type AzureWorld,
} from './support/azureWorld.js';

const timer: Timer = {
  isPastDue: false,
  schedule: { adjustForDST: false },
  scheduleStatus: { last: '', next: '', lastUpdated: '' },
};
/** Series (1, 1) over four minutes: 4 windows, 2 shards of 2 windows. */
const CSV =
  [
    'TS,Device,Tag,Value',
    ...[0, 1, 2, 3].flatMap((m) => [`2018-08-28 23:0${m}:05,1,1,11.5`, `2018-08-28 23:0${m}:35,1,1,12.5`]),
  ].join('\n') + '\n';

describe('reconcileTimer: what Service Bus dead-letters on its own reaches the ledger, so no job waits forever (Azurite + test broker)', () => {
  let world: AzureWorld;
  beforeAll(async () => {
    world = await openAzureWorld({ TESSERA_WINDOWS_PER_SHARD: '2' });
    await world.ctx.registry.add('ocsvm-1-1', readFileSync(join(ocsvmDir, 'models/ocsvm-1-1.onnx')));
  });
  afterAll(async () => world?.close());

  const submitted = (): Promise<string> => submitThroughTrigger(world, CSV);

  it("a shard dead-lettered behind the ledger's back (delivery count run out by lock expiries) fails its shard; the job fans in and fails naming it; the other shard's work stands", async () => {
    const { ctx } = world;
    const jobId = await submitted();
    expect((await deliverControlMessage(world, controlQueue)).outcome).toBe('completed');
    const [first, second] = await receiveAll(ctx.queue);
    // One shard is scored; the other's message ends in the dead-letter subqueue without any worker telling the ledger.
    await ctx.dispatch(first!.body);
    await ctx.queue.complete(first!);
    await ctx.queue.deadLetter(second!, {
      reason: 'MaxDeliveryCountExceeded',
      description: 'the pod was OOM-killed 5 times',
    });
    const stuck = await ctx.ledger.getJob(jobId);
    expect(stuck?.state).toBe('running');

    await reconcileTimer(timer, world.invocation('reconcileTimer'));
    const shardId = (second!.body as { shardId: string }).shardId;
    expect(await ctx.ledger.getShard(jobId, shardId)).toMatchObject({
      state: 'failed',
      error: expect.stringContaining('MaxDeliveryCountExceeded: the pod was OOM-killed 5 times') as unknown,
    });
    // The fan-in queued the finish on control; the control trigger finishes the job as failed, with the reason.
    expect((await deliverControlMessage(world, controlQueue)).outcome).toBe('completed');
    const ended = await ctx.ledger.getJob(jobId);
    expect(ended?.state).toBe('failed');
    expect(ended?.error).toContain(shardId);
    expect(await ctx.ledger.getShard(jobId, (first!.body as { shardId: string }).shardId)).toMatchObject({
      state: 'succeeded',
    });

    // A second tick finds nothing new to do: idempotent.
    await reconcileTimer(timer, world.invocation('reconcileTimer'));
    expect((await ctx.ledger.getJob(jobId))?.etag).toBe(ended?.etag);
  });

  it('a plan message dead-lettered on control (the Functions instance recycled on every delivery) fails its job with the reason', async () => {
    const { ctx } = world;
    const jobId = await submitted();
    const [plan] = await ctx.control.receive({ maxWaitMs: 2000 });
    await ctx.control.deadLetter(plan!, { reason: 'MaxDeliveryCountExceeded', description: 'host timeout' });
    await reconcileTimer(timer, world.invocation('reconcileTimer'));
    expect(await ctx.ledger.getJob(jobId)).toMatchObject({
      state: 'failed',
      error: expect.stringContaining('plan failed: MaxDeliveryCountExceeded: host timeout') as unknown,
    });
    expect(world.invocationLogs.some((l) => l.text.includes('"msg":"reconciled"'))).toBe(true);
  });
});
