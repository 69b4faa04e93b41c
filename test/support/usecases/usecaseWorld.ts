import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSqliteWorkQueue } from '../../../src/adapters/local/sqliteWorkQueue.js';
import { CONTAINERS, resultBlobName } from '../../../src/core/jobNaming.js';
import type { JobLedger, JobRecord } from '../../../src/ports/jobLedger.js';
import type { LocalContext } from '../../../src/composition/local/localContext.js';
import type { AnomalyDeps } from '../../../src/usecases/anomaly/deps.js';
import { readBlobText } from '../../../src/usecases/readBlobText.js';
import { submitJob } from '../../../src/usecases/submitJob.js';
import { fixturesDir } from '../fixtures.js';
import { openContext, registerOracleModels, tempHome } from '../localHarness.js';
import { recordingQueue, type RecordingQueue } from './faultyPorts.js';
import { createTestClock, type TestClock } from './testClock.js';

export const SENSOR_CSV = join(fixturesDir, 'sensors/batchai-sensor_data.csv');
/** Windows (scores.csv rows) of the whole fixture file: the oracle's windows.csv. */
export const FULL_FILE_WINDOWS = 3781;

/** The fixture file, or only the rows of the series `keep` accepts (header kept). */
export function sensorCsv(keep?: (device: string, tag: string) => boolean): string {
  const text = readFileSync(SENSOR_CSV, 'utf8');
  if (!keep) return text;
  const [header = '', ...rows] = text.split('\n');
  return (
    [
      header,
      ...rows.filter((r) => {
        const [, device = '', tag = ''] = r.split(',');
        return r !== '' && keep(device, tag);
      }),
    ].join('\n') + '\n'
  );
}

/**
 * One temp TESSERA_HOME with the real local adapters and the 15 oracle models. The queue is a
 * second SQLite handle on the runtime's queue file with a test clock (locks expire and the
 * duplicate-detection window passes only when the test says so), wrapped to record sends.
 */
export interface UsecaseWorld {
  readonly ctx: LocalContext;
  readonly clock: TestClock;
  readonly queue: RecordingQueue;
  /** The runtime's AnomalyDeps, over `queue`. */
  readonly deps: AnomalyDeps;
  /** The same deps over other ports (fault-injecting wrappers around the real ones). */
  withPorts(ports: { queue?: AnomalyDeps['queue']; ledger?: JobLedger }): AnomalyDeps;
  submitCsv(name: string, text: string): Promise<JobRecord>;
  close(): Promise<void>;
}

export interface WorldOptions {
  readonly windowsPerShard?: number;
  readonly maxDeliveryCount?: number;
  readonly lockDurationMs?: number;
  readonly duplicateDetectionWindowMs?: number;
}

export const DEDUP_WINDOW_MS = 10 * 60_000;

export async function openWorld(options: WorldOptions = {}): Promise<UsecaseWorld> {
  const home = tempHome({
    windowsPerShard: options.windowsPerShard ?? 120,
    maxDeliveryCount: options.maxDeliveryCount ?? 5,
    lockDurationMs: options.lockDurationMs ?? 5000,
  });
  const ctx = openContext(home.config);
  await ctx.ensureContainers();
  await registerOracleModels(ctx);
  const clock = createTestClock();
  const queue = recordingQueue(
    openSqliteWorkQueue({
      file: join(home.config.home, 'queue.sqlite'),
      queue: ctx.queue.name,
      lockDurationMs: home.config.lockDurationMs,
      maxDeliveryCount: home.config.maxDeliveryCount,
      duplicateDetectionWindowMs: options.duplicateDetectionWindowMs ?? DEDUP_WINDOW_MS,
      now: clock.now,
    }),
  );
  const withPorts: UsecaseWorld['withPorts'] = (ports) => ({
    ...ctx.deps,
    queue: ports.queue ?? queue,
    ledger: ports.ledger ?? ctx.ledger,
  });
  const deps = withPorts({});
  return {
    ctx,
    clock,
    queue,
    deps,
    withPorts,
    async submitCsv(name, text) {
      await ctx.blobs.put(CONTAINERS.inbox, name, text, { contentType: 'text/csv' });
      return submitJob(deps, { container: CONTAINERS.inbox, name });
    },
    async close() {
      await queue.close();
      await ctx.close();
      home.cleanup();
    },
  };
}

export interface JobResults {
  /** scores.csv data lines (no header). */
  readonly scores: string[];
  readonly anomalies: string[];
  readonly summaryText: string;
  readonly summary: Record<string, unknown>;
}

export async function readResults(ctx: Pick<LocalContext, 'blobs'>, jobId: string): Promise<JobResults> {
  const lines = async (file: 'scores.csv' | 'anomalies.csv') =>
    (await readBlobText(ctx.blobs, CONTAINERS.results, resultBlobName(jobId, file)))
      .split('\n')
      .slice(1)
      .filter((l) => l !== '');
  const summaryText = await readBlobText(ctx.blobs, CONTAINERS.results, resultBlobName(jobId, 'summary.json'));
  return {
    scores: await lines('scores.csv'),
    anomalies: await lines('anomalies.csv'),
    summaryText,
    summary: JSON.parse(summaryText) as Record<string, unknown>,
  };
}

/** scores.csv lines without the input lineage columns (input_blob, input_etag): comparable across jobs. */
export function withoutInputColumns(lines: readonly string[]): string[] {
  return lines.map((l) => l.split(',').slice(0, 13).join(','));
}

/** The `model` column (name@version) of each scores.csv line. */
export function modelColumn(lines: readonly string[]): Set<string> {
  return new Set(lines.map((l) => l.split(',')[11] ?? ''));
}
