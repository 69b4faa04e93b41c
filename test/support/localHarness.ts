import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config/config.js';
import { TERMINAL_JOB_STATES } from '../../src/ports/jobLedger.js';
import { openLocalContext, type LocalContext } from '../../src/composition/local/localContext.js';
import { createRecordingLogger } from '../../src/hosting/logger.js';
import { getJobProgress, type JobProgress } from '../../src/usecases/jobStatus.js';
import { ocsvmDir } from './fixtures.js';

/** A fresh TESSERA_HOME in a temp directory, with a config over it (short locks, fast polls). */
export function tempHome(overrides: Partial<Config> = {}): { config: Config; dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-home-'));
  const config = loadConfig(
    { TESSERA_HOME: join(dir, 'home'), TESSERA_LOG_LEVEL: 'debug' },
    { workers: 2, pollMs: 20, lockDurationMs: 5000, ...overrides },
  );
  return { config, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function openContext(
  config: Config,
): LocalContext & { lines: ReturnType<typeof createRecordingLogger>['lines'] } {
  const log = createRecordingLogger();
  return Object.assign(openLocalContext(config, log), { lines: log.lines });
}

/** Registers the oracle's 15 skl2onnx models as ocsvm-<device>-<tag>@1. */
export async function registerOracleModels(
  ctx: LocalContext,
  only?: (device: string, tag: string) => boolean,
): Promise<void> {
  const manifest = JSON.parse(readFileSync(join(ocsvmDir, 'manifest.json'), 'utf8')) as {
    models: { device: string; tag: string; model: string }[];
  };
  for (const m of manifest.models) {
    if (only && !only(m.device, m.tag)) continue;
    await ctx.registry.add(`ocsvm-${m.device}-${m.tag}`, readFileSync(join(ocsvmDir, m.model)));
  }
}

/** Polls the ledger until the job ends or `timeoutMs` passes. */
export async function waitForJob(ctx: LocalContext, jobId: string, timeoutMs = 60_000): Promise<JobProgress> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const progress = await getJobProgress(ctx.ledger, jobId);
    if (progress && TERMINAL_JOB_STATES.includes(progress.job.state)) return progress;
    if (Date.now() > deadline)
      throw new Error(
        `job ${jobId} did not end within ${timeoutMs} ms: ${JSON.stringify(progress?.shards)} ${progress?.job.state}`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function writeTemp(dir: string, name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}
