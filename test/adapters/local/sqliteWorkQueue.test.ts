import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteWorkQueue, type SqliteWorkQueueOptions } from '../../../src/adapters/local/sqliteWorkQueue.js';
import { InputError } from '../../../src/core/errors.js';
import { MAX_DELIVERY_COUNT_EXCEEDED, type WorkQueue } from '../../../src/ports/workQueue.js';
import { workQueueContract } from '../../contracts/workQueue.contract.js';
import { lastJsonLine, runTsxScript } from '../../support/runTsxScript.js';

const tempDir = (): Promise<string> => mkdtemp(join(tmpdir(), 'tessera-queue-'));

workQueueContract('sqliteWorkQueue', async (options) => {
  const dir = await tempDir();
  const settings: SqliteWorkQueueOptions = {
    file: join(dir, 'queue.sqlite'),
    queue: `q-${randomBytes(4).toString('hex')}`,
    ...options,
  };
  const opened: WorkQueue[] = [openSqliteWorkQueue(settings)];
  return {
    queue: opened[0]!,
    openAnother: () => {
      const queue = openSqliteWorkQueue(settings);
      opened.push(queue);
      return Promise.resolve(queue);
    },
    cleanup: async () => {
      for (const queue of opened) await queue.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('sqliteWorkQueue (local specifics)', () => {
  const dirs: string[] = [];
  const queues: WorkQueue[] = [];
  const setup = async () => {
    const dir = await tempDir();
    dirs.push(dir);
    let clock = 1_700_000_000_000;
    const open = (options: Partial<SqliteWorkQueueOptions> = {}): WorkQueue => {
      const queue = openSqliteWorkQueue({
        file: join(dir, 'q.sqlite'),
        queue: 'work',
        now: () => clock,
        lockDurationMs: 1_000,
        ...options,
      });
      queues.push(queue);
      return queue;
    };
    return { dir, open, advance: (ms: number) => (clock += ms) };
  };
  afterEach(async () => {
    for (const queue of queues.splice(0)) await queue.close();
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it('several processes consuming one file complete every message exactly once', async () => {
    const { dir, open } = await setup();
    const file = join(dir, 'shared.sqlite');
    const producer = open({ file, queue: 'shared', now: Date.now });
    const ids = Array.from({ length: 300 }, (_, n) => `m-${n}`);
    await producer.send(ids.map((messageId, n) => ({ messageId, body: { n } })));
    const barrier = join(dir, 'barrier');
    await mkdir(barrier);
    const consumers = ['c1', 'c2', 'c3'];
    const outputs = await Promise.all(
      consumers.map((c) =>
        runTsxScript('queueConsumer.ts', [file, 'shared', '4', barrier, String(consumers.length), c]),
      ),
    );
    const results = outputs.map((out) =>
      lastJsonLine<{ received: string[]; completed: string[]; lockLost: string[] }>(out),
    );
    const received = results.flatMap((r) => r.received);
    const completed = results.flatMap((r) => r.completed);
    expect(results.flatMap((r) => r.lockLost)).toEqual([]);
    expect(received).toHaveLength(ids.length);
    expect(new Set(received).size).toBe(ids.length);
    expect([...completed].sort()).toEqual([...ids].sort());
    expect(results.filter((r) => r.completed.length > 0).length).toBeGreaterThanOrEqual(2); // they really overlapped
    expect(await producer.countActive()).toBe(0);
  });

  it('a message whose lock expires on its last allowed delivery is dead-lettered, not redelivered', async () => {
    const { open, advance } = await setup();
    const queue = open({ maxDeliveryCount: 2 });
    await queue.send([{ messageId: 'poison', body: 1 }]);
    expect((await queue.receive())[0]?.deliveryCount).toBe(1);
    advance(1_001);
    expect((await queue.receive())[0]?.deliveryCount).toBe(2);
    advance(1_001);
    expect(await queue.receive()).toEqual([]);
    const [dead] = await queue.peekDeadLetters();
    expect(dead).toMatchObject({
      messageId: 'poison',
      deadLetterReason: MAX_DELIVERY_COUNT_EXCEEDED,
      deliveryCount: 2,
    });
    expect(dead?.deadLetterErrorDescription).toContain('2 delivery attempts');
  });

  it('forgets message ids once the duplicate-detection window has passed', async () => {
    const { open, advance } = await setup();
    const queue = open({ duplicateDetectionWindowMs: 60_000 });
    await queue.send([{ messageId: 'same', body: 1 }]);
    advance(59_000);
    await queue.send([{ messageId: 'same', body: 2 }]);
    expect(await queue.countActive()).toBe(1);
    advance(1_001);
    await queue.send([{ messageId: 'same', body: 3 }]);
    expect(await queue.countActive()).toBe(2);
  });

  it('delivers a scheduled message once the clock reaches its time', async () => {
    const { open, advance } = await setup();
    const queue = open();
    await queue.send([{ messageId: 's', body: 's', scheduledEnqueueTime: new Date(1_700_000_000_000 + 5_000) }]);
    advance(4_999);
    expect(await queue.receive()).toEqual([]);
    advance(1);
    expect((await queue.receive())[0]?.messageId).toBe('s');
  });

  it('keeps named queues in one file apart', async () => {
    const { open } = await setup();
    const a = open({ queue: 'a' });
    const b = open({ queue: 'b' });
    await a.send([{ messageId: 'x', body: 'for a' }]);
    await b.send([{ messageId: 'x', body: 'for b' }]);
    expect(await a.countActive()).toBe(1);
    const [fromB] = await b.receive({ maxMessages: 5 });
    expect(fromB?.body).toBe('for b');
    await expect(a.complete(fromB!)).rejects.toThrow('lock lost');
    expect((await a.receive())[0]?.body).toBe('for a');
  });

  it('keeps active and dead-lettered messages across a reopen of the file', async () => {
    const { open } = await setup();
    const first = open();
    await first.send([
      { messageId: 'keep', body: 'k' },
      { messageId: 'dead', body: 'd' },
    ]);
    const [, dead] = await first.receive({ maxMessages: 2 });
    await first.deadLetter(dead!, { reason: 'R', description: 'D' });
    await first.close();
    const second = open();
    expect(await second.countActive()).toBe(2 - 1);
    expect((await second.peekDeadLetters()).map((m) => [m.messageId, m.deadLetterReason])).toEqual([['dead', 'R']]);
    await second.send([{ messageId: 'keep', body: 'duplicate' }]);
    expect(await second.countActive()).toBe(1);
  });

  it('rejects bad options and messages with InputError', async () => {
    const { dir, open } = await setup();
    expect(() => openSqliteWorkQueue({ file: join(dir, 'x.sqlite'), queue: 'q', lockDurationMs: 0 })).toThrow(
      InputError,
    );
    const queue = open();
    await expect(queue.send([{ messageId: '', body: 1 }])).rejects.toBeInstanceOf(InputError);
    await expect(queue.send([{ messageId: 'u', body: undefined }])).rejects.toBeInstanceOf(InputError);
    await expect(queue.receive({ maxMessages: 0 })).rejects.toBeInstanceOf(InputError);
    expect(await queue.countActive()).toBe(0);
  });
});
