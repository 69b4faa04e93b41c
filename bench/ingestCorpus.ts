/**
 * A mixed ingest corpus, as a partition of a real event hub carries it: several producers, each with
 * its own layout (key orders, epoch or ISO times, whitespace, extra fields, properties, escaped
 * names, batch envelopes), event times out of order and some late, and duplicates (a producer
 * re-sending readings with their ids, and the log redelivering records).
 */
import type { EventRecord } from '../src/ports/eventLog.js';
import { READING_SCHEMA_V1 } from '../src/core/stream/readingSchema.js';

export const START = Date.UTC(2018, 7, 28, 23, 0, 0);

interface Reading {
  readonly id: string;
  readonly device: string;
  readonly tag: string;
  readonly ts: number;
  readonly value: number;
}

const iso = (ts: number) => new Date(ts).toISOString();

/** The producers: a layout each, and its share of the bodies. */
export const LAYOUTS: readonly { name: string; share: number; body: (r: Reading, more: () => Reading) => string }[] = [
  {
    name: 'full v1, schema and id first',
    share: 0.3,
    body: (r) =>
      JSON.stringify({
        schema: READING_SCHEMA_V1,
        id: r.id,
        deviceId: r.device,
        tag: r.tag,
        ts: iso(r.ts),
        value: r.value,
      }),
  },
  {
    name: 'time first, no schema, no id',
    share: 0.15,
    body: (r) => JSON.stringify({ ts: iso(r.ts), value: r.value, tag: r.tag, deviceId: r.device }),
  },
  {
    name: 'epoch milliseconds',
    share: 0.1,
    body: (r) => JSON.stringify({ deviceId: r.device, tag: r.tag, ts: r.ts, value: r.value, id: r.id }),
  },
  {
    name: 'spaced',
    share: 0.1,
    body: (r) => `{ "deviceId": "${r.device}", "tag": "${r.tag}", "ts": "${iso(r.ts)}", "value": ${r.value} }`,
  },
  {
    name: 'extra fields',
    share: 0.1,
    body: (r) =>
      JSON.stringify({
        deviceId: r.device,
        tag: r.tag,
        ts: iso(r.ts),
        value: r.value,
        unit: 'degC',
        fw: '2.1.0',
        rssi: -71,
      }),
  },
  {
    name: 'properties',
    share: 0.1,
    body: (r) =>
      JSON.stringify({
        id: r.id,
        deviceId: r.device,
        tag: r.tag,
        ts: iso(r.ts),
        value: r.value,
        properties: { site: 'north', line: 3 },
      }),
  },
  {
    name: 'escaped names',
    share: 0.05,
    body: (r) =>
      `{"deviceId":"caf\\u00e9-${r.device}","tag":"${r.tag}\\/x","ts":"${iso(r.ts)}","value":${r.value},"id":"${r.id}"}`,
  },
  {
    name: 'batch of 8',
    share: 0.1,
    body: (r, more) =>
      JSON.stringify({
        schema: READING_SCHEMA_V1,
        readings: [r, ...Array.from({ length: 7 }, more)].map((x) => ({
          id: x.id,
          deviceId: x.device,
          tag: x.tag,
          ts: iso(x.ts),
          value: x.value,
        })),
      }),
  },
];

export interface Corpus {
  readonly records: EventRecord[];
  /** Readings in all bodies, duplicates included: what throughput counts. */
  readonly events: number;
  readonly outOfOrder: number;
  readonly late: number;
  readonly duplicateReadings: number;
  readonly redeliveredRecords: number;
}

/** Bodies (of the layouts above, by share) carrying `events` readings or a few more, in one partition. */
export function buildCorpus(events: number, seed = 1): Corpus {
  let state = seed;
  const rnd = () => (state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0) / 2 ** 32;
  const cumulative = LAYOUTS.map((_, i) => LAYOUTS.slice(0, i + 1).reduce((n, l) => n + l.share, 0));
  const records: EventRecord[] = [];
  const enqueuedTime = new Date(START);
  let n = 0;
  let outOfOrder = 0;
  let late = 0;
  let duplicateReadings = 0;
  let redeliveredRecords = 0;
  const next = (): Reading => {
    let ts = START + n;
    const r = rnd();
    if (r < 0.01) {
      ts -= 10_000 + Math.floor(rnd() * 20_000); // late: past the 5 s late-arrival tolerance
      late += 1;
    } else if (r < 0.2) {
      ts -= Math.floor(rnd() * 2_000); // out of order, within tolerance
      outOfOrder += 1;
    }
    const i = n++;
    return {
      id: `r${i}`,
      device: `d${i % 100}`,
      tag: `t${Math.floor(i / 100) % 4}`,
      ts,
      value: Math.round(Math.sin(i) * 1e4) / 100,
    };
  };
  // A body as both event logs hand it over: decoded from the event's bytes (Buffer.toString for
  // Event Hubs, a TEXT column for SQLite), so one flat string. A template literal's result is a rope
  // instead, and reading one character at a time through a rope cost the decoder 15% here, a cost
  // no real body has.
  const push = (text: string, sequenceNumber: number) => {
    const body = Buffer.from(text, 'utf8').toString('utf8');
    records.push({
      partition: 0,
      sequenceNumber,
      offset: String(sequenceNumber),
      enqueuedTime,
      partitionKey: undefined,
      body,
      properties: {},
    });
  };
  let seq = 0;
  let read = 0;
  while (read < events) {
    const pick = rnd();
    const layout = LAYOUTS[cumulative.findIndex((c) => pick < c)] ?? LAYOUTS[0]!;
    const before = n;
    const body = layout.body(next(), next);
    read += n - before;
    push(body, seq++);
    if (rnd() < 0.02) {
      // The producer re-sends the same readings (same ids) in a new event.
      push(body, seq++);
      read += n - before;
      duplicateReadings += n - before;
    }
    if (rnd() < 0.005) {
      // The log redelivers a record it delivered before (same sequence number).
      push(body, seq - 1);
      read += n - before;
      redeliveredRecords += 1;
    }
  }
  return { records, events: read, outOfOrder, late, duplicateReadings, redeliveredRecords };
}
