import type { JsonValue } from '../ports/jobLedger.js';
import type { JobDetailView } from '../usecases/operator/jobDetailView.js';
import { println, type CliIo } from './io.js';

type Summary = { readonly [key: string]: JsonValue };

const num = (s: Summary, key: string): number => (typeof s[key] === 'number' ? s[key] : 0);
const obj = (v: JsonValue | undefined): Summary => (v !== null && typeof v === 'object' && !Array.isArray(v) ? v : {});
const list = (v: JsonValue | undefined): Summary[] => (Array.isArray(v) ? v.map(obj) : []);
const str = (v: JsonValue | undefined, fallback = '?'): string =>
  typeof v === 'string' || typeof v === 'number' ? String(v) : fallback;

/**
 * Prints what an ended job did from its summary.json, whatever its kind: every field is read
 * defensively, so a summary of another kind or an older shape prints what it has instead of
 * throwing (a stream run's summary has no `shards`).
 */
export function printSummary(io: CliIo, kind: string, summary: Summary | null): void {
  if (!summary) return;
  if (kind === 'video') printVideoSummary(io, summary);
  else if (kind === 'stream') printStreamSummary(io, summary);
  else printAnomalySummary(io, summary);
}

function printAnomalySummary(io: CliIo, s: Summary): void {
  println(
    io,
    `  rows ${num(s, 'rows')} (${num(s, 'badRows')} rejected), series ${num(s, 'series')}, windows ${num(s, 'windows')}, anomalies ${num(s, 'anomalies')}`,
  );
  const shards = obj(s.shards);
  if (typeof shards.total === 'number')
    println(
      io,
      `  shards ${num(shards, 'succeeded')}/${num(shards, 'total')} succeeded${num(shards, 'failed') ? `, ${num(shards, 'failed')} failed` : ''}; ${num(s, 'seconds').toFixed(1)} s, ${Math.round(num(s, 'rowsPerSecond'))} rows/s`,
    );
  for (const [reason, e] of Object.entries(obj(obj(s.errors).byReason))) {
    const first = obj(e).firstRows;
    println(
      io,
      `  rejected rows: ${reason}: ${num(obj(e), 'count')} (first at line ${Array.isArray(first) ? first.map((n) => str(n)).join(', ') : '?'})`,
    );
  }
  for (const f of list(s.failedShards).slice(0, 10))
    println(io, `  failed shard ${str(f.shardId)}: ${str(f.reason, '')}`);
}

function printStreamSummary(io: CliIo, s: Summary): void {
  println(
    io,
    `  tick ${str(s.tick)}: ${num(s, 'batches')} window batches, windows ${num(s, 'windows')} (${num(s, 'revisions')} revisions), anomalies ${num(s, 'anomalies')}`,
  );
  const missing = list(s.seriesWithoutModel);
  if (missing.length > 0)
    println(
      io,
      `  no model for ${missing
        .slice(0, 10)
        .map((m) => `${str(m.device)}/${str(m.tag)}`)
        .join(', ')}${missing.length > 10 ? ` and ${missing.length - 10} more` : ''}`,
    );
}

function printVideoSummary(io: CliIo, s: Summary): void {
  const probe = obj(s.probe);
  if (typeof probe.frames === 'number')
    println(
      io,
      `  input ${str(probe.width)}x${str(probe.height)}, ${str(probe.frames)} frames at ${str(probe.frameRate)} fps, audio ${str(probe.audio, 'none')}`,
    );
  if (typeof s.frames === 'number')
    println(io, `  output: ${num(s, 'frames')} frames, ${num(s, 'framesPerSecond').toFixed(2)} frames/s overall`);
  const stages = Object.entries(obj(s.stagesMs)).filter(([, v]) => typeof v === 'number');
  if (stages.length > 0)
    println(io, `  stages (ms): ${stages.map(([k, v]) => `${k} ${Math.round(v as number)}`).join(', ')}`);
  for (const r of list(s.failedRanges).slice(0, 10))
    println(
      io,
      `  frames [${str(r.start)}, ${str(r.end)}) ${s.policy === 'passthrough' ? 'passed through unstyled' : 'failed'}: ${str(r.reason, '')}`,
    );
}

/** An ended job's report: its state and error, its summary, and its result files with how to download them. */
export function printJobReport(io: CliIo, detail: JobDetailView): void {
  const { job } = detail;
  println(io, `job ${job.id}: ${job.state}${job.error ? ` — ${job.error}` : ''}`);
  printSummary(io, job.kind, detail.summary);
  if (detail.files.length > 0)
    println(
      io,
      `  results: ${detail.files.map((f) => f.name).join(', ')} (download: tessera results ${job.id} --out DIR)`,
    );
}
