import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, test } from 'vitest';
import { LockLostError } from '../../src/core/errors.js';
import { MAX_DELIVERY_COUNT_EXCEEDED, type ReceivedMessage, type WorkQueue } from '../../src/ports/workQueue.js';

/** What the suite asks of the queue `make` creates. Adapters with a longer minimum lock may override it. */
export interface WorkQueueContractOptions {
  readonly lockDurationMs: number;
  readonly maxDeliveryCount: number;
  readonly duplicateDetectionWindowMs: number;
}

export interface WorkQueueHarness {
  /** A queue no other test uses, empty, configured as asked (the suite reads its actual `lockDurationMs` and `maxDeliveryCount`). */
  readonly queue: WorkQueue;
  /** Opens another client of the same queue (a second receiver; durability after `close`). */
  readonly openAnother?: () => Promise<WorkQueue>;
  /** Closes every client (some may already be closed) and removes what `make` created. */
  readonly cleanup: () => Promise<void>;
}

/** How the suite runs, not what it asks of the queue. */
export interface WorkQueueSuiteOptions {
  /**
   * Run the tests concurrently (each has its own queue, so none sees another's messages). For an
   * adapter whose minimum lock is long (Service Bus: 5 s), most of a test is spent waiting for a lock
   * to expire; side by side, those waits overlap instead of adding up.
   */
  readonly concurrent?: boolean;
}

export const DEFAULT_QUEUE_CONTRACT_OPTIONS: WorkQueueContractOptions = {
  lockDurationMs: 400,
  maxDeliveryCount: 3,
  duplicateDetectionWindowMs: 60_000,
};

const id = (label: string): string => `${label}-${randomBytes(6).toString('hex')}`;

/** Receives until `count` messages arrived or `timeoutMs` passed. */
async function receiveCount(queue: WorkQueue, count: number, timeoutMs = 5_000): Promise<ReceivedMessage[]> {
  const out: ReceivedMessage[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < count && Date.now() < deadline) {
    out.push(
      ...(await queue.receive({ maxMessages: count - out.length, maxWaitMs: Math.max(1, deadline - Date.now()) })),
    );
  }
  return out;
}

async function receiveOne(queue: WorkQueue, timeoutMs = 5_000): Promise<ReceivedMessage> {
  const [message] = await receiveCount(queue, 1, timeoutMs);
  if (message === undefined) throw new Error(`no message within ${timeoutMs} ms`);
  return message;
}

/** The WorkQueue contract (see src/ports/workQueue.ts), run against any adapter. */
export function workQueueContract(
  name: string,
  make: (options: WorkQueueContractOptions) => Promise<WorkQueueHarness>,
  overrides: Partial<WorkQueueContractOptions> = {},
  suite: WorkQueueSuiteOptions = {},
): void {
  const options = { ...DEFAULT_QUEUE_CONTRACT_OPTIONS, ...overrides };
  const timeout = 20 * options.lockDurationMs + 20_000;
  /** Each test's own harness (a fixture, not a shared variable, so that tests may run concurrently). */
  const it = test.extend<{ h: WorkQueueHarness; queue: WorkQueue; lockMs: number }>({
    h: async ({}, use) => {
      const h = await make(options);
      try {
        await use(h);
      } finally {
        await h.cleanup();
      }
    },
    queue: async ({ h }, use) => use(h.queue),
    lockMs: async ({ h }, use) => use(h.queue.lockDurationMs),
  });

  describe(`WorkQueue contract: ${name}`, { timeout, concurrent: suite.concurrent }, () => {
    const sendOne = async (
      queue: WorkQueue,
      body: unknown = { n: 1 },
      extra: { subject?: string; scheduledEnqueueTime?: Date } = {},
    ) => {
      const messageId = id('msg');
      await queue.send([{ messageId, body, ...extra }]);
      return messageId;
    };

    it('delivers body, subject and properties, with delivery count 1 and a lock for the lock duration', async ({
      queue,
      lockMs,
    }) => {
      const messageId = id('msg');
      const body = { job: 'j1', shard: 3, nested: { ok: true, list: [1, 'two'] } };
      const before = Date.now();
      await queue.send([
        { messageId, body, subject: 'score', applicationProperties: { jobId: 'j1', attempt: 2, final: false } },
      ]);
      const m = await receiveOne(queue);
      expect(m).toMatchObject({
        messageId,
        body,
        subject: 'score',
        applicationProperties: { jobId: 'j1', attempt: 2, final: false },
      });
      expect(m.deliveryCount).toBe(1);
      expect(Number.isInteger(m.sequenceNumber)).toBe(true);
      expect(m.lockToken.length).toBeGreaterThan(0);
      expect(Math.abs(m.enqueuedAt.getTime() - before)).toBeLessThan(10_000);
      expect(m.lockedUntil.getTime()).toBeGreaterThan(Date.now());
      expect(m.lockedUntil.getTime()).toBeLessThanOrEqual(Date.now() + lockMs + 5_000);
      await queue.complete(m);
    });

    it('delivers in sequence order, with increasing sequence numbers', async ({ queue }) => {
      const ids = [id('a'), id('b'), id('c'), id('d'), id('e')];
      await queue.send(ids.slice(0, 3).map((messageId, n) => ({ messageId, body: { n } })));
      await queue.send(ids.slice(3).map((messageId, n) => ({ messageId, body: { n: n + 3 } })));
      const got = await receiveCount(queue, 5);
      expect(got.map((m) => m.messageId)).toEqual(ids);
      const seqs = got.map((m) => m.sequenceNumber);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
      expect(new Set(seqs).size).toBe(5);
    });

    it('drops a message whose id was sent within the duplicate-detection window, even after it was completed', async ({
      queue,
    }) => {
      const [a, b, c] = [id('a'), id('b'), id('c')];
      await queue.send([{ messageId: a, body: 'first' }]);
      await queue.send([
        { messageId: a, body: 'second' },
        { messageId: b, body: 'b' },
      ]);
      await queue.send([
        { messageId: c, body: 'c1' },
        { messageId: c, body: 'c2' },
      ]);
      expect(await queue.countActive()).toBe(3);
      const got = await receiveCount(queue, 3);
      expect(got.map((m) => [m.messageId, m.body])).toEqual([
        [a, 'first'],
        [b, 'b'],
        [c, 'c1'],
      ]);
      for (const m of got) await queue.complete(m);
      await queue.send([{ messageId: a, body: 'third' }]);
      expect(await queue.countActive()).toBe(0);
    });

    it('a scheduled message is not receivable before its scheduled time', async ({ queue }) => {
      const at = new Date(Date.now() + 1_500);
      const messageId = await sendOne(queue, 'later', { scheduledEnqueueTime: at });
      expect(await queue.receive({ maxWaitMs: 0 })).toEqual([]);
      expect(await queue.countActive()).toBe(1);
      const m = await receiveOne(queue, 10_000);
      expect(Date.now()).toBeGreaterThanOrEqual(at.getTime() - 200);
      expect(m.messageId).toBe(messageId);
      await queue.complete(m);
    });

    it('a locked message is invisible to other receivers until its lock expires, then comes back with delivery count 2', async ({
      h,
      queue,
      lockMs,
    }) => {
      const messageId = await sendOne(queue);
      const first = await receiveOne(queue);
      expect(await queue.receive({ maxWaitMs: Math.floor(lockMs / 4) })).toEqual([]);
      if (h.openAnother !== undefined) {
        const other = await h.openAnother();
        expect(await other.receive({ maxWaitMs: Math.floor(lockMs / 4) })).toEqual([]);
      }
      expect(await queue.countActive()).toBe(1);
      await sleep(Math.max(0, first.lockedUntil.getTime() - Date.now()) + 100);
      const second = await receiveOne(queue);
      expect(second.messageId).toBe(messageId);
      expect(second.deliveryCount).toBe(2);
      expect(second.lockToken).not.toBe(first.lockToken);
      await expect(queue.complete(first)).rejects.toBeInstanceOf(LockLostError);
      await queue.complete(second);
      expect(await queue.countActive()).toBe(0);
    });

    it('renewLock extends the lock by the lock duration', async ({ queue, lockMs }) => {
      await sendOne(queue);
      const m = await receiveOne(queue);
      await sleep(lockMs / 2);
      const renewed = await queue.renewLock(m);
      expect(renewed.getTime()).toBeGreaterThan(m.lockedUntil.getTime());
      await sleep(Math.max(0, m.lockedUntil.getTime() - Date.now()) + lockMs / 10);
      expect(await queue.receive({ maxWaitMs: 0 })).toEqual([]);
      await queue.complete(m);
      expect(await queue.countActive()).toBe(0);
    });

    it('complete removes the message for good; settling twice throws LockLostError', async ({ queue, lockMs }) => {
      await sendOne(queue);
      const m = await receiveOne(queue);
      await queue.complete(m);
      expect(await queue.countActive()).toBe(0);
      await expect(queue.complete(m)).rejects.toBeInstanceOf(LockLostError);
      await sleep(lockMs + 100);
      expect(await queue.receive({ maxWaitMs: 200 })).toEqual([]);
    });

    it('abandon releases the lock at once and the next delivery counts 2', async ({ queue, lockMs }) => {
      const messageId = await sendOne(queue);
      const first = await receiveOne(queue);
      await queue.abandon(first);
      const second = await receiveOne(queue, lockMs / 2);
      expect(second).toMatchObject({ messageId, deliveryCount: 2 });
      await queue.complete(second);
    });

    it('abandon with retryAfterMs: not receivable before the delay, from any client, then delivered with the next count', async ({
      h,
      queue,
    }) => {
      const messageId = await sendOne(queue);
      const first = await receiveOne(queue);
      const abandonedAt = Date.now();
      await queue.abandon(first, { retryAfterMs: 1_500 });
      expect(await queue.receive({ maxWaitMs: 700 })).toEqual([]);
      if (h.openAnother !== undefined) expect(await (await h.openAnother()).receive({ maxWaitMs: 300 })).toEqual([]);
      expect(await queue.countActive()).toBe(1);
      const second = await receiveOne(queue, 10_000);
      expect(Date.now() - abandonedAt).toBeGreaterThanOrEqual(1_400);
      expect(second).toMatchObject({ messageId, deliveryCount: 2 });
      await expect(queue.complete(first)).rejects.toBeInstanceOf(LockLostError);
      await queue.complete(second);
      expect(await queue.countActive()).toBe(0);
    });

    it('a message on its last allowed delivery can still be completed while another client polls', async ({
      h,
      queue,
      lockMs,
    }) => {
      const messageId = await sendOne(queue, 'last');
      for (let n = 1; n < queue.maxDeliveryCount; n++) await queue.abandon(await receiveOne(queue));
      const last = await receiveOne(queue);
      expect(last).toMatchObject({ messageId, deliveryCount: queue.maxDeliveryCount });
      // Another client receives, counts and peeks the dead letters while this one still works on it:
      // none of that may dead-letter a message whose lock is held.
      const other = h.openAnother !== undefined ? await h.openAnother() : queue;
      const until = Date.now() + lockMs / 3;
      while (Date.now() < until) {
        expect(await other.receive({ maxWaitMs: Math.max(1, Math.floor(lockMs / 20)) })).toEqual([]);
        expect(await other.peekDeadLetters()).toEqual([]);
        expect(await other.countActive()).toBe(1);
      }
      await queue.complete(last);
      expect(await queue.countActive()).toBe(0);
      expect(await queue.peekDeadLetters()).toEqual([]);
    });

    it('settling with a stale token (message redelivered) or after the lock expired throws LockLostError', async ({
      queue,
    }) => {
      await sendOne(queue);
      const stale = await receiveOne(queue);
      await queue.abandon(stale);
      const current = await receiveOne(queue);
      await expect(queue.complete(stale)).rejects.toBeInstanceOf(LockLostError);
      await expect(queue.abandon(stale)).rejects.toBeInstanceOf(LockLostError);
      await expect(queue.deadLetter(stale, { reason: 'r', description: 'd' })).rejects.toBeInstanceOf(LockLostError);
      await expect(queue.renewLock(stale)).rejects.toBeInstanceOf(LockLostError);
      await sleep(Math.max(0, current.lockedUntil.getTime() - Date.now()) + 100);
      await expect(queue.renewLock(current)).rejects.toBeInstanceOf(LockLostError);
      await expect(queue.complete(current)).rejects.toBeInstanceOf(LockLostError);
      expect(await queue.countActive()).toBe(1);
    });

    it('deadLetter moves the message, with reason and description, to the dead-letter subqueue', async ({ queue }) => {
      const messageId = id('dl');
      await queue.send([{ messageId, body: { bad: true }, subject: 's', applicationProperties: { k: 'v' } }]);
      const m = await receiveOne(queue);
      await queue.deadLetter(m, { reason: 'BadInput', description: 'row 3: not a number' });
      expect(await queue.countActive()).toBe(0);
      const peeked = await queue.peekDeadLetters();
      expect(peeked).toHaveLength(1);
      expect(peeked[0]).toMatchObject({
        messageId,
        body: { bad: true },
        subject: 's',
        applicationProperties: { k: 'v' },
        sequenceNumber: m.sequenceNumber,
        deliveryCount: 1,
        deadLetterReason: 'BadInput',
        deadLetterErrorDescription: 'row 3: not a number',
      });
      expect(peeked[0]?.deadLetteredAt).toBeInstanceOf(Date);
      expect(await queue.peekDeadLetters()).toHaveLength(1);
      expect(await queue.receive({ maxWaitMs: 200 })).toEqual([]);
    });

    it(`dead-letters with ${MAX_DELIVERY_COUNT_EXCEEDED} instead of delivering past the maximum delivery count`, async ({
      queue,
    }) => {
      const messageId = await sendOne(queue, 'poison');
      for (let n = 1; n <= queue.maxDeliveryCount; n++) {
        const m = await receiveOne(queue);
        expect(m.deliveryCount).toBe(n);
        await queue.abandon(m);
      }
      expect(await queue.receive({ maxWaitMs: 500 })).toEqual([]);
      const [dead] = await queue.peekDeadLetters();
      expect(dead).toMatchObject({
        messageId,
        body: 'poison',
        deadLetterReason: MAX_DELIVERY_COUNT_EXCEEDED,
        deliveryCount: queue.maxDeliveryCount,
      });
      expect(await queue.countActive()).toBe(0);
    });

    it('peekDeadLetters reads in sequence order, from a sequence number, at most maxMessages', async ({ queue }) => {
      const ids = [id('p1'), id('p2'), id('p3')];
      await queue.send(ids.map((messageId) => ({ messageId, body: messageId })));
      const got = await receiveCount(queue, 3);
      for (const m of [...got].reverse()) await queue.deadLetter(m, { reason: 'r', description: m.messageId });
      const all = await queue.peekDeadLetters();
      expect(all.map((m) => m.messageId)).toEqual(ids);
      const second = all[1]!;
      expect(
        (await queue.peekDeadLetters({ fromSequenceNumber: second.sequenceNumber })).map((m) => m.messageId),
      ).toEqual(ids.slice(1));
      expect((await queue.peekDeadLetters({ maxMessages: 1 })).map((m) => m.messageId)).toEqual(ids.slice(0, 1));
    });

    it('redrive moves dead letters (chosen or all) back with id, body and properties, and delivery count reset', async ({
      queue,
    }) => {
      const ids = [id('r1'), id('r2'), id('r3')];
      await queue.send(
        ids.map((messageId, n) => ({ messageId, body: { n }, subject: `s${n}`, applicationProperties: { n } })),
      );
      for (const m of await receiveCount(queue, 3)) await queue.deadLetter(m, { reason: 'r', description: 'd' });
      const dead = await queue.peekDeadLetters();
      expect(await queue.redrive([dead[1]!.sequenceNumber])).toBe(1);
      expect((await queue.peekDeadLetters()).map((m) => m.messageId)).toEqual([ids[0], ids[2]]);
      const back = await receiveOne(queue);
      expect(back).toMatchObject({
        messageId: ids[1],
        body: { n: 1 },
        subject: 's1',
        applicationProperties: { n: 1 },
        deliveryCount: 1,
      });
      await queue.complete(back);
      expect(await queue.redrive()).toBe(2);
      expect(await queue.peekDeadLetters()).toEqual([]);
      const rest = await receiveCount(queue, 2);
      expect(rest.map((m) => [m.messageId, m.deliveryCount])).toEqual([
        [ids[0], 1],
        [ids[2], 1],
      ]);
    });

    it('countActive counts locked and scheduled messages, not dead letters', async ({ queue }) => {
      await sendOne(queue, 'now');
      await sendOne(queue, 'later', { scheduledEnqueueTime: new Date(Date.now() + 3_600_000) });
      await sendOne(queue, 'dead');
      const [m1, m2] = await receiveCount(queue, 2);
      expect(await queue.countActive()).toBe(3);
      await queue.deadLetter(m2!, { reason: 'r', description: 'd' });
      expect(await queue.countActive()).toBe(2);
      await queue.complete(m1!);
      expect(await queue.countActive()).toBe(1);
    });

    it('receive waits up to maxWaitMs for a message, returns at once with 0, and ends early when aborted', async ({
      queue,
    }) => {
      let started = Date.now();
      expect(await queue.receive({ maxWaitMs: 0 })).toEqual([]);
      expect(Date.now() - started).toBeLessThan(1_000);
      started = Date.now();
      expect(await queue.receive({ maxWaitMs: 300 })).toEqual([]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 150);
      started = Date.now();
      expect(await queue.receive({ maxWaitMs: 10_000, signal: controller.signal })).toEqual([]);
      expect(Date.now() - started).toBeLessThan(3_000);
      const waiting = queue.receive({ maxWaitMs: 10_000 });
      await sleep(200);
      const messageId = await sendOne(queue);
      const [m] = await waiting;
      expect(m?.messageId).toBe(messageId);
      await queue.complete(m!);
    });

    it('receive returns at most maxMessages', async ({ queue }) => {
      await queue.send(Array.from({ length: 5 }, (_, n) => ({ messageId: id(`b${n}`), body: n })));
      const got = await queue.receive({ maxMessages: 2, maxWaitMs: 2_000 });
      expect(got.length).toBeGreaterThanOrEqual(1);
      expect(got.length).toBeLessThanOrEqual(2);
    });

    it('state is durable: another client sees messages sent before this one closed', async ({ h, queue, skip }) => {
      if (h.openAnother === undefined) return skip();
      const messageId = await sendOne(queue, { durable: true });
      await queue.close();
      const other = await h.openAnother();
      const m = await receiveOne(other);
      expect(m).toMatchObject({ messageId, body: { durable: true }, deliveryCount: 1 });
      await other.complete(m);
    });
  });
}
