import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, test } from 'vitest';
import { OwnershipLostError } from '../../src/core/errors.js';
import type { EventLog, EventRecord, OutgoingEvent } from '../../src/ports/eventLog.js';

export interface EventLogHarness {
  /**
   * A log with at least one partition. Fresh where the adapter can make one; the suite never assumes it is
   * empty (an Event Hub is shared): it works from each partition's last sequence number and unique keys.
   */
  readonly log: EventLog;
  /** Opens another instance over the same location (another process's view); durability tests need it. */
  readonly reopen?: () => Promise<EventLog>;
  /** Closes every instance (some may be closed already) and removes what `make` created. */
  readonly cleanup: () => Promise<void>;
}

const unique = (label: string): string => `${label}-${randomBytes(6).toString('hex')}`;

/** Offsets are opaque strings; the decimal ones (Event Hubs', the local log's) compare as numbers. */
function offsetBefore(a: string, b: string): boolean {
  return /^\d+$/.test(a) && /^\d+$/.test(b) ? BigInt(a) < BigInt(b) : a < b;
}

/** A record as plain data, for equality across reads and instances. */
const plain = (r: EventRecord) => ({ ...r, enqueuedTime: r.enqueuedTime.getTime() });

const lastOfEach = (log: EventLog): Promise<number[]> =>
  Promise.all(Array.from({ length: log.partitions }, (_, p) => log.lastSequenceNumber(p)));

/** Reads `count` events from `from` on, however many reads that takes (a remote log may return fewer than asked). */
async function readCount(log: EventLog, partition: number, from: number, count: number): Promise<EventRecord[]> {
  const out: EventRecord[] = [];
  const deadline = Date.now() + 10_000;
  while (out.length < count && Date.now() < deadline) {
    out.push(...(await log.read(partition, from + out.length, count - out.length, { waitMs: 1_000 })));
  }
  return out;
}

const events = (label: string, count: number): OutgoingEvent[] =>
  Array.from({ length: count }, (_, n) => ({ body: JSON.stringify({ label, n }) }));

/** How the suite runs, not what it asks of the log. */
export interface EventLogSuiteOptions {
  /**
   * Run the tests concurrently: for an adapter whose `make` gives each test a log of its own (the test
   * broker: a hub per test), where a test mostly waits on round trips rather than computing.
   */
  readonly concurrent?: boolean;
}

/** The EventLog contract (see src/ports/eventLog.ts), run against any adapter. */
export function eventLogContract(
  name: string,
  make: () => Promise<EventLogHarness>,
  suite: EventLogSuiteOptions = {},
): void {
  /** Each test's own harness (a fixture, not a shared variable, so that tests may run concurrently). */
  const it = test.extend<{ h: EventLogHarness; log: EventLog }>({
    h: async ({}, use) => {
      const h = await make();
      try {
        await use(h);
      } finally {
        await h.cleanup();
      }
    },
    log: async ({ h }, use) => use(h.log),
  });

  describe(`EventLog contract: ${name}`, { timeout: 30_000, concurrent: suite.concurrent }, () => {
    it('has a name and a fixed number of partitions, numbered 0..partitions-1', async ({ log }) => {
      expect(typeof log.name).toBe('string');
      expect(log.name.length).toBeGreaterThan(0);
      expect(Number.isInteger(log.partitions)).toBe(true);
      expect(log.partitions).toBeGreaterThanOrEqual(1);
      for (const last of await lastOfEach(log)) {
        expect(Number.isInteger(last)).toBe(true);
        expect(last).toBeGreaterThanOrEqual(-1);
      }
    });

    it('lastSequenceNumber is -1 exactly for an empty partition, else the newest event', async ({ log }) => {
      for (const [p, last] of (await lastOfEach(log)).entries()) {
        if (last === -1) expect(await log.read(p, 0, 5)).toEqual([]);
        else expect((await log.read(p, last, 5)).map((r) => r.sequenceNumber)).toEqual([last]);
      }
      const [record] = await log.append(unique('device'), [{ body: 'x' }]);
      expect(await log.lastSequenceNumber(record!.partition)).toBe(record!.sequenceNumber);
      expect(record!.sequenceNumber).toBeGreaterThanOrEqual(0);
    });

    it('appends a batch to one partition in order: contiguous sequence numbers, increasing offsets, bodies byte for byte', async ({
      log,
    }) => {
      const before = await lastOfEach(log);
      const key = unique('device');
      const batch: OutgoingEvent[] = [
        { body: '{"deviceId":"d","value":1}' },
        { body: 'h\u00e9llo \u2713 \u{1D11E} \u65e5\u672c', properties: { kind: 'text', attempt: 2, final: false } },
        { body: 'line one\nline "two"\r\n\ttabbed \\ backslash' },
        { body: 'x'.repeat(10_000) },
        { body: '[]', properties: { n: 1.5 } },
      ];
      const records = await log.append(key, batch);
      expect(records).toHaveLength(batch.length);
      const p = records[0]!.partition;
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(log.partitions);
      expect(records[0]!.sequenceNumber).toBe(before[p]! + 1);
      records.forEach((r, i) => {
        expect(r.partition).toBe(p);
        expect(r.sequenceNumber).toBe(records[0]!.sequenceNumber + i);
        expect(r.partitionKey).toBe(key);
        expect(r.body).toBe(batch[i]!.body);
        expect(r.properties).toEqual(batch[i]!.properties ?? {});
        expect(r.enqueuedTime).toBeInstanceOf(Date);
        expect(Number.isNaN(r.enqueuedTime.getTime())).toBe(false);
        if (i > 0) expect(offsetBefore(records[i - 1]!.offset, r.offset)).toBe(true);
      });
      expect(await log.lastSequenceNumber(p)).toBe(records.at(-1)!.sequenceNumber);
      const read = await readCount(log, p, records[0]!.sequenceNumber, batch.length);
      expect(read.map(plain)).toEqual(records.map(plain));
    });

    it('puts the same key in the same partition every time, from every instance; different keys spread', async ({
      h,
      log,
    }) => {
      const key = unique('device');
      const partitions: number[] = [];
      for (let n = 0; n < 3; n++)
        partitions.push(...(await log.append(key, [{ body: `${n}` }])).map((r) => r.partition));
      if (h.reopen) {
        const other = await h.reopen();
        partitions.push(...(await other.append(key, [{ body: 'other' }])).map((r) => r.partition));
      }
      expect(new Set(partitions).size).toBe(1);
      if (log.partitions > 1) {
        const spread = new Set<number>();
        for (let n = 0; n < 32; n++) spread.add((await log.append(unique('k'), [{ body: 'spread' }]))[0]!.partition);
        expect(spread.size).toBeGreaterThan(1);
      }
    });

    it('sends keyless appends round-robin over the partitions', async ({ log }) => {
      const used: number[] = [];
      for (let n = 0; n < 4 * log.partitions; n++) {
        const records = await log.append(undefined, events(unique('rr'), 2));
        expect(records.map((r) => r.partitionKey)).toEqual([undefined, undefined]);
        expect(records[1]!.partition).toBe(records[0]!.partition);
        expect(records[1]!.sequenceNumber).toBe(records[0]!.sequenceNumber + 1);
        used.push(records[0]!.partition);
      }
      expect(new Set(used).size).toBe(log.partitions);
    });

    it('reads from a sequence number on, at most max, and nothing past the end', async ({ log }) => {
      const records = await log.append(unique('device'), events(unique('range'), 10));
      const p = records[0]!.partition;
      const first = records[0]!.sequenceNumber;
      const last = records.at(-1)!.sequenceNumber;
      const some = await log.read(p, first + 4, 3);
      expect(some.length).toBeGreaterThan(0);
      expect(some.length).toBeLessThanOrEqual(3);
      expect(some.map((r) => r.sequenceNumber)).toEqual(Array.from({ length: some.length }, (_, i) => first + 4 + i));
      const tail = await readCount(log, p, first + 4, 6);
      expect(tail.map(plain)).toEqual(records.slice(4).map(plain));
      expect(await log.read(p, last + 1, 10)).toEqual([]);
      expect(await log.read(p, last + 1_000, 10)).toEqual([]);
    });

    it('a waiting read wakes up when another appender adds an event', async ({ h, log }) => {
      const key = unique('device');
      const [mark] = await log.append(key, [{ body: 'mark' }]);
      const appender = h.reopen ? await h.reopen() : log;
      const started = Date.now();
      const waiting = log.read(mark!.partition, mark!.sequenceNumber + 1, 10, { waitMs: 15_000 });
      await sleep(150);
      await appender.append(key, [{ body: 'arrived' }]);
      const got = await waiting;
      expect(Date.now() - started).toBeGreaterThanOrEqual(100);
      expect(got.map((r) => [r.sequenceNumber, r.body])).toEqual([[mark!.sequenceNumber + 1, 'arrived']]);
    });

    it('a waiting read with nothing arriving returns an empty array after waitMs', async ({ log }) => {
      const [mark] = await log.append(unique('device'), [{ body: 'mark' }]);
      const started = Date.now();
      expect(await log.read(mark!.partition, mark!.sequenceNumber + 1, 10, { waitMs: 200 })).toEqual([]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    });

    it('an aborted signal ends a waiting read with an empty array', async ({ log }) => {
      const [mark] = await log.append(unique('device'), [{ body: 'mark' }]);
      const next = mark!.sequenceNumber + 1;
      const aborted = AbortSignal.abort();
      expect(await log.read(mark!.partition, next, 10, { waitMs: 600_000, signal: aborted })).toEqual([]);
      const controller = new AbortController();
      const waiting = log.read(mark!.partition, next, 10, { waitMs: 600_000, signal: controller.signal });
      await sleep(50);
      controller.abort();
      expect(await waiting).toEqual([]); // only the abort can end it within the test's timeout
    });

    it('reading removes nothing: a range reads the same again, from another instance, after a checkpoint', async ({
      h,
      log,
    }) => {
      const records = await log.append(unique('device'), events(unique('again'), 5));
      const p = records[0]!.partition;
      const from = records[0]!.sequenceNumber;
      const first = await readCount(log, p, from, 5);
      await log.setCheckpoint({
        consumerGroup: unique('cg'),
        partition: p,
        sequenceNumber: records[4]!.sequenceNumber,
        offset: records[4]!.offset,
      });
      const second = await readCount(log, p, from, 5);
      expect(second.map(plain)).toEqual(first.map(plain));
      expect(first.map(plain)).toEqual(records.map(plain));
      if (h.reopen) expect((await readCount(await h.reopen(), p, from, 5)).map(plain)).toEqual(records.map(plain));
    });

    it('keeps checkpoints per consumer group and partition', async ({ log }) => {
      const records = await log.append(unique('device'), events(unique('cp'), 6));
      const p = records[0]!.partition;
      const [a, b] = [unique('cg-a'), unique('cg-b')];
      expect(await log.getCheckpoint(a, p)).toBeUndefined();
      const at = (group: string, n: number, partition = p) => ({
        consumerGroup: group,
        partition,
        sequenceNumber: records[n]!.sequenceNumber,
        offset: records[n]!.offset,
      });
      await log.setCheckpoint(at(a, 4));
      expect(await log.getCheckpoint(a, p)).toEqual(at(a, 4));
      expect(await log.getCheckpoint(b, p)).toBeUndefined();
      await log.setCheckpoint(at(b, 1));
      expect(await log.getCheckpoint(a, p)).toEqual(at(a, 4));
      expect(await log.getCheckpoint(b, p)).toEqual(at(b, 1));
      if (log.partitions > 1) {
        const q = (p + 1) % log.partitions;
        expect(await log.getCheckpoint(a, q)).toBeUndefined();
        await log.setCheckpoint(at(a, 0, q));
        expect(await log.getCheckpoint(a, q)).toEqual(at(a, 0, q));
        expect(await log.getCheckpoint(a, p)).toEqual(at(a, 4));
      }
    });

    it('moves a checkpoint only forward, also when writers race', async ({ h, log }) => {
      const records = await log.append(unique('device'), events(unique('fwd'), 21));
      const p = records[0]!.partition;
      const group = unique('cg');
      const at = (n: number, offset = records[n]!.offset) => ({
        consumerGroup: group,
        partition: p,
        sequenceNumber: records[n]!.sequenceNumber,
        offset,
      });
      await log.setCheckpoint(at(5));
      await log.setCheckpoint(at(3));
      expect(await log.getCheckpoint(group, p)).toEqual(at(5));
      await log.setCheckpoint(at(5, records[6]!.offset));
      expect(await log.getCheckpoint(group, p)).toEqual(at(5));
      await log.setCheckpoint(at(7));
      expect(await log.getCheckpoint(group, p)).toEqual(at(7));
      const writers = h.reopen ? [log, await h.reopen()] : [log];
      const order = Array.from({ length: 21 }, (_, n) => n).sort(() => Math.random() - 0.5);
      await Promise.all(order.map((n, i) => writers[i % writers.length]!.setCheckpoint(at(n))));
      expect(await log.getCheckpoint(group, p)).toEqual(at(20));
    });

    it('a newer claim fences every older owner: its checkpoints throw OwnershipLostError and move nothing', async ({
      h,
      log,
    }) => {
      const records = await log.append(unique('device'), events(unique('lease'), 10));
      const p = records[0]!.partition;
      const group = unique('cg');
      const at = (n: number) => ({
        consumerGroup: group,
        partition: p,
        sequenceNumber: records[n]!.sequenceNumber,
        offset: records[n]!.offset,
      });
      const old = await log.claimPartition(group, p, 'owner-old');
      expect(old).toMatchObject({ consumerGroup: group, partition: p, ownerId: 'owner-old' });
      await log.setCheckpoint(at(2), old);
      expect(await log.getCheckpoint(group, p)).toEqual(at(2));
      // The new owner claims from another instance (another process) where the adapter has one.
      const other = h.reopen ? await h.reopen() : log;
      const current = await other.claimPartition(group, p, 'owner-new');
      expect(current.epoch).toBeGreaterThan(old.epoch);
      await expect(log.setCheckpoint(at(6), old)).rejects.toBeInstanceOf(OwnershipLostError);
      await expect(other.setCheckpoint(at(7), old)).rejects.toBeInstanceOf(OwnershipLostError);
      expect(await other.getCheckpoint(group, p)).toEqual(at(2));
      await other.setCheckpoint(at(4), current);
      await log.setCheckpoint(at(3), current); // behind: ignored, as without a lease
      expect(await log.getCheckpoint(group, p)).toEqual(at(4));
      // Claims are per consumer group and partition: another group's owner is not fenced.
      const elsewhere = await log.claimPartition(unique('cg'), p, 'owner-x');
      await log.setCheckpoint({ ...at(5), consumerGroup: elsewhere.consumerGroup }, elsewhere);
      expect(await log.getCheckpoint(group, p)).toEqual(at(4));
    });

    it('claims racing from several instances get distinct epochs, and only the newest may commit', async ({
      h,
      log,
    }) => {
      const records = await log.append(unique('device'), events(unique('race'), 3));
      const p = records[0]!.partition;
      const group = unique('cg');
      const instances = h.reopen ? [log, await h.reopen(), await h.reopen()] : [log];
      const leases = await Promise.all(
        Array.from({ length: 6 }, (_, i) => instances[i % instances.length]!.claimPartition(group, p, `owner-${i}`)),
      );
      const epochs = leases.map((l) => l.epoch).sort((a, b) => a - b);
      expect(new Set(epochs).size).toBe(6);
      const checkpoint = {
        consumerGroup: group,
        partition: p,
        sequenceNumber: records[1]!.sequenceNumber,
        offset: records[1]!.offset,
      };
      const results = await Promise.allSettled(
        leases.map((l, i) => instances[i % instances.length]!.setCheckpoint(checkpoint, l)),
      );
      const newest = leases.findIndex((l) => l.epoch === epochs.at(-1));
      results.forEach((r, i) => {
        if (i === newest) expect(r.status).toBe('fulfilled');
        else expect(r.status === 'rejected' && r.reason instanceof OwnershipLostError, `lease ${i}`).toBe(true);
      });
      expect(await log.getCheckpoint(group, p)).toEqual(checkpoint);
    });

    it('a new instance over the same location sees every event and checkpoint and continues the sequence', async ({
      h,
      log,
      skip,
    }) => {
      if (!h.reopen) return skip();
      const key = unique('device');
      const records = await log.append(key, events(unique('durable'), 4));
      const p = records[0]!.partition;
      const group = unique('cg');
      const checkpoint = {
        consumerGroup: group,
        partition: p,
        sequenceNumber: records[2]!.sequenceNumber,
        offset: records[2]!.offset,
      };
      await log.setCheckpoint(checkpoint);
      const lasts = await lastOfEach(log);
      await log.close();

      const reopened = await h.reopen();
      expect(reopened.name).toBe(log.name);
      expect(reopened.partitions).toBe(log.partitions);
      expect(await lastOfEach(reopened)).toEqual(lasts);
      expect((await readCount(reopened, p, records[0]!.sequenceNumber, 4)).map(plain)).toEqual(records.map(plain));
      expect(await reopened.getCheckpoint(group, p)).toEqual(checkpoint);
      const [next] = await reopened.append(key, [{ body: 'after reopen' }]);
      expect(next!.partition).toBe(p);
      expect(next!.sequenceNumber).toBe(records.at(-1)!.sequenceNumber + 1);
      expect(offsetBefore(records.at(-1)!.offset, next!.offset)).toBe(true);
    });
  });
}
