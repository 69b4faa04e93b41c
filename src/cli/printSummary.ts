import { CONTAINERS, resultBlobName } from '../core/jobNaming.js';
import type { BlobStore } from '../ports/blobStore.js';
import { readBlobText } from '../usecases/readBlobText.js';
import type { JobProgress } from '../usecases/jobStatus.js';
import { println, type CliIo } from './io.js';

interface Summary {
  state: string;
  error: string | null;
  rows: number;
  badRows: number;
  windows: number;
  anomalies: number;
  series: number;
  shards: { total: number; succeeded: number; failed: number };
  failedShards: { shardId: string; reason: string }[];
  errors: { byReason?: Record<string, { count: number; firstRows: number[] }> } | null;
  seconds: number;
  rowsPerSecond: number;
}

/** Prints what a finished job did, from its summary.json when it has one, else from the ledger. */
export async function printJobSummary(io: CliIo, blobs: BlobStore, progress: JobProgress): Promise<void> {
  const { job } = progress;
  println(io, `job ${job.jobId}: ${job.state}${job.error ? ` — ${job.error}` : ''}`);
  const summaryName = resultBlobName(job.jobId, 'summary.json');
  if (!(await blobs.head(CONTAINERS.results, summaryName))) return;
  if (job.kind === 'video') {
    printVideoSummary(io, JSON.parse(await readBlobText(blobs, CONTAINERS.results, summaryName)) as VideoSummary);
    return;
  }
  const s = JSON.parse(await readBlobText(blobs, CONTAINERS.results, summaryName)) as Summary;
  println(
    io,
    `  rows ${s.rows} (${s.badRows} rejected), series ${s.series}, windows ${s.windows}, anomalies ${s.anomalies}`,
  );
  println(
    io,
    `  shards ${s.shards.succeeded}/${s.shards.total} succeeded${s.shards.failed ? `, ${s.shards.failed} failed` : ''}; ${s.seconds.toFixed(1)} s, ${Math.round(s.rowsPerSecond)} rows/s`,
  );
  for (const [reason, e] of Object.entries(s.errors?.byReason ?? {})) {
    println(io, `  rejected rows: ${reason}: ${e.count} (first at line ${e.firstRows.join(', ')})`);
  }
  for (const f of s.failedShards.slice(0, 10)) println(io, `  failed shard ${f.shardId}: ${f.reason}`);
}

interface VideoSummary {
  output?: string;
  frames?: number;
  framesPerSecond?: number;
  probe?: { frames: number; frameRate: string; width: number; height: number; audio: string | null } | null;
  stagesMs?: Record<string, number>;
  failedRanges: { start: number | null; end: number | null; reason: string }[];
  policy: string;
}

function printVideoSummary(io: CliIo, s: VideoSummary): void {
  if (s.probe)
    println(
      io,
      `  input ${s.probe.width}x${s.probe.height}, ${s.probe.frames} frames at ${s.probe.frameRate} fps, audio ${s.probe.audio ?? 'none'}`,
    );
  if (s.output)
    println(
      io,
      `  output ${s.output}: ${s.frames ?? 0} frames, ${(s.framesPerSecond ?? 0).toFixed(2)} frames/s overall`,
    );
  if (s.stagesMs)
    println(
      io,
      `  stages (ms): ${Object.entries(s.stagesMs)
        .map(([k, v]) => `${k} ${Math.round(v)}`)
        .join(', ')}`,
    );
  for (const r of s.failedRanges.slice(0, 10))
    println(
      io,
      `  frames [${r.start ?? '?'}, ${r.end ?? '?'}) ${s.policy === 'passthrough' ? 'passed through unstyled' : 'failed'}: ${r.reason}`,
    );
}
