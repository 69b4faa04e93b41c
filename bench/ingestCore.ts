/**
 * The pure ingest core on one core, as the aggregation step runs it (`aggregateRecords`): decode and
 * validate (`decodeReadings`), dedupe (sequence numbers and producer ids) and window
 * (`PartitionAggregator`, tumbling 60 s, late tolerance 5 s) over a mixed corpus built in memory
 * (ingestCorpus.ts: eight producer layouts, batches, escapes, extra fields, disorder, late events and
 * duplicates), against a baseline that only `JSON.parse`s the same bodies in the same run. Each side
 * runs ROUNDS times, alternating, after a warm-up; the best round of each is reported, with the share
 * of bodies (and of readings) the fast path decoded.
 */
import type { EventRecord } from '../src/ports/eventLog.js';
import { aggregateRecords } from '../src/core/stream/aggregateRecords.js';
import { PartitionAggregator } from '../src/core/stream/aggregator.js';
import { fastReadings } from '../src/core/stream/fastReading.js';
import { buildCorpus, LAYOUTS, START, type Corpus } from './ingestCorpus.js';

const ROUNDS = 3;
const LIMITS = { maxPastMs: 86_400_000 };

export interface IngestCoreResult {
  readonly eventsPerSecond: number;
  readonly jsonParseOnlyPerSecond: number;
  /** The same per second of this thread's CPU time. */
  readonly eventsPerCpuSecond: number;
  readonly jsonParseOnlyPerCpuSecond: number;
  readonly corpus: Omit<Corpus, 'records'> & { readonly bodies: number };
  readonly layouts: number;
  /** Bodies, and readings, that the fast path decoded without JSON.parse. */
  readonly fastBodyShare: number;
  readonly fastReadingShare: number;
  readonly windowsEmitted: number;
  readonly lateRevisions: number;
  readonly duplicatesIgnored: number;
}

/**
 * Decode, validate, dedupe, window, as the aggregation step does (`aggregateRecords`); returns the
 * aggregator's stats (so the work cannot be optimised away).
 */
export function ingest(records: readonly EventRecord[]): ReturnType<PartitionAggregator['stats']> {
  const aggregator = new PartitionAggregator({ partition: 0, windows: { kind: 'tumbling', sizeSeconds: 60 } });
  const rejected = aggregateRecords(aggregator, records, { nowMs: START + records.length * 10, ...LIMITS });
  aggregator.flush();
  if (rejected.length > 0) throw new Error(`${rejected.length} records had rejects: the bench input is wrong`);
  aggregator.drainEmitted();
  return aggregator.stats();
}

export function parseOnly(records: readonly EventRecord[]): number {
  let sink = 0;
  for (let i = 0; i < records.length; i++) sink += (JSON.parse(records[i]!.body) as object) ? 1 : 0;
  return sink;
}

/** The bodies and readings the fast path answers by itself. */
function fastShare(records: readonly EventRecord[], events: number): { bodies: number; readings: number } {
  const nowMs = START + records.length * 10;
  let bodies = 0;
  let readings = 0;
  for (const r of records) {
    const fast = fastReadings(r.body, nowMs - LIMITS.maxPastMs, nowMs + 300_000);
    if (fast === undefined) continue;
    bodies += 1;
    readings += fast.length;
  }
  return { bodies: bodies / records.length, readings: readings / events };
}

/** Wall seconds, and this thread's CPU seconds (what a busy shared machine leaves it says less about the code). */
function timed(fn: () => unknown): { wall: number; cpu: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const cpu = process.cpuUsage(c0);
  return { wall: (performance.now() - t0) / 1000, cpu: (cpu.user + cpu.system) / 1e6 };
}

export function benchIngestCore(events = 1_000_000): Promise<IngestCoreResult> {
  const { records, ...corpus } = buildCorpus(events);
  const warm = records.slice(0, Math.min(records.length, 100_000));
  ingest(warm);
  parseOnly(warm);
  let best = { wall: Infinity, cpu: Infinity };
  let bestParse = { wall: Infinity, cpu: Infinity };
  const fastest = (a: typeof best, b: typeof best) => ({ wall: Math.min(a.wall, b.wall), cpu: Math.min(a.cpu, b.cpu) });
  let stats: ReturnType<typeof ingest> | undefined;
  for (let round = 0; round < ROUNDS; round++) {
    bestParse = fastest(
      bestParse,
      timed(() => parseOnly(records)),
    );
    best = fastest(
      best,
      timed(() => (stats = ingest(records))),
    );
  }
  const share = fastShare(records, corpus.events);
  return Promise.resolve({
    eventsPerSecond: Math.round(corpus.events / best.wall),
    jsonParseOnlyPerSecond: Math.round(corpus.events / bestParse.wall),
    eventsPerCpuSecond: Math.round(corpus.events / best.cpu),
    jsonParseOnlyPerCpuSecond: Math.round(corpus.events / bestParse.cpu),
    corpus: { ...corpus, bodies: records.length },
    layouts: LAYOUTS.length,
    fastBodyShare: share.bodies,
    fastReadingShare: share.readings,
    windowsEmitted: stats?.windowsEmitted ?? 0,
    lateRevisions: stats?.lateRevisions ?? 0,
    duplicatesIgnored: (stats?.duplicateReadings ?? 0) + (stats?.duplicateEvents ?? 0),
  });
}
