/**
 * The pure ingest core on one core: decode + validate (`decodeReadings`), dedupe (sequence numbers
 * and producer ids) and window (`PartitionAggregator`, tumbling 60 s) over single-reading JSON
 * payloads built in memory, against a baseline that only `JSON.parse`s the same payloads in the same
 * run. Each side runs ROUNDS times, alternating, after a warm-up; the best round of each is reported.
 */
import type { EventRecord } from '../src/ports/eventLog.js';
import { PartitionAggregator } from '../src/core/stream/aggregator.js';
import { decodeReadings, READING_SCHEMA_V1 } from '../src/core/stream/readingSchema.js';

const DEVICES = 100;
const TAGS = 4;
const ROUNDS = 3;
const START = Date.UTC(2018, 7, 28, 23, 0, 0);

export interface IngestCoreResult {
  readonly eventsPerSecond: number;
  readonly jsonParseOnlyPerSecond: number;
}

/** `events` records of one partition, one reading each: 400 series, event time 1 ms apart, ISO timestamps. */
export function buildRecords(events: number): EventRecord[] {
  const records: EventRecord[] = new Array<EventRecord>(events);
  const enqueuedTime = new Date(START);
  for (let i = 0; i < events; i++) {
    const device = String(i % DEVICES);
    const body = JSON.stringify({
      schema: READING_SCHEMA_V1,
      id: `r${i}`,
      deviceId: device,
      tag: String(Math.floor(i / DEVICES) % TAGS),
      ts: new Date(START + i).toISOString(),
      value: Math.round(Math.sin(i) * 1e4) / 100,
    });
    records[i] = {
      partition: 0,
      sequenceNumber: i,
      offset: String(i * 160),
      enqueuedTime,
      partitionKey: device,
      body,
      properties: {},
    };
  }
  return records;
}

/** Decode, validate, dedupe, window; returns the windows emitted (so the work cannot be optimised away). */
export function ingest(records: readonly EventRecord[]): number {
  const aggregator = new PartitionAggregator({ partition: 0, windows: { kind: 'tumbling', sizeSeconds: 60 } });
  const limits = { nowMs: START + records.length, maxPastMs: 86_400_000 };
  let rejected = 0;
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    const decoded = decodeReadings(record.body, limits);
    rejected += decoded.rejects.length;
    aggregator.process(record, decoded.readings);
  }
  aggregator.flush();
  if (rejected > 0) throw new Error(`${rejected} payloads rejected: the bench input is wrong`);
  return aggregator.drainEmitted().length;
}

export function parseOnly(records: readonly EventRecord[]): number {
  let sink = 0;
  for (let i = 0; i < records.length; i++) sink += (JSON.parse(records[i]!.body) as { value: number }).value;
  return sink;
}

function timed(fn: () => unknown): number {
  const t0 = performance.now();
  fn();
  return (performance.now() - t0) / 1000;
}

export function benchIngestCore(events = 1_000_000): Promise<IngestCoreResult> {
  const records = buildRecords(events);
  const warm = records.slice(0, Math.min(events, 200_000));
  ingest(warm);
  parseOnly(warm);
  let best = Infinity;
  let bestParse = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    bestParse = Math.min(
      bestParse,
      timed(() => parseOnly(records)),
    );
    best = Math.min(
      best,
      timed(() => ingest(records)),
    );
  }
  return Promise.resolve({
    eventsPerSecond: Math.round(events / best),
    jsonParseOnlyPerSecond: Math.round(events / bestParse),
  });
}
