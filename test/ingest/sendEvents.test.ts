import { createReadStream, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path, { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { partitionForKey } from '../../src/adapters/local/partitionHash.js';
import { openSqliteEventLog } from '../../src/adapters/local/sqliteEventLog.js';
import { InputError } from '../../src/core/errors.js';
import { parseReadingRow } from '../../src/core/readings.js';
import { formatTimestamp } from '../../src/core/timestamps.js';
import { READING_SCHEMA, type ReadingEventBody } from '../../src/ingest/readingEvent.js';
import { sendEvents } from '../../src/ingest/sendEvents.js';
import type { EventLog, EventRecord } from '../../src/ports/eventLog.js';
import { fixturesDir } from '../support/fixtures.js';

const SENSOR_CSV = path.join(fixturesDir, 'sensors', 'batchai-sensor_data.csv');

async function readEverything(log: EventLog): Promise<EventRecord[]> {
  const all: EventRecord[] = [];
  for (let p = 0; p < log.partitions; p++) {
    for (let from = 0; ;) {
      const records = await log.read(p, from, 1_000);
      if (records.length === 0) break;
      all.push(...records);
      from = records.at(-1)!.sequenceNumber + 1;
    }
  }
  return all;
}

/** The consumer's limits, with a clock and a past horizon that take the fixtures' 2018 and 2024 readings. */
const WIDE = { limits: { maxPastMs: 20 * 365 * 86_400_000 }, now: () => Date.UTC(2024, 0, 2) };

const csv = (...rows: string[]): Readable => Readable.from([Buffer.from(['TS,Device,Tag,Value', ...rows].join('\n'))]);

describe('sendEvents', () => {
  const dirs: string[] = [];
  const logs: EventLog[] = [];
  const openLog = async (partitions = 4): Promise<EventLog> => {
    const dir = await mkdtemp(join(tmpdir(), 'tessera-send-'));
    dirs.push(dir);
    const log = openSqliteEventLog({ file: join(dir, 'events.sqlite'), name: 'readings', partitions });
    logs.push(log);
    return log;
  };
  afterEach(async () => {
    for (const log of logs.splice(0)) await log.close();
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it('sends the sensor fixture: every row once, each device in one partition in file order', async () => {
    const log = await openLog(4);
    const result = await sendEvents({ ...WIDE, log, input: createReadStream(SENSOR_CSV), inputName: SENSOR_CSV });
    const lines = readFileSync(SENSOR_CSV, 'utf8').trim().split('\n').slice(1);
    expect(lines).toHaveLength(17_768);
    expect(result).toMatchObject({
      sent: 17_768,
      aborted: false,
      rejectedRows: { rows: 17_768, badRows: 0, byReason: {} },
    });
    expect(result.batches).toBeGreaterThanOrEqual(17_768 / 100);

    const records = await readEverything(log);
    expect(records).toHaveLength(17_768);
    const bodies = records.map((r) => JSON.parse(r.body) as ReadingEventBody);
    expect(new Set(bodies.map((b) => b.id)).size).toBe(17_768);
    const byDevice = new Map<string, { partitions: Set<number>; rows: string[] }>();
    records.forEach((r, i) => {
      const body = bodies[i]!;
      expect(body.schema).toBe(READING_SCHEMA);
      expect(r.partitionKey).toBe(body.deviceId);
      const entry = byDevice.get(body.deviceId) ?? { partitions: new Set(), rows: [] };
      entry.partitions.add(r.partition);
      entry.rows.push(`${body.ts},${body.tag},${body.value}`);
      byDevice.set(body.deviceId, entry);
    });
    expect([...byDevice.keys()].sort()).toEqual(['1', '2', '3']);
    for (const [device, entry] of byDevice) {
      expect([...entry.partitions]).toEqual([partitionForKey(device, 4)]);
      const expected = lines
        .map((line) => parseReadingRow(line))
        .flatMap((row) =>
          row.ok && row.reading.device === device
            ? [`${formatTimestamp(row.reading.ts)},${row.reading.tag},${row.reading.value}`]
            : [],
        );
      expect(entry.rows).toEqual(expected); // file order, since a partition is read in sequence order
    }
  });

  it('paces to the given rate (a loose lower bound only)', async () => {
    const log = await openLog(2);
    const rows = Array.from(
      { length: 500 },
      (_, n) => `2024-01-01T00:00:${String(n % 60).padStart(2, '0')}Z,d${n % 3},t,${n}`,
    );
    const started = performance.now();
    const result = await sendEvents({
      ...WIDE,
      log,
      input: csv(...rows),
      inputName: 'paced.csv',
      ratePerSecond: 2_000,
    });
    const elapsed = performance.now() - started;
    expect(result.sent).toBe(500);
    expect(elapsed).toBeGreaterThanOrEqual(200); // 500 events at 2000/s, starting with an empty bucket: ~250 ms
    expect((await readEverything(log)).length).toBe(500);
  });

  it('reports malformed rows with their line numbers and does not send them', async () => {
    const log = await openLog(2);
    const result = await sendEvents({
      ...WIDE,
      log,
      inputName: 'messy.csv',
      input: csv(
        '2024-01-01T00:00:00Z,d1,t,1', // line 2
        'not a timestamp,d1,t,2', //      line 3
        '2024-01-01T00:00:02Z,d1,t', //   line 4
        '',
        '2024-01-01T00:00:04Z,d1,t,abc', // line 6
        '2024-01-01T00:00:05Z,d2,t,NaN', // line 7
        '2024-01-01T00:00:06Z,,t,6', //   line 8
        '2024-01-01T00:00:07Z,d2,t,7', // line 9
      ),
      batchSize: 1,
    });
    expect(result.sent).toBe(2);
    expect(result.batches).toBe(2);
    expect(result.rejectedRows.rows).toBe(7);
    expect(result.rejectedRows.badRows).toBe(5);
    expect(
      Object.fromEntries(Object.entries(result.rejectedRows.byReason).map(([reason, e]) => [reason, e.firstRows])),
    ).toEqual({
      'unparseable timestamp': [3],
      'wrong column count': [4],
      'non-numeric value': [6],
      'non-finite value': [7],
      'empty device or tag': [8],
    });
    const sent = (await readEverything(log)).map((r) => JSON.parse(r.body) as ReadingEventBody);
    expect(sent.map((b) => [b.deviceId, b.ts, b.value]).sort()).toEqual([
      ['d1', '2024-01-01T00:00:00Z', 1],
      ['d2', '2024-01-01T00:00:07Z', 7],
    ]);
  });

  it('builds a versioned body with an id stable across sends and distinct across readings', async () => {
    const log = await openLog(1);
    const rows = ['2018-08-28 23:00:05.000,1,1,10.16', '2018-08-28 23:00:05.000,1,4,84.53'];
    await sendEvents({ ...WIDE, log, input: csv(...rows), inputName: 'a.csv' });
    await sendEvents({ ...WIDE, log, input: csv(...rows), inputName: 'other-name.csv' });
    const bodies = (await readEverything(log)).map((r) => JSON.parse(r.body) as Record<string, unknown>);
    expect(Object.keys(bodies[0]!)).toEqual(['schema', 'id', 'deviceId', 'tag', 'ts', 'value']);
    expect(bodies[0]).toMatchObject({
      schema: 'tessera.reading/v1',
      deviceId: '1',
      tag: '1',
      ts: '2018-08-28T23:00:05Z',
      value: 10.16,
    });
    expect(bodies[0]!.id).toMatch(/^[0-9a-f]{32}$/);
    expect(bodies.map((b) => b.id)).toEqual([bodies[0]!.id, bodies[1]!.id, bodies[0]!.id, bodies[1]!.id]);
    expect(bodies[0]!.id).not.toBe(bodies[1]!.id);
  });

  it('checks JSON lines as the consumer will: sends the good ones as they are, keyed by deviceId, and reports the rest by line', async () => {
    const log = await openLog(4);
    const lines = [
      '{"schema":"tessera.reading/v1","id":"a","deviceId":"7","tag":"t","ts":"2024-01-01T00:00:00Z","value":1}',
      '[{"deviceId":"7","tag":"t","ts":"2024-01-01T00:00:01Z","value":2}]',
      '{not json',
      '',
      '{"deviceId":7}',
      '{"schema":"tessera.reading/v1","readings":[{"deviceId":"8","tag":"t","ts":"2024-01-01T00:00:02Z","value":3},{"deviceId":"8","tag":"","ts":"2024-01-01T00:00:02Z","value":3}]}',
      '{"schema":"tessera.reading/v1","readings":[{"deviceId":"9","tag":"t","ts":"2024-01-01T00:00:03Z","value":4}]}',
    ];
    const result = await sendEvents({
      ...WIDE,
      log,
      input: Readable.from([Buffer.from(lines.join('\n'))]),
      inputName: 'stdin',
    });
    expect(result.sent).toBe(2);
    expect(
      Object.fromEntries(Object.entries(result.rejectedRows.byReason).map(([reason, e]) => [reason, e.firstRows])),
    ).toEqual({
      'not an object': [2],
      'malformed json': [3],
      'wrong type': [5],
      'invalid device or tag': [6],
    });
    expect(result.rejectedRows.byReason['invalid device or tag']!.example).toMatch(/^line 6: reading 1: /);
    const records = await readEverything(log);
    expect(records.map((r) => r.body).sort()).toEqual([lines[0], lines[6]].sort());
    expect(records.map((r) => r.partitionKey).sort()).toEqual(['7', '9']);
  });

  it('does not send what the consumer would dead-letter: history beyond the live horizon is reported, with its lines', async () => {
    const log = await openLog(4);
    const rows = readFileSync(SENSOR_CSV, 'utf8').trim().split('\n').slice(1, 20);
    const result = await sendEvents({ log, input: csv(...rows), inputName: 'sample.csv', limits: {} });
    expect(result.sent).toBe(0);
    expect(result.ranges).toEqual([]);
    expect(result.rejectedRows.byReason).toEqual({
      'timestamp too far in the past': {
        count: 19,
        firstRows: [2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
        example: expect.stringMatching(/^line 2: 2018-08-28T23:00:05\.000Z is \d+ ms beyond the limit/),
      },
    });
    expect(await readEverything(log)).toEqual([]);
  });

  it('with backfill, marks every reading, CSV row or JSON line, and sends history within the backfill horizon', async () => {
    const log = await openLog(4);
    const rows = readFileSync(SENSOR_CSV, 'utf8').trim().split('\n').slice(1, 20);
    const result = await sendEvents({ log, input: csv(...rows), inputName: 'sample.csv', limits: {}, backfill: true });
    expect(result).toMatchObject({ sent: 19, rejectedRows: { badRows: 0 } });
    const json = [
      '{"deviceId":"7","tag":"t","ts":"2018-01-01T00:00:00Z","value":1}',
      '{"schema":"tessera.reading/v1","readings":[{"deviceId":"8","tag":"t","ts":"2018-01-01T00:00:00Z","value":2}]}',
      '{"deviceId":"7","tag":"t","ts":"1990-01-01T00:00:00Z","value":1}',
    ];
    const more = await sendEvents({
      log,
      input: Readable.from([json.join('\n')]),
      inputName: 'history.jsonl',
      limits: {},
      backfill: true,
    });
    expect(more.sent).toBe(2);
    expect(Object.keys(more.rejectedRows.byReason)).toEqual(['timestamp too far in the past']); // 1990: beyond 20 years
    const bodies = (await readEverything(log)).map((r) => JSON.parse(r.body) as Record<string, unknown>);
    expect(bodies).toHaveLength(21);
    const readings = bodies.flatMap((b) =>
      Array.isArray(b.readings) ? (b.readings as Record<string, unknown>[]) : [b],
    );
    expect(readings.every((r) => r.backfill === true)).toBe(true);
  });

  it('returns the sequence numbers it appended, per partition', async () => {
    const log = await openLog(4);
    const rows = Array.from({ length: 9 }, (_, n) => `2024-01-01T00:00:0${n}Z,d${n % 3},t,${n}`);
    const result = await sendEvents({ ...WIDE, log, input: csv(...rows), inputName: 'r.csv', batchSize: 2 });
    const records = await readEverything(log);
    const expected = [...new Set(records.map((r) => r.partition))].sort().map((partition) => {
      const seqs = records.filter((r) => r.partition === partition).map((r) => r.sequenceNumber);
      return { partition, first: Math.min(...seqs), last: Math.max(...seqs) };
    });
    expect(result.ranges).toEqual(expected);
  });

  it('rejects a wrong header with an InputError naming the input, and sends nothing', async () => {
    const log = await openLog(1);
    const input = Readable.from([Buffer.from('timestamp,value\n2013-12-02 21:15:00,73.9\n')]);
    await expect(sendEvents({ ...WIDE, log, input, inputName: 'nab.csv' })).rejects.toThrow(InputError);
    await expect(sendEvents({ ...WIDE, log, input: csv(), inputName: 'x', batchSize: 0 })).rejects.toThrow(InputError);
    await expect(sendEvents({ ...WIDE, log, input: csv(), inputName: 'x', ratePerSecond: 0 })).rejects.toThrow(
      InputError,
    );
    expect(await log.lastSequenceNumber(0)).toBe(-1);
  });

  it('stops cleanly on abort while waiting for input, after sending what it read', async () => {
    const log = await openLog(2);
    const input = new PassThrough();
    input.write('TS,Device,Tag,Value\n');
    for (let n = 0; n < 5; n++) input.write(`2024-01-01T00:00:0${n}Z,d${n % 2},t,${n}\n`);
    const controller = new AbortController();
    const sending = sendEvents({ ...WIDE, log, input, inputName: 'stdin', signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    const result = await sending; // the input never ends: only the abort can finish it
    expect(result).toMatchObject({ sent: 5, aborted: true });
    expect((await readEverything(log)).length).toBe(5);
    expect(input.destroyed).toBe(true);
  });
});
