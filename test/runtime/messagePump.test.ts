import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteWorkQueue } from '../../src/adapters/local/sqliteWorkQueue.js';
import { PermanentError, TransientError } from '../../src/core/errors.js';
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

  async function queueWith(ids: string[], lockDurationMs = 5000): Promise<WorkQueue> {
    const name = `q${n++}`;
    const queue = openSqliteWorkQueue({
      file: join(dir, `${name}.sqlite`),
      queue: name,
      lockDurationMs,
      maxDeliveryCount: 3,
    });
    await queue.send(ids.map((id) => ({ messageId: id, body: { kind: 'style', jobId: 'j', shardId: id } })));
    return queue;
  }

  function start(queue: WorkQueue, handle: MessagePumpOptions['handle'], retry?: MessagePumpOptions['retry']) {
    const stop = new AbortController();
    const deadLettered: string[] = [];
    const running = runMessagePump(
      {
        queue,
        handle,
        log: createRecordingLogger(),
        waitMs: 50,
        retry,
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

  it('retries a transient failure after the retry delay, doubling, and takes other messages meanwhile', async () => {
    const queue = await queueWith(['flaky', 'b', 'c']);
    const seen: { id: string; at: number }[] = [];
    const pump = start(
      queue,
      (body) => {
        seen.push({ id: idOf(body), at: Date.now() });
        return idOf(body) === 'flaky' ? Promise.reject(new TransientError('EACCES, for now')) : Promise.resolve();
      },
      { baseMs: 600, maxMs: 60_000 },
    );
    await until(() => pump.deadLettered.length === 1, 10_000);
    pump.stop.abort();
    await pump.running;
    expect(seen.map((s) => s.id)).toEqual(['flaky', 'b', 'c', 'flaky', 'flaky']);
    const tries = seen.filter((s) => s.id === 'flaky').map((s) => s.at);
    // Equal jitter: each wait is in the upper half of its step (600 ms, then 1200 ms).
    expect(tries[1]! - tries[0]!).toBeGreaterThanOrEqual(300);
    expect(tries[2]! - tries[1]!).toBeGreaterThanOrEqual(600);
    expect(pump.deadLettered).toEqual(['flaky']);
    const [dead] = await queue.peekDeadLetters();
    expect(dead?.deadLetterErrorDescription).toBe('failed 3 times; last error: EACCES, for now');
    await queue.close();
  });

  it('keeps a message whose handler runs three times longer than the lock, and completes it once', async () => {
    const lockMs = 1200; // renewed every 400 ms: only a stall of the event loop over 800 ms could lose it
    const queue = await queueWith(['slow'], lockMs);
    const other = openSqliteWorkQueue({
      file: join(dir, `q${n - 1}.sqlite`),
      queue: `q${n - 1}`,
      lockDurationMs: lockMs,
    });
    let handled = 0;
    let stolen = 0;
    let done = false;
    const pump = start(queue, async () => {
      handled += 1;
      // Meanwhile another client polls: it must never get the message, whose lock the pump renews.
      const deadline = Date.now() + 3 * lockMs;
      while (Date.now() < deadline) stolen += (await other.receive({ maxWaitMs: 20 })).length;
      done = true;
    });
    await until(() => done);
    await new Promise((r) => setTimeout(r, 100));
    pump.stop.abort();
    await pump.running;
    expect(stolen).toBe(0);
    expect(handled).toBe(1);
    expect(await queue.countActive()).toBe(0); // completed: the lock was still this pump's
    expect(await queue.peekDeadLetters()).toEqual([]);
    await other.close();
    await queue.close();
  });
});
