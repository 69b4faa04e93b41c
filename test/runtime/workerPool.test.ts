import { mkdirSync, writeFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { configToEnv } from '../../src/config/config.js';
import { startWorkerPool, type WorkerPool } from '../../src/composition/local/workerPool.js';
import { createRecordingLogger } from '../../src/hosting/logger.js';
import { tempHome } from '../support/localHarness.js';

describe('the worker pool replacing workers that die as they start', () => {
  let pool: WorkerPool | undefined;
  let cleanup: (() => void) | undefined;
  afterEach(async () => {
    await pool?.stop(1000);
    cleanup?.();
    vi.unstubAllEnvs();
  });

  it('backs off exponentially, then gives up after a bound, saying why (the damaged file, named)', async () => {
    // The workers run from the sources through tsx here, as without the suite's TESSERA_COMPILED_CHILDREN
    // (every other runtime test runs the build in dist/): each start reports why it died, so that path works.
    vi.stubEnv('TESSERA_COMPILED_CHILDREN', '');
    const home = tempHome({ workers: 1 });
    cleanup = home.cleanup;
    mkdirSync(home.config.home, { recursive: true });
    const queueFile = join(home.config.home, 'queue.sqlite');
    writeFileSync(queueFile, Buffer.alloc(8192, 7)); // not a database: every worker dies opening it
    const log = createRecordingLogger();
    pool = startWorkerPool({
      size: 1,
      env: configToEnv(home.config),
      logFile: join(home.dir, 'workers.log'),
      log,
      restart: { baseMs: 200, maxCrashes: 4 },
    });
    const started = Date.now();
    const reason = await pool.gaveUp;
    const lines = log.lines;
    const waits = lines.filter((l) => l.msg.startsWith('worker exited; replacing it')).map((l) => l.waitMs);
    expect(waits).toEqual([200, 400, 800]);
    expect(lines.filter((l) => l.msg === 'worker started')).toHaveLength(4);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    expect(reason.message).toMatch(/^worker 0 crashed 4 times in a row/);
    expect(reason.message).toContain(`${queueFile} is corrupt (file is not a database)`);
    expect(lines.at(-1)).toMatchObject({ level: 'error', msg: reason.message });
    // Given up: nothing is started any more.
    await new Promise((r) => setTimeout(r, 1000));
    expect(pool.pids()).toEqual([]);
  });

  it("starts its children at the niceness it is given (the one-shot runtime's aggregator), and replacements too", async () => {
    const home = tempHome({ workers: 1 });
    cleanup = home.cleanup;
    mkdirSync(home.config.home, { recursive: true });
    pool = startWorkerPool({
      size: 1,
      env: configToEnv(home.config),
      logFile: join(home.dir, 'aggregator.log'),
      log: createRecordingLogger(),
      entry: 'aggregatorMain',
      role: 'aggregator',
      restart: { baseMs: 50 },
      niceness: 19,
    });
    const [first] = pool.pids();
    expect(first).toBeDefined();
    expect(getPriority(first)).toBe(19);
    expect(getPriority(process.pid), 'the parent keeps its priority').toBe(0);
    process.kill(first!, 'SIGKILL');
    const deadline = Date.now() + 30_000;
    while ((pool.pids()[0] ?? first) === first && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const [second] = pool.pids();
    expect(second).not.toBe(first);
    expect(getPriority(second)).toBe(19);
  });
});
