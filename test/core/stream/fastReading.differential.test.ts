/**
 * The fast path (templates, the full scan, interned names) against the general path (JSON.parse and
 * checks) on many generated bodies: every answer, readings and rejects with their details, must be
 * identical. Bodies come in runs that share a layout, so that learned templates meet bodies whose
 * values are bad, whose text differs by a character, or whose layout is new.
 */
import { describe, expect, it } from 'vitest';
import { fastReadings, fastSingleReading } from '../../../src/core/stream/fastReading.js';
import {
  decodeReadings,
  decodeReadingsGeneral,
  READING_SCHEMA_V1,
  type DecodedReadings,
  type DecodeLimits,
} from '../../../src/core/stream/readingSchema.js';
import { seeded } from './streamFixtures.js';

const NOW = Date.UTC(2018, 7, 29, 0, 0, 0);
const limits: DecodeLimits = { nowMs: NOW, maxPastMs: 86_400_000, maxFutureMs: 60_000 };

type Rnd = () => number;
const pick = <T>(rnd: Rnd, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;

const WS = ['', '', '', ' ', '  ', '\n', '\t', '\r\n', ' \n\t '];
const BAD_WS = ['\u00a0', '\f', '\v', '\u2028', '\ufeff'];

/** JSON text of string values, valid or not: plain, escaped (equal to plain once parsed), raw controls, non-ASCII, empty. */
function stringText(rnd: Rnd, plain: string): string {
  const r = rnd();
  if (r < 0.55) return `"${plain}"`;
  if (r < 0.6) return '""';
  if (r < 0.65) return `"${plain.replace(/./, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
  if (r < 0.7) return `"${plain}\\"x"`;
  if (r < 0.73) return `"${plain}\\\\"`;
  if (r < 0.76) return `"${plain}\\u0000"`;
  if (r < 0.79) return `"${plain}\u0001"`;
  if (r < 0.82) return `"${plain}\t"`;
  if (r < 0.85) return `"é${plain}\ud83d\ude00"`;
  if (r < 0.87) return `"${plain}\\ud800"`;
  if (r < 0.89) return `"${plain}`; // unterminated
  if (r < 0.91) return `"${plain}\\x"`; // bad escape
  return `"${plain}${'é€'.slice(0, Math.floor(rnd() * 3))}"`;
}

const NUMBERS = [
  '0',
  '-0',
  '1',
  '-1',
  '84.53',
  '0.1',
  '-0.5e-3',
  '1e5',
  '1E+5',
  '2.5E-7',
  '123456789012345678',
  '9007199254740993',
  '0.30000000000000004',
  '1e400',
  '-1e400',
  '1e-400',
  '01',
  '1.',
  '.5',
  '+1',
  '-',
  '1e',
  '1e+',
  '0x10',
  'NaN',
  'Infinity',
  'null',
  'true',
  '"84.5"',
  '"NaN"',
  '"-inf"',
  '[]',
  '{}',
  '1.5.2',
  '--1',
  '3.14159265358979',
  '99999999999999999999999',
];

function tsText(rnd: Rnd): string {
  const t = NOW - Math.floor(rnd() * 90_000_000) + 70_000;
  const iso = new Date(t).toISOString();
  const forms = [
    iso,
    iso.slice(0, 19),
    iso.slice(0, 19) + 'Z',
    iso.slice(0, 23),
    iso.replace('T', ' '),
    iso.replace('Z', 'z'),
    iso.replace('Z', '+01:30'),
    iso.replace('Z', '-0200'),
    iso.slice(0, 16),
    iso.slice(0, 22) + 'Z',
    iso.replace('Z', '123456Z'),
    iso.replace('.', ','),
    `${iso} `,
    ` ${iso}`,
    '2018-02-29T00:00:00Z',
    '2018-08-28T24:00:00.000Z',
    '2018-08-28T23:60:00Z',
    '2018-08-28T23:00:60',
    '2018-13-01 00:00:00',
    '2018-08-28T23:00:05.1x2Z',
    '2018-08-28X23:00:05Z',
    '1969-12-31T23:59:59.999Z',
    'yesterday',
    '',
  ];
  const r = rnd();
  if (r < 0.6) return stringText(rnd, pick(rnd, forms));
  if (r < 0.8) return String(t);
  return pick(rnd, [
    `${t}.5`,
    `${t}e0`,
    `${t / 1000}e3`,
    `-${t}`,
    String(NOW + 60_001),
    String(NOW - 86_400_001),
    String(NOW + 60_000),
    String(NOW - 86_400_000),
    '1e999',
    '"1535497205000"',
    'null',
    'true',
  ]);
}

interface Field {
  readonly key: string;
  readonly value: (rnd: Rnd, i: number) => string;
}

const FIELDS: readonly Field[] = [
  {
    key: 'schema',
    value: (rnd) =>
      rnd() < 0.85
        ? `"${READING_SCHEMA_V1}"`
        : pick(rnd, ['"tessera.reading/v2"', '1', `"${READING_SCHEMA_V1} "`, `"tessera.reading\\/v1"`]),
  },
  {
    key: 'id',
    value: (rnd, i) =>
      rnd() < 0.85 ? `"r${i}"` : rnd() < 0.5 ? stringText(rnd, `r${i}`) : pick(rnd, ['5', 'null', '""']),
  },
  {
    key: 'deviceId',
    value: (rnd) =>
      rnd() < 0.85
        ? `"${pick(rnd, ['0', '7', 'dev-12', 'é'])}"`
        : rnd() < 0.7
          ? stringText(rnd, 'd9')
          : pick(rnd, ['1', 'null', '[]']),
  },
  {
    key: 'tag',
    value: (rnd) =>
      rnd() < 0.85
        ? `"${pick(rnd, ['0', '3', 'temp'])}"`
        : rnd() < 0.7
          ? stringText(rnd, 't')
          : pick(rnd, ['4', 'false']),
  },
  { key: 'ts', value: (rnd) => tsText(rnd) },
  { key: 'value', value: (rnd) => (rnd() < 0.5 ? String(Math.round((rnd() - 0.5) * 2e6) / 100) : pick(rnd, NUMBERS)) },
];
const EXTRA_KEYS = [
  'properties',
  'extra',
  'readings',
  'deviceid',
  'Value',
  'd\\u0065viceId',
  'valu\\u0065',
  '',
  'ts2',
  'tag ',
];

/** A layout: keys in an order (some dropped, some twice, some extra), and the whitespace around every token. */
function layoutOf(rnd: Rnd): { keys: string[]; ws: string[] } {
  const keys = FIELDS.filter((f) => f.key !== 'schema' || rnd() < 0.6)
    .filter((f) => f.key === 'schema' || rnd() < 0.95)
    .map((f) => f.key);
  for (let k = keys.length - 1; k > 0; k--) {
    const j = Math.floor(rnd() * (k + 1));
    [keys[k], keys[j]] = [keys[j]!, keys[k]!];
  }
  if (rnd() < 0.1) keys.splice(Math.floor(rnd() * keys.length), 0, pick(rnd, keys));
  if (rnd() < 0.1) keys.splice(Math.floor(rnd() * keys.length), 0, pick(rnd, EXTRA_KEYS));
  const ws = Array.from({ length: keys.length * 4 + 2 }, () =>
    rnd() < 0.75 ? '' : rnd() < 0.97 ? pick(rnd, WS) : pick(rnd, BAD_WS),
  );
  return { keys, ws };
}

function bodyOf(rnd: Rnd, layout: { keys: string[]; ws: string[] }, i: number): string {
  const { keys, ws } = layout;
  const members = keys.map((key, k) => {
    const field = FIELDS.find((f) => f.key === key);
    const value = field
      ? field.value(rnd, i)
      : key === 'properties'
        ? pick(rnd, [
            '{"unit":"C"}',
            '{}',
            '{"a":{}}',
            '[1]',
            '{ "site" : "north" , "line" : 3 }',
            '{"ok":true,"off":false,"x":-0,"y":2.5e-3}',
            '{"2":"b","1":"a","z":1,"2":"c"}',
            '{"__proto__":"x"}',
            '{"n":null}',
            '{"big":1e999}',
            '{"e":"a\\u0041"}',
            '{"e\\u0041":1}',
            '{"":""}',
            'null',
          ])
        : key === 'readings'
          ? '[]'
          : pick(rnd, [
              '1',
              '"x"',
              '[1,{"a":2}]',
              'null',
              'true',
              'false',
              '-2.5e-3',
              '"a\\"b"',
              '""',
              '01',
              'tru',
              '{}',
            ]);
    return `${ws[4 * k]}"${key}"${ws[4 * k + 1]}:${ws[4 * k + 2]}${value}${ws[4 * k + 3]}`;
  });
  return `${ws[ws.length - 2]}{${members.join(',')}}${ws[ws.length - 1]}`;
}

/** A batch envelope around `items`: its keys in either order, sometimes wrong, with whitespace. */
function batchOf(rnd: Rnd, items: string[]): string {
  const ws = () => (rnd() < 0.7 ? '' : pick(rnd, WS));
  const schema = `${ws()}"schema"${ws()}:${ws()}${rnd() < 0.9 ? `"${READING_SCHEMA_V1}"` : pick(rnd, ['"tessera.reading/v2"', '1'])}${ws()}`;
  const readings = `${ws()}"readings"${ws()}:${ws()}[${ws()}${(rnd() < 0.05 ? [] : items).join(`${ws()},${ws()}`)}${ws()}]${ws()}`;
  const members = rnd() < 0.5 ? [schema, readings] : [readings, schema];
  const r = rnd();
  if (r < 0.03) members.push(schema);
  else if (r < 0.06) members.push(`"extra":1`);
  else if (r < 0.08) members.shift();
  return `${ws()}{${members.join(',')}}${ws()}`;
}

/** One random character edit: replace, insert or delete. */
function mutate(rnd: Rnd, text: string): string {
  const alphabet = '{}[]":,.-+eE0123456789 \\tTZzu/\u0000\n\u00a0é';
  const at = Math.floor(rnd() * (text.length + 1));
  const c = pick(rnd, [...alphabet]);
  const op = rnd();
  return op < 0.4
    ? text.slice(0, at) + c + text.slice(at + 1)
    : op < 0.7
      ? text.slice(0, at) + c + text.slice(at)
      : text.slice(0, at) + text.slice(at + 1);
}

function expectSame(body: string, fast: DecodedReadings, general: DecodedReadings): void {
  expect(fast, JSON.stringify(body)).toEqual(general);
  fast.readings.forEach((r, k) =>
    expect(Object.is(r.value, general.readings[k]!.value), JSON.stringify(body)).toBe(true),
  );
}

describe('the reading fast path, differentially against JSON.parse and checks', () => {
  it('answers exactly as the general path on generated bodies, valid and invalid, in runs of a layout', () => {
    const rnd = seeded(2024);
    const reasons = new Map<string, number>();
    let fastAnswers = 0,
      fastBatches = 0,
      bodies = 0;
    for (let run = 0; run < 1500; run++) {
      const layout = layoutOf(rnd);
      const length = 1 + Math.floor(rnd() * 40);
      for (let i = 0; i < length; i++) {
        let body = bodyOf(rnd, layout, i);
        if (rnd() < 0.1) body = mutate(rnd, body);
        const wrap = rnd();
        if (wrap < 0.02) body = `[${body}]`;
        else if (wrap < 0.05) body = `{"schema":"${READING_SCHEMA_V1}","readings":[${body},3]}`;
        else if (wrap < 0.15)
          body = batchOf(rnd, [body, ...Array.from({ length: Math.floor(rnd() * 4) }, () => bodyOf(rnd, layout, i))]);
        const fast = decodeReadings(body, limits);
        expectSame(body, fast, decodeReadingsGeneral(body, limits));
        bodies += 1;
        if (fastSingleReading(body, NOW - 86_400_000, NOW + 60_000) !== undefined) fastAnswers += 1;
        if ((fastReadings(body, NOW - 86_400_000, NOW + 60_000)?.length ?? 0) > 1) fastBatches += 1;
        for (const r of fast.rejects) reasons.set(r.reason, (reasons.get(r.reason) ?? 0) + 1);
      }
    }
    // The generator reaches both paths and every reject reason but the size limit.
    expect(fastAnswers + fastBatches).toBeGreaterThan(bodies / 10);
    expect(fastBatches).toBeGreaterThan(10);
    expect(bodies - fastAnswers).toBeGreaterThan(bodies / 5);
    expect([...reasons.keys()].sort()).toEqual(
      [
        'invalid device or tag',
        'malformed json',
        'missing field',
        'non-finite value',
        'not an object',
        'timestamp too far in the future',
        'timestamp too far in the past',
        'unknown schema version',
        'unparseable timestamp',
        'wrong type',
      ].sort(),
    );
  });

  it('answers exactly as the general path on bodies one character away from a learned layout', () => {
    const rnd = seeded(99);
    for (let k = 0; k < 20_000; k++) {
      const i = Math.floor(rnd() * 1000);
      const valid = `{"schema":"${READING_SCHEMA_V1}","id":"r${i}","deviceId":"${i % 7}","tag":"${i % 3}","ts":"${new Date(NOW - i * 1000).toISOString()}","value":${(i * 1.37).toFixed(2)}}`;
      expectSame(valid, decodeReadings(valid, limits), decodeReadingsGeneral(valid, limits)); // learns or matches the layout
      let body = valid;
      for (let e = 1 + Math.floor(rnd() * 2); e > 0; e--) body = mutate(rnd, body);
      expectSame(body, decodeReadings(body, limits), decodeReadingsGeneral(body, limits));
    }
  });

  it('gives equal names and a fresh id however often a layout repeats', () => {
    const body = (i: number) => `{"deviceId":"dev-${i % 3}","tag":"t","ts":${NOW - i},"value":${i},"id":"e${i}"}`;
    const readings = Array.from({ length: 30 }, (_, i) => decodeReadings(body(i), limits).readings[0]!);
    readings.forEach((r, i) =>
      expect(r).toEqual({
        id: `e${i}`,
        deviceId: `dev-${i % 3}`,
        tag: 't',
        ts: NOW - i,
        value: i,
        properties: undefined,
        backfill: false,
      }),
    );
  });

  it('takes flat properties itself, a fresh object each time, and leaves any other properties to the general path', () => {
    const body = (props: string, i: number) =>
      `{"id":"p${i}","deviceId":"d","tag":"t","ts":${NOW - i},"value":${i},"properties":${props}}`;
    const flat = ['{"site":"north","line":3}', '{"2":"b","1":"a","ok":true,"x":-0,"2":"c"}', '{ }'];
    const seen: object[] = [];
    for (let i = 0; i < 30; i++) {
      const text = body(flat[i % flat.length]!, i);
      const fast = fastSingleReading(text, NOW - 86_400_000, NOW + 60_000);
      expect(fast, text).toBeDefined(); // learned then matched: both take the properties
      expectSame(text, decodeReadings(text, limits), decodeReadingsGeneral(text, limits));
      expect(Object.keys(fast!.properties!)).toEqual(Object.keys(JSON.parse(flat[i % flat.length]!) as object));
      expect(seen).not.toContain(fast!.properties);
      seen.push(fast!.properties!);
    }
    for (const odd of ['{"__proto__":"x"}', '{"n":null}', '{"a":{}}', '{"big":1e999}', '{"e":"\\u0041"}', 'null'])
      expect(fastSingleReading(body(odd, 1), NOW - 86_400_000, NOW + 60_000), odd).toBeUndefined();
  });

  it('takes escaped names and ids itself, decoded as JSON.parse decodes them, and leaves a name with NUL to the general path', () => {
    const body = (device: string, tag: string, id: string, i: number) =>
      `{"deviceId":"${device}","tag":"${tag}","ts":${NOW - i},"value":${i},"id":"${id}"}`;
    const taken = [
      ['caf\\u00e9-1', 't\\/x', 'r\\"1'],
      ['\\ud83d\\ude00', '\\b\\f\\n\\r\\t', 'a\\u0000b'],
      ['lone\\uD800', 'T\\u00C9', '\\\\'],
    ];
    for (let i = 0; i < 30; i++) {
      const [device, tag, id] = taken[i % taken.length]!;
      const text = body(device!, tag!, id!, i);
      const fast = fastSingleReading(text, NOW - 86_400_000, NOW + 60_000);
      expect(fast, text).toBeDefined();
      expectSame(text, decodeReadings(text, limits), decodeReadingsGeneral(text, limits));
    }
    for (const [device, tag, id] of [
      ['a\\u0000', 't', 'r'],
      ['d', '\\u0000', 'r'],
      ['d', 't\\x', 'r'],
      ['d', 't', 'r\\u12'],
    ]) {
      const text = body(device!, tag!, id!, 1);
      expect(fastSingleReading(text, NOW - 86_400_000, NOW + 60_000), text).toBeUndefined();
      expectSame(text, decodeReadings(text, limits), decodeReadingsGeneral(text, limits));
    }
  });

  it('keeps names right when more distinct names pass than the name table holds, and when they are long', () => {
    const rnd = seeded(5);
    for (let k = 0; k < 30_000; k++) {
      const device =
        rnd() < 0.5 ? `d${Math.floor(rnd() * 10_000)}` : `${'long-device-name-'.repeat(4)}${Math.floor(rnd() * 50)}`;
      const body = `{"deviceId":"${device}","tag":"t${k % 9}","ts":${NOW - k},"value":${k}}`;
      const decoded = decodeReadings(body, limits);
      expectSame(body, decoded, decodeReadingsGeneral(body, limits));
      expect(decoded.readings[0]!.deviceId).toBe(device);
    }
  });
});
