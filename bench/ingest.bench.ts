/**
 * `npm run bench -- ingest`: readings per second on one core through decode, validate, dedupe and
 * window (the stream core, one partition aggregator) over a mixed corpus of eight producer layouts
 * (ingestCorpus.ts), against a baseline that only JSON.parses the same bodies in the same run (goal:
 * at least 0.5 of it), and against 1 M readings/s (goal: at least 1). Figures say what the corpus
 * holds and how much of it the fast path decoded.
 */
import { benchIngestCore } from './ingestCore.js';

export async function run(): Promise<{
  ratios: Record<string, number>;
  goals: Record<string, number>;
  figures: Record<string, number>;
}> {
  const r = await benchIngestCore();
  return {
    ratios: {
      ingest_vs_json_parse_only: r.eventsPerSecond / r.jsonParseOnlyPerSecond,
      ingest_vs_one_million_per_s: r.eventsPerSecond / 1_000_000,
    },
    goals: { ingest_vs_json_parse_only: 0.5, ingest_vs_one_million_per_s: 1 },
    figures: {
      events_per_s: r.eventsPerSecond,
      json_parse_only_per_s: r.jsonParseOnlyPerSecond,
      events_per_cpu_s: r.eventsPerCpuSecond,
      json_parse_only_per_cpu_s: r.jsonParseOnlyPerCpuSecond,
      events: r.corpus.events,
      bodies: r.corpus.bodies,
      layouts: r.layouts,
      fast_path_body_share: r.fastBodyShare,
      fast_path_reading_share: r.fastReadingShare,
      out_of_order: r.corpus.outOfOrder,
      late: r.corpus.late,
      duplicate_readings_sent: r.corpus.duplicateReadings,
      redelivered_records: r.corpus.redeliveredRecords,
      duplicates_ignored: r.duplicatesIgnored,
      windows_emitted: r.windowsEmitted,
      late_revisions: r.lateRevisions,
    },
  };
}
