import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fnv1a32, partitionForKey } from '../../../src/adapters/local/partitionHash.js';
import { openSqliteEventLog, type SqliteEventLogOptions } from '../../../src/adapters/local/sqliteEventLog.js';
import { InputError } from '../../../src/core/errors.js';
import type { EventLog, EventRecord } from '../../../src/ports/eventLog.js';
import { eventLogContract } from '../../contracts/eventLog.contract.js';
import { lastJsonLine, runTsxScript } from '../../support/runTsxScript.js';

const tempDir = (): Promise<string> => mkdtemp(join(tmpdir(), 'tessera-events-'));

eventLogContract('sqliteEventLog', async () => {
  const dir = await tempDir();
  const settings: SqliteEventLogOptions = {
    file: join(dir, 'events.sqlite'),
    name: `log-${randomBytes(4).toString('hex')}`,
    partitions: 4,
  };
  const opened: EventLog[] = [openSqliteEventLog(settings)];
  return {
    log: opened[0]!,
    reopen: () => {
      const log = openSqliteEventLog(settings);
      opened.push(log);
      return Promise.resolve(log);
    },
    cleanup: async () => {
      for (const log of opened) await log.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('sqliteEventLog (local specifics)', () => {
  const dirs: string[] = [];
  const logs: EventLog[] = [];
  const setup = async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const open = (options: Partial<SqliteEventLogOptions> = {}): EventLog => {
      const log = openSqliteEventLog({ file: join(dir, 'events.sqlite'), name: 'readings', partitions: 4, ...options });
      logs.push(log);
      return log;
    };
    return { dir, open };
  };
  afterEach(async () => {
    for (const log of logs.splice(0)) await log.close();
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it('hashes keys with FNV-1a (32-bit) over UTF-8, modulo the partition count', async () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
    expect(partitionForKey('foobar', 7)).toBe(0xbf9cf968 % 7);
    const { open } = await setup();
    const log = open();
    for (const key of ['1', '2', '3', 'device-\u00e9']) {
      expect((await log.append(key, [{ body: key }]))[0]!.partition).toBe(fnv1a32(key) % 4);
    }
  });

  it('starts every partition empty, cycles keyless appends over all of them, and offsets count body bytes', async () => {
    const { open } = await setup();
    const log = open({ partitions: 3 });
    expect(await Promise.all([0, 1, 2].map((p) => log.lastSequenceNumber(p)))).toEqual([-1, -1, -1]);
    const parts: number[] = [];
    for (let n = 0; n < 6; n++) parts.push((await log.append(undefined, [{ body: 'ab' }]))[0]!.partition);
    expect(parts).toEqual([0, 1, 2, 0, 1, 2]);
    await expect(open({ partitions: 3 }).append(undefined, [{ body: '' }])).resolves.toMatchObject([{ partition: 0 }]); // the cursor is shared
    const records = await log.append('k', [{ body: '' }, { body: '\u00e9' }, { body: 'abc' }]);
    const base = Number(records[0]!.offset);
    expect(records.map((r) => Number(r.offset) - base)).toEqual([0, 1, 4]);
    expect(await log.append('k', [])).toEqual([]);
  });

  it('appends and reads 1000 events in one call each', async () => {
    const { open } = await setup();
    const log = open();
    const records = await log.append(
      'bulk',
      Array.from({ length: 1000 }, (_, n) => ({ body: `{"n":${n}}` })),
    );
    const p = records[0]!.partition;
    const read = await log.read(p, 0, 1000);
    expect(read).toHaveLength(1000);
    expect(read.map((r) => r.sequenceNumber)).toEqual(Array.from({ length: 1000 }, (_, n) => n));
    expect((await log.read(p, 990, 1000)).map((r) => r.body)).toEqual(records.slice(990).map((r) => r.body));
  });

  it('several processes appending at once: every event exactly once, sequence numbers contiguous, per-key order kept', async () => {
    const { dir, open } = await setup();
    const file = join(dir, 'shared.sqlite');
    const log = open({ file, name: 'shared', partitions: 3 });
    const barrier = join(dir, 'barrier');
    await mkdir(barrier);
    const appenders = ['a1', 'a2'];
    const perAppender = 1_200;
    const outputs = await Promise.all(
      appenders.map((a) =>
        runTsxScript('eventAppender.ts', [
          file,
          'shared',
          '3',
          barrier,
          String(appenders.length),
          a,
          String(perAppender),
          '10',
        ]),
      ),
    );
    const returned = outputs.flatMap((out) => lastJsonLine<{ records: [number, number, string][] }>(out).records);
    expect(returned).toHaveLength(appenders.length * perAppender);

    const all: EventRecord[] = [];
    for (let p = 0; p < 3; p++) {
      const records = await log.read(p, 0, 10_000);
      expect(records.map((r) => r.sequenceNumber)).toEqual(records.map((_, n) => n)); // no gap, no duplicate
      expect(await log.lastSequenceNumber(p)).toBe(records.length - 1);
      all.push(...records);
    }
    const bodies = all.map((r) => r.body);
    expect(new Set(bodies).size).toBe(appenders.length * perAppender);
    expect(all.map((r) => `${r.partition}/${r.sequenceNumber}/${r.body}`).sort()).toEqual(
      returned.map((r) => r.join('/')).sort(),
    );
    // Each appender's events for one key sit in one partition, in the order it sent them.
    const seen = new Map<string, { partition: number; n: number }>();
    for (const r of all.filter((x) => x.partitionKey !== undefined)) {
      const { appender, n } = JSON.parse(r.body) as { appender: string; n: number };
      const stream = `${appender}/${r.partitionKey}`;
      const previous = seen.get(stream);
      if (previous) {
        expect(r.partition).toBe(previous.partition);
        expect(n).toBeGreaterThan(previous.n);
      }
      seen.set(stream, { partition: r.partition, n });
    }
    const switches = all.filter(
      (r, i) => i > 0 && all[i - 1]!.partition === r.partition && all[i - 1]!.body.slice(0, 18) !== r.body.slice(0, 18),
    );
    expect(switches.length).toBeGreaterThan(2 * 3); // the appenders really interleaved, not one after the other
  });

  it('refuses to open a log with another partition count than it was created with, naming both', async () => {
    const { dir, open } = await setup();
    await open({ partitions: 4 }).append('k', [{ body: 'x' }]);
    const reopen = () => openSqliteEventLog({ file: join(dir, 'events.sqlite'), name: 'readings', partitions: 8 });
    expect(reopen).toThrow(InputError);
    expect(reopen).toThrow(/created with 4 partitions but opened with 8/);
    expect(open({ name: 'other', partitions: 8 }).partitions).toBe(8); // another log in the same file may differ
    expect(await open({ partitions: 4 }).lastSequenceNumber(fnv1a32('k') % 4)).toBe(0);
  });

  it('rejects bad options and arguments with InputError', async () => {
    const { dir, open } = await setup();
    const file = join(dir, 'x.sqlite');
    expect(() => openSqliteEventLog({ file, name: 'x', partitions: 0 })).toThrow(InputError);
    expect(() => openSqliteEventLog({ file, name: '', partitions: 2 })).toThrow(InputError);
    const log = open({ partitions: 2 });
    await expect(log.read(2, 0, 10)).rejects.toBeInstanceOf(InputError);
    await expect(log.read(0, -1, 10)).rejects.toBeInstanceOf(InputError);
    await expect(log.read(0, 0, 0)).rejects.toBeInstanceOf(InputError);
    await expect(log.lastSequenceNumber(-1)).rejects.toBeInstanceOf(InputError);
    await expect(log.getCheckpoint('', 0)).rejects.toBeInstanceOf(InputError);
    await expect(
      log.setCheckpoint({ consumerGroup: 'g', partition: 0, sequenceNumber: 1.5, offset: '0' }),
    ).rejects.toBeInstanceOf(InputError);
    await expect(
      log.append('k', [{ body: 'ok' }, { body: 'x', properties: { bad: Number.NaN } }]),
    ).rejects.toBeInstanceOf(InputError);
    expect([await log.lastSequenceNumber(0), await log.lastSequenceNumber(1)]).toEqual([-1, -1]); // nothing of the bad batch landed
  });
});
