/**
 * `npm run bench -- ingest`: events per second on one core through decode, validate, dedupe and
 * window (the stream core, one partition aggregator), against a baseline that only JSON.parses
 * the same payloads in the same run (goal: at least 0.5 of it), and against 1 M events/s (goal: at least 1).
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
    figures: { events_per_s: r.eventsPerSecond, json_parse_only_per_s: r.jsonParseOnlyPerSecond, events: 1_000_000 },
  };
}
