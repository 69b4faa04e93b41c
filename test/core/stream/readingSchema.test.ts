import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parseTimestamp } from '../../../src/core/timestamps.js';
import { parseEventTime } from '../../../src/core/stream/eventTime.js';
import { fastSingleReading } from '../../../src/core/stream/fastReading.js';
import { READING_JSON_SCHEMA_V1 } from '../../../src/core/stream/readingJsonSchema.js';
import {
  decodeReadings,
  decodeReadingsGeneral,
  READING_SCHEMA_V1,
  utf8Length,
  type DecodeLimits,
} from '../../../src/core/stream/readingSchema.js';
import { seeded } from './streamFixtures.js';

const NOW = Date.UTC(2018, 7, 29, 0, 0, 0);
const limits: DecodeLimits = { nowMs: NOW, maxPastMs: 86_400_000, maxFutureMs: 60_000 };
const good = { deviceId: '1', tag: '4', ts: '2018-08-28T23:00:05Z', value: 84.53 };
const body = (o: unknown): string => JSON.stringify(o);

describe('decodeReadings: the v1 reading format', () => {
  it('keeps "backfill": true when the fast path has learned the layout without it, single and batched', () => {
    // Teach the fast path both layouts first, then send the same shapes marked as history.
    decodeReadings(body(good), limits);
    decodeReadings(body({ schema: READING_SCHEMA_V1, readings: [good, good] }), limits);
    for (const marked of [
      body({ ...good, backfill: true }),
      body({ backfill: true, ...good }),
      body({ schema: READING_SCHEMA_V1, readings: [good, { ...good, backfill: true }] }),
    ]) {
      const decoded = decodeReadings(marked, limits);
      expect(decoded, marked).toEqual(decodeReadingsGeneral(marked, limits));
      expect(decoded.readings.some((r) => r.backfill)).toBe(true);
    }
  });

  it('decodes the single form with an ISO timestamp, zone-less = UTC, and epoch milliseconds', () => {
    expect(decodeReadings(body(good), limits)).toEqual({
      readings: [
        {
          id: undefined,
          deviceId: '1',
          tag: '4',
          ts: Date.UTC(2018, 7, 28, 23, 0, 5),
          value: 84.53,
          properties: undefined,
          backfill: false,
        },
      ],
      rejects: [],
    });
    const zoneless = decodeReadings(body({ ...good, ts: '2018-08-28 23:00:05.250' }), limits);
    expect(zoneless.readings[0]?.ts).toBe(Date.UTC(2018, 7, 28, 23, 0, 5, 250));
    const offset = decodeReadings(body({ ...good, ts: '2018-08-29T01:00:05+02:00' }), limits);
    expect(offset.readings[0]?.ts).toBe(Date.UTC(2018, 7, 28, 23, 0, 5));
    const epoch = decodeReadings(body({ ...good, ts: Date.UTC(2018, 7, 28, 23, 0, 5, 7) }), limits);
    expect(epoch.readings[0]?.ts).toBe(Date.UTC(2018, 7, 28, 23, 0, 5, 7));
  });

  it('keeps schema, id and properties of the single form, and ignores unknown fields', () => {
    const r = decodeReadings(
      body({
        schema: READING_SCHEMA_V1,
        id: 'e-1',
        ...good,
        properties: { unit: 'C', calibrated: true, gain: 2 },
        extra: [1],
      }),
      limits,
    );
    expect(r.rejects).toEqual([]);
    expect(r.readings).toEqual([
      {
        id: 'e-1',
        deviceId: '1',
        tag: '4',
        ts: Date.UTC(2018, 7, 28, 23, 0, 5),
        value: 84.53,
        properties: { unit: 'C', calibrated: true, gain: 2 },
        backfill: false,
      },
    ]);
  });

  it('decodes a batch, keeping the good readings of a batch with bad ones, each reject with its index', () => {
    const r = decodeReadings(
      body({
        schema: READING_SCHEMA_V1,
        readings: [
          good,
          { ...good, value: 'NaN' },
          { ...good, tag: 7 },
          { ...good, ts: 1535497206000, value: -1 },
          { ...good, value: undefined },
        ],
      }),
      limits,
    );
    expect(r.readings.map((x) => [x.ts, x.value])).toEqual([
      [Date.UTC(2018, 7, 28, 23, 0, 5), 84.53],
      [1535497206000, -1],
    ]);
    expect(r.rejects.map((x) => [x.index, x.reason])).toEqual([
      [1, 'non-finite value'],
      [2, 'wrong type'],
      [4, 'missing field'],
    ]);
  });

  it('an empty batch is no readings and no rejects', () => {
    expect(decodeReadings(body({ schema: READING_SCHEMA_V1, readings: [] }), limits)).toEqual({
      readings: [],
      rejects: [],
    });
  });

  const cases: [string, string, string, number | null][] = [
    ['malformed JSON', '{"deviceId": "1", ', 'malformed json', null],
    ['binary garbage', '\u0000\u0001PK', 'malformed json', null],
    ['a JSON array', '[1,2]', 'not an object', null],
    ['a JSON number', '42', 'not an object', null],
    ['null', 'null', 'not an object', null],
    ['an unknown single schema version', body({ schema: 'tessera.reading/v2', ...good }), 'unknown schema version', 0],
    [
      'an unknown batch schema version',
      body({ schema: 'tessera.reading/v2', readings: [good] }),
      'unknown schema version',
      null,
    ],
    ['a batch without schema', body({ readings: [good] }), 'missing field', null],
    ['a batch whose readings is not an array', body({ schema: READING_SCHEMA_V1, readings: {} }), 'wrong type', null],
    ['a batch item that is not an object', body({ schema: READING_SCHEMA_V1, readings: [3] }), 'not an object', 0],
    ['a missing deviceId', body({ ...good, deviceId: undefined }), 'missing field', 0],
    ['a missing tag', body({ ...good, tag: undefined }), 'missing field', 0],
    ['a missing ts', body({ ...good, ts: undefined }), 'missing field', 0],
    ['a missing value', body({ ...good, value: undefined }), 'missing field', 0],
    ['a numeric deviceId', body({ ...good, deviceId: 1 }), 'wrong type', 0],
    ['an empty tag', body({ ...good, tag: '' }), 'invalid device or tag', 0],
    ['a NUL in deviceId', body({ ...good, deviceId: 'a\u0000b' }), 'invalid device or tag', 0],
    ['a value given as a numeric string', body({ ...good, value: '84.53' }), 'wrong type', 0],
    ['a boolean value', body({ ...good, value: true }), 'wrong type', 0],
    ['value "NaN"', body({ ...good, value: 'NaN' }), 'non-finite value', 0],
    ['value "Infinity"', body({ ...good, value: 'Infinity' }), 'non-finite value', 0],
    ['value "-inf"', body({ ...good, value: '-inf' }), 'non-finite value', 0],
    ['value null (JSON.stringify of NaN)', body({ ...good, value: NaN }), 'non-finite value', 0],
    [
      'value 1e999 (overflows to Infinity)',
      '{"deviceId":"1","tag":"4","ts":"2018-08-28T23:00:05Z","value":1e999}',
      'non-finite value',
      0,
    ],
    ['value -1e999', '{"deviceId":"1","tag":"4","ts":"2018-08-28T23:00:05Z","value":-1e999}', 'non-finite value', 0],
    ['ts 1e999', '{"deviceId":"1","tag":"4","ts":1e999,"value":1}', 'unparseable timestamp', 0],
    ['a fractional epoch ts', body({ ...good, ts: 1535497205000.5 }), 'unparseable timestamp', 0],
    ['an unparseable ts', body({ ...good, ts: 'yesterday' }), 'unparseable timestamp', 0],
    ['Feb 30', body({ ...good, ts: '2018-02-30T00:00:00Z' }), 'unparseable timestamp', 0],
    ['a boolean ts', body({ ...good, ts: true }), 'wrong type', 0],
    ['a numeric id', body({ ...good, id: 5 }), 'wrong type', 0],
    ['an empty id', body({ ...good, id: '' }), 'wrong type', 0],
    ['nested properties', body({ ...good, properties: { a: { b: 1 } } }), 'wrong type', 0],
    ['properties as an array', body({ ...good, properties: ['a'] }), 'wrong type', 0],
    ['a ts too far in the future', body({ ...good, ts: NOW + 60_001 }), 'timestamp too far in the future', 0],
    ['a ts too far in the past', body({ ...good, ts: NOW - 86_400_001 }), 'timestamp too far in the past', 0],
  ];
  it.each(cases)('rejects %s', (_name, text, reason, index) => {
    const r = decodeReadings(text, limits);
    expect(r.readings).toEqual([]);
    expect(r.rejects).toHaveLength(1);
    expect(r.rejects[0]).toMatchObject({ index, reason });
    expect(r.rejects[0]!.detail.length).toBeGreaterThan(0);
  });

  it('holds a reading marked backfill to the backfill horizon instead of the live one', () => {
    const old = { ...good, ts: NOW - 30 * 86_400_000 };
    const live = decodeReadings(body(old), limits);
    expect(live.rejects).toEqual([
      {
        index: 0,
        reason: 'timestamp too far in the past',
        detail: expect.stringContaining('send it marked "backfill": true'),
      },
    ]);
    const backfill = decodeReadings(body({ ...old, backfill: true }), limits);
    expect(backfill.rejects).toEqual([]);
    expect(backfill.readings[0]).toMatchObject({ ts: old.ts, backfill: true });
    const batch = decodeReadings(
      body({ schema: READING_SCHEMA_V1, readings: [{ ...old, backfill: true }, old] }),
      limits,
    );
    expect(batch.readings.map((r) => r.backfill)).toEqual([true]);
    expect(batch.rejects.map((r) => r.index)).toEqual([1]);
    const horizon = { ...limits, maxBackfillPastMs: 60 * 86_400_000 };
    expect(decodeReadings(body({ ...old, backfill: true }), horizon).rejects).toEqual([]);
    expect(decodeReadings(body({ ...old, ts: NOW - 61 * 86_400_000, backfill: true }), horizon).rejects).toMatchObject([
      { reason: 'timestamp too far in the past' },
    ]);
    expect(decodeReadings(body({ ...good, ts: NOW + 3_600_000, backfill: true }), limits).rejects).toMatchObject([
      { reason: 'timestamp too far in the future' },
    ]);
    expect(decodeReadings(body({ ...good, backfill: 1 }), limits).rejects).toMatchObject([
      { reason: 'wrong type', detail: expect.stringContaining('"backfill"') },
    ]);
    expect(decodeReadings(body({ ...good, backfill: false }), limits).readings).toHaveLength(1);
  });

  it('accepts timestamps exactly at the limits', () => {
    expect(decodeReadings(body({ ...good, ts: NOW + 60_000 }), limits).readings).toHaveLength(1);
    expect(decodeReadings(body({ ...good, ts: NOW - 86_400_000 }), limits).readings).toHaveLength(1);
  });

  it('rejects an oversized message by its UTF-8 size without parsing it, and defaults to 1 MiB', () => {
    const padded = body({ ...good, properties: { note: 'é'.repeat(600) } }); // 2 bytes each in UTF-8
    expect(utf8Length(padded)).toBeGreaterThan(1200);
    expect(padded.length).toBeLessThan(1000);
    expect(decodeReadings(padded, { ...limits, maxBytes: 1000 }).rejects).toEqual([
      {
        index: null,
        reason: 'oversized message',
        detail: expect.stringMatching(/bytes, over the limit of 1000/) as unknown,
      },
    ]);
    expect(decodeReadings(padded, { ...limits, maxBytes: 2000 }).readings).toHaveLength(1);
    const huge = `{"x":"${'a'.repeat(1_048_577)}"`; // not even JSON: the size check comes first
    expect(decodeReadings(huge, limits).rejects[0]?.reason).toBe('oversized message');
    expect(
      decodeReadings(`{"deviceId":"1","tag":"4","ts":1535497205000,"value":1,"p":"${'a'.repeat(1_048_000)}"}`, limits)
        .readings,
    ).toHaveLength(1);
    expect(utf8Length('a\u00e9\u20ac\u{1f600}\ud800')).toBe(1 + 2 + 3 + 4 + 3);
  });

  it('the fast path answers exactly as the general path does, on valid and mutated bodies', () => {
    const rnd = seeded(7);
    const alphabet = '{}[]":,.-+eE0123456789 \\tTZabcdefghijklmnopqrstuvwxyz/\u0000\n';
    const bases = [
      '{"schema":"tessera.reading/v1","id":"r12","deviceId":"7","tag":"4","ts":"2018-08-28T23:00:05.123Z","value":84.53}',
      '{ "deviceId" : "7", "tag":"4", "ts": 1535497205000, "value": -0.5e-3 }',
      '{"deviceId":"7","tag":"4","ts":"2018-08-28 23:00:05","value":12345678901234567890}',
      '{"value":0.1,"ts":"2018-08-28T23:00:05Z","tag":"x","deviceId":"\u00e9"}',
    ];
    let fastAnswers = 0;
    for (let k = 0; k < 20_000; k++) {
      let text = bases[k % bases.length]!;
      const edits = k < bases.length ? 0 : 1 + Math.floor(rnd() * 3);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(rnd() * text.length);
        const c = alphabet[Math.floor(rnd() * alphabet.length)]!;
        const op = rnd();
        text =
          op < 0.4
            ? text.slice(0, at) + c + text.slice(at + 1)
            : op < 0.7
              ? text.slice(0, at) + c + text.slice(at)
              : text.slice(0, at) + text.slice(at + 1);
      }
      const fast = fastSingleReading(text, NOW - 86_400_000, NOW + 60_000);
      if (fast === undefined) continue;
      fastAnswers += 1;
      // The batch form always takes the general path.
      const general = decodeReadings(`{"schema":"tessera.reading/v1","readings":[${text}]}`, limits);
      expect(general, text).toEqual({ readings: [fast], rejects: [] });
      expect(Object.is(general.readings[0]!.value, fast.value), text).toBe(true);
    }
    expect(fastAnswers).toBeGreaterThan(500);
  });

  it('parses event times as parseTimestamp does', () => {
    const rnd = seeded(11);
    for (let k = 0; k < 5000; k++) {
      const t = Math.floor(rnd() * 4e12) - 1e11;
      const iso = new Date(t).toISOString();
      for (const text of [
        iso,
        iso.replace('T', ' '),
        iso.slice(0, 19),
        iso.slice(0, 23),
        iso.slice(0, 19) + 'Z',
        iso.replace('Z', '+01:30'),
      ]) {
        expect(parseEventTime(text), text).toBe(parseTimestamp(text));
      }
    }
    // Consecutive times across day, month, leap-day and year boundaries, as a stream sends them.
    for (const from of [
      Date.UTC(2016, 1, 27),
      Date.UTC(2015, 11, 30, 12),
      Date.UTC(2100, 1, 27),
      Date.UTC(1970, 0, 1),
    ]) {
      for (let t = from; t < from + 4 * 86_400_000; t += 1_234_567) {
        const iso = new Date(t).toISOString();
        for (const text of [iso, iso.slice(0, 19)])
          expect(parseEventTime(text), text).toBe(t - (text === iso ? 0 : t % 1000));
      }
    }
    for (const text of [
      '2018-02-29 00:00:00',
      '2016-02-29T00:00:00Z',
      '2100-02-29 00:00:00',
      '2000-02-29 00:00:00',
      '2018-13-01 00:00:00',
      '2018-12-01 24:00:00',
      '2018-12-01 23:60:00',
      '2018-12-01 23:00:60',
      '2018-12-01T23:00:00.1x2Z',
      '2018-1a-01 00:00:00',
    ]) {
      expect(parseEventTime(text), text).toBe(parseTimestamp(text));
    }
  });

  it('publishes a JSON Schema that agrees with the decoder on shapes', () => {
    const ajv = new Ajv2020({ strict: false });
    const validate = ajv.compile(READING_JSON_SCHEMA_V1);
    for (const ok of [
      good,
      { ...good, schema: READING_SCHEMA_V1, id: 'x', ts: 1535497205000, properties: { a: 1, b: 'c', d: false } },
      { schema: READING_SCHEMA_V1, readings: [good, good] },
    ]) {
      expect(validate(ok), JSON.stringify(ok)).toBe(true);
      expect(decodeReadings(body(ok), limits).rejects).toEqual([]);
    }
    for (const bad of [
      { ...good, value: 'NaN' },
      { ...good, tag: 7 },
      { ...good, ts: 1.5 },
      { ...good, deviceId: '' },
      { readings: [good] },
      { schema: 'tessera.reading/v2', readings: [good] },
      { ...good, properties: { a: {} } },
      { ...good, ts: 'yesterday' },
    ]) {
      expect(validate(bad), JSON.stringify(bad)).toBe(false);
      expect(decodeReadings(body(bad), limits).rejects.length, JSON.stringify(bad)).toBeGreaterThan(0);
    }
  });
});
