import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HttpRequest } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlQueue } from '../../functions/src/functions/controlQueue.js';
import { listDeadLettersHttp } from '../../functions/src/functions/listDeadLettersHttp.js';
import { redriveDeadLettersHttp } from '../../functions/src/functions/redriveDeadLettersHttp.js';
import { ocsvmDir } from '../support/fixtures.js';
import {
  deliverControlMessage,
  MAX_DELIVERIES,
  openAzureWorld,
  receiveAll,
  submitThroughTrigger,
  type AzureWorld,
} from './support/azureWorld.js';

/** What App Service authentication adds once it has validated the caller (see functions/src/apiFunction.ts). */
const EASY_AUTH = { 'x-ms-client-principal-id': 'operator' };

const CSV =
  'TS,Device,Tag,Value\n2018-08-28 23:00:05,1,1,11.5\n2018-08-28 23:00:35,1,1,12.5\n2018-08-28 23:01:05,1,1,13.0\n';

describe('controlQueue settlement: permanent errors complete at once, transient ones are redelivered (Azurite + test broker)', () => {
  let world: AzureWorld;
  beforeAll(async () => {
    world = await openAzureWorld();
    await world.ctx.registry.add('ocsvm-1-1', readFileSync(join(ocsvmDir, 'models/ocsvm-1-1.onnx')));
  });
  afterAll(async () => world?.close());

  const submitted = (): Promise<string> => submitThroughTrigger(world, CSV);
  const dlq = (queue: string) =>
    listDeadLettersHttp(
      new HttpRequest({
        method: 'GET',
        url: `http://localhost/api/deadletters?queue=${queue}`,
        headers: EASY_AUTH,
      }),
      world.invocation('listDeadLettersHttp'),
    );

  it('a PermanentError is recorded in the ledger and the message completed, not retried and not left in the dead-letter queue', async () => {
    const { ctx } = world;
    const jobId = `jmystery${randomBytes(4).toString('hex')}`;
    await ctx.ledger.createJob({ jobId, kind: 'mystery', input: {} });
    await ctx.control.send([{ messageId: `${jobId}:plan`, body: { kind: 'plan', jobId } }]);

    const delivered = await deliverControlMessage(world, controlQueue);
    expect(delivered.outcome).toBe('completed');
    expect(await ctx.ledger.getJob(jobId)).toMatchObject({
      state: 'failed',
      error: expect.stringContaining(
        `plan failed: Permanent: plan: job ${jobId} is of unknown kind "mystery"`,
      ) as unknown,
    });
    expect(world.invocationLogs.some((l) => l.level === 'error' && l.text.includes('permanent failure'))).toBe(true);
    expect(await receiveAll(ctx.control, 200)).toEqual([]);
    expect((await dlq('control')).jsonBody).toMatchObject({ messages: [] });
  });

  it("a video job's plan and finish go on to the scorers (the work queue, same message id), since they need ffmpeg; the job is left to them", async () => {
    const { ctx } = world;
    const jobId = `jvideo${randomBytes(4).toString('hex')}`;
    await ctx.ledger.createJob({ jobId, kind: 'video', input: {} });
    for (const kind of ['plan', 'finish'] as const) {
      await ctx.control.send([{ messageId: `${jobId}:${kind}`, body: { kind, jobId } }]);
      expect((await deliverControlMessage(world, controlQueue)).outcome).toBe('completed');
    }
    const forwarded = await receiveAll(ctx.queue, 500);
    expect(forwarded.map((m) => [m.messageId, m.body])).toEqual([
      [`${jobId}:plan`, { kind: 'plan', jobId }],
      [`${jobId}:finish`, { kind: 'finish', jobId }],
    ]);
    for (const m of forwarded) await ctx.queue.complete(m);
    expect(await ctx.ledger.getJob(jobId)).toMatchObject({ state: 'planning' });
    expect(
      world.invocationLogs.filter(
        (l) => l.text.includes('control message forwarded to the workers') && l.text.includes(jobId),
      ),
    ).toHaveLength(2);
  });

  it('a body that is not JSON is permanent too: completed, logged with its reason', async () => {
    await world.ctx.control.send([{ messageId: `garbage-${randomBytes(4).toString('hex')}`, body: 'not json {' }]);
    const delivered = await deliverControlMessage(world, controlQueue);
    expect(delivered.outcome).toBe('completed');
    expect(world.invocationLogs.some((l) => l.level === 'error' && l.text.includes('message body is not JSON'))).toBe(
      true,
    );
  });

  it('a transient failure is thrown after a backoff (the host abandons it) and the redelivery succeeds', async () => {
    const { ctx, broker } = world;
    const jobId = await submitted();
    broker.failNext('send', 'com.microsoft:server-busy'); // the plan's shard send
    const first = await deliverControlMessage(world, controlQueue);
    expect(first).toMatchObject({ outcome: 'abandoned', message: { deliveryCount: 1 } });
    expect(first.error?.name).toBe('TransientError');
    expect((await ctx.ledger.getJob(jobId))?.state).toBe('planning');

    const second = await deliverControlMessage(world, controlQueue);
    expect(second).toMatchObject({
      outcome: 'completed',
      message: { deliveryCount: 2, body: { kind: 'plan', jobId } },
    });
    // Shard sizes are chosen to the work (a tiny job still spreads over the workers): every shard the
    // ledger counts is on the queue, once, though the first plan's send failed.
    const planned = await ctx.ledger.getJob(jobId);
    expect(planned).toMatchObject({ state: 'running' });
    expect(planned!.shardsTotal).toBeGreaterThanOrEqual(1);
    const shards = await receiveAll(ctx.queue);
    expect(shards).toHaveLength(planned!.shardsTotal);
    for (const m of shards) await ctx.queue.complete(m);
  });

  it('on the last delivery the ledger records the failure, Service Bus dead-letters the message, and the HTTP re-drive brings the job back', async () => {
    const { ctx, broker } = world;
    const jobId = await submitted();
    for (let delivery = 1; delivery <= MAX_DELIVERIES; delivery++) {
      broker.failNext('send', 'com.microsoft:server-busy');
      const d = await deliverControlMessage(world, controlQueue);
      expect(d).toMatchObject({ outcome: 'abandoned', message: { deliveryCount: delivery } });
      expect((await ctx.ledger.getJob(jobId))?.state).toBe(delivery < MAX_DELIVERIES ? 'planning' : 'failed');
    }
    expect((await ctx.ledger.getJob(jobId))?.error).toMatch(
      /^plan failed: MaxDeliveryCountExceeded: failed 3 times; last error: .*ServiceBusy/,
    );

    const listed = await dlq('control');
    expect(listed.status).toBe(200);
    const messages = listed.jsonBody as {
      queue: string;
      messages: { sequenceNumber: number; messageId: string; reason: string; jobId: string; body: unknown }[];
    };
    expect(messages.queue).toBe('control');
    const dead = messages.messages.find((m) => m.messageId === `${jobId}:plan`);
    expect(dead).toMatchObject({ reason: 'MaxDeliveryCountExceeded', jobId, body: { kind: 'plan', jobId } });
    expect((await dlq('jobs')).jsonBody).toMatchObject({ queue: 'jobs', messages: [] });

    const redrive = await redriveDeadLettersHttp(
      new HttpRequest({
        method: 'POST',
        url: 'http://localhost/api/deadletters/redrive?queue=control',
        headers: EASY_AUTH,
        body: { string: JSON.stringify({ sequenceNumbers: [dead!.sequenceNumber] }) },
      }),
      world.invocation('redriveDeadLettersHttp'),
    );
    expect(redrive).toMatchObject({ status: 200, jsonBody: { queue: 'control', redriven: 1 } });
    expect((await ctx.ledger.getJob(jobId))?.state).toBe('planning');

    const again = await deliverControlMessage(world, controlQueue);
    expect(again).toMatchObject({ outcome: 'completed', message: { messageId: `${jobId}:plan`, deliveryCount: 1 } });
    expect(await ctx.ledger.getJob(jobId)).toMatchObject({ state: 'running', error: undefined });
    expect((await dlq('control')).jsonBody).toMatchObject({ messages: [] });
  });
});
