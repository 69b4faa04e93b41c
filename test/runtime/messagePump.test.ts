import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteWorkQueue } from '../../src/adapters/local/sqliteWorkQueue.js';
import { PermanentError } from '../../src/core/errors.js';
import type { WorkQueue } from '../../src/ports/workQueue.js';
import { createRecordingLogger } from '../../src/hosting/logger.js';
import { runMessagePump, type MessagePumpOptions } from '../../src/hosting/messagePump.js';

/** A promise and the function that resolves it. */
function gate(): { open: () => void; opened: Promise<void> } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

const until = async (done: () => boolean, ms = 5000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('runMessagePump: the next message while one finishes (nextMayStart)', () => {
  let dir: string;
  let n = 0;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-pump-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function queueWith(ids: string[]): Promise<WorkQueue> {
    const name = `q${n++}`;
    const queue = openSqliteWorkQueue({
      file: join(dir, `${name}.sqlite`),
      queue: name,
      lockDurationMs: 5000,
      maxDeliveryCount: 3,
    });
    await queue.send(ids.map((id) => ({ messageId: id, body: { kind: 'style', jobId: 'j', shardId: id } })));
    return queue;
  }

  function start(queue: WorkQueue, handle: MessagePumpOptions['handle']) {
    const stop = new AbortController();
    const deadLettered: string[] = [];
    const running = runMessagePump(
      {
        queue,
        handle,
        log: createRecordingLogger(),
        waitMs: 50,
        onDeadLetter: (body) => {
          deadLettered.push((body as { shardId: string }).shardId);
          return Promise.resolve();
        },
      },
      stop.signal,
    );
    return { stop, running, deadLettered };
  }

  const idOf = (body: unknown) => (body as { shardId: string }).shardId;

  it('begins the next message once the handler says so; each is settled by its own outcome', async () => {
    const queue = await queueWith(['a', 'b', 'c']);
    const events: string[] = [];
    const bStarted = gate();
    const pump = start(queue, async (body, _signal, nextMayStart) => {
      const id = idOf(body);
      events.push(`start ${id}`);
      if (id === 'a') {
        nextMayStart();
        await bStarted.opened; // a's tail runs while b is in hand
        events.push('end a');
        throw new PermanentError('a failed after its model part');
      }
      if (id === 'b') bStarted.open();
      events.push(`end ${id}`);
    });
    await until(() => events.includes('end c'));
    pump.stop.abort();
    await pump.running;
    expect(events.slice(0, 3)).toEqual(['start a', 'start b', 'end b']);
    expect(pump.deadLettered).toEqual(['a']);
    expect(await queue.countActive()).toBe(0); // b and c completed, a dead-lettered
    await queue.close();
  });

  it('holds at most two messages, and one at a time when handlers never call it', async () => {
    for (const early of [true, false]) {
      const queue = await queueWith(['a', 'b', 'c', 'd']);
      let inHand = 0;
      let most = 0;
      let done = 0;
      const pump = start(queue, async (_body, _signal, nextMayStart) => {
        most = Math.max(most, ++inHand);
        if (early) nextMayStart();
        await new Promise((r) => setTimeout(r, 60));
        inHand -= 1;
        done += 1;
      });
      await until(() => done === 4);
      pump.stop.abort();
      await pump.running;
      expect(most, early ? 'with nextMayStart' : 'without').toBe(early ? 2 : 1);
      expect(await queue.countActive()).toBe(0);
      await queue.close();
    }
  });

  it('on stop, returns only after the message finishing in the background is settled', async () => {
    const queue = await queueWith(['a']);
    const tail = gate();
    let started = false;
    const pump = start(queue, async (_body, _signal, nextMayStart) => {
      started = true;
      nextMayStart();
      await tail.opened;
    });
    await until(() => started);
    pump.stop.abort();
    let returned = false;
    void pump.running.then(() => {
      returned = true;
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(returned).toBe(false);
    tail.open();
    await pump.running;
    expect(await queue.countActive()).toBe(0); // completed, not left locked
    await queue.close();
  });
});
