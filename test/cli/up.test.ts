import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturesDir } from '../support/fixtures.js';
import {
  cliHome,
  collect,
  isAlive,
  registerFixtureModelsViaCli,
  runCli,
  startCli,
  waitUntil,
  type CliResult,
} from '../support/cli.js';

const SENSOR_CSV = join(fixturesDir, 'sensors/batchai-sensor_data.csv');

/** The pids the runtime logged as `worker started` (JSON lines on up's stderr). */
function workerPids(stderr: string): number[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg?: string; pid?: number })
    .filter((l) => l.msg === 'worker started' && typeof l.pid === 'number')
    .map((l) => l.pid!);
}

/** A loopback port nothing listens on now. */
function freePort(): number {
  const result = spawnSync(process.execPath, [
    '-e',
    "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})",
  ]);
  return Number(result.stdout.toString().trim());
}

describe('tessera up, submit and Ctrl-C', () => {
  // A port of this test's own, as a user's TESSERA_PORT (the default, 7433, is the same on every start).
  const port = freePort();
  const home = cliHome({ TESSERA_PORT: String(port) });
  let readings: string;
  let up: ChildProcessWithoutNullStreams | undefined;

  beforeAll(async () => {
    readings = join(home.dir, 'first-1000.csv');
    writeFileSync(readings, `${readFileSync(SENSOR_CSV, 'utf8').split('\n').slice(0, 1001).join('\n')}\n`);
    await registerFixtureModelsViaCli(home);
  });
  afterAll(() => {
    if (up && up.exitCode === null && up.signalCode === null) up.kill('SIGKILL');
    home.cleanup();
  });

  it('up on a port in use exits 2 naming TESSERA_PORT, before any worker starts', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(port, '127.0.0.1', resolve));
    try {
      const result = await runCli(home, ['up']);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`TESSERA_PORT: port ${port} is in use (another "tessera up"?)`);
      expect(result.stderr).not.toContain('worker started');
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('submit with no runtime running exits 2 and says to start one with "tessera up"', async () => {
    const result = await runCli(home, ['submit', readings]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('no runtime is running');
    expect(result.stderr).toContain('start one with "tessera up"');
  });

  // An end-to-end run of three processes and a job: minutes on a loaded shared machine, so a generous limit.
  it(
    'up runs until SIGINT; submit hands it a file and prints the job summary; SIGINT drains and exits 0',
    { timeout: 240_000 },
    async () => {
      const child = startCli(home, ['up']);
      up = child;
      const output = collect(child);
      let exit: CliResult | undefined;
      void output.exited.then((r) => (exit = r));
      // The endpoint table's last line: the table may arrive in more than one chunk.
      await waitUntil(
        () => output.stdout().includes('"tessera status" lists the jobs') || exit !== undefined,
        'tessera up to say it is up',
      );
      expect(exit, output.stderr()).toBeUndefined();
      expect(output.stdout()).toContain(`tessera runtime up: 2 workers over ${home.home}`);
      const origin = `http://127.0.0.1:${port}`;
      const table = output.stdout().split('\n');
      expect(table).toContainEqual(expect.stringMatching(/^ENDPOINT\s+URL\s+NOTE$/));
      expect(table).toContainEqual(
        expect.stringMatching(new RegExp(`^dashboard\\s+${origin}/login\\?token=[0-9a-f]{64}\\s`)),
      );
      expect(table).toContainEqual(expect.stringMatching(new RegExp(`^API\\s+${origin}/api\\s`)));
      expect(table).toContainEqual(expect.stringMatching(new RegExp(`^metrics\\s+${origin}/metrics\\s`)));
      expect(table).toContainEqual(expect.stringMatching(new RegExp(`^readings\\s+POST ${origin}/events\\s`)));
      expect(await (await fetch(`${origin}/metrics`)).text()).toMatch(/^tessera_workers 2$/m);
      await waitUntil(() => workerPids(output.stderr()).length === 2, 'two "worker started" log lines', 5000);
      const workers = workerPids(output.stderr());
      expect(existsSync(join(home.home, 'runtime.json'))).toBe(true);

      const status = await runCli(home, ['status']);
      expect(status.stdout.split('\n')[0]).toMatch(new RegExp(`^runtime: pid ${child.pid}, 2 workers, since `));

      const submitted = await runCli(home, ['submit', readings]);
      expect(submitted.code, submitted.stderr).toBe(0);
      const jobId = /^submitted .*first-1000\.csv as job (j[0-9a-f]{20})$/m.exec(submitted.stdout)?.[1];
      expect(jobId, submitted.stdout).toBeDefined();
      expect(submitted.stdout).toContain(`job ${jobId}: succeeded`);
      expect(submitted.stdout).toMatch(/rows 1000 \(0 rejected\), series 15, windows \d+, anomalies \d+/);
      expect(submitted.stdout).toMatch(/shards (\d+)\/\1 succeeded/);

      const signalledAt = Date.now();
      child.kill('SIGINT');
      const result = await Promise.race([
        output.exited,
        new Promise<never>((_, reject) =>
          setTimeout(
            () => reject(new Error(`up did not exit within 15 s of SIGINT:\n${output.stdout()}\n${output.stderr()}`)),
            15_000,
          ),
        ),
      ]);
      expect(result.signal).toBeNull();
      expect(result.code, result.stderr).toBe(0);
      expect(Date.now() - signalledAt).toBeLessThan(15_000);
      expect(result.stdout).toContain('draining');
      expect(existsSync(join(home.home, 'runtime.json'))).toBe(false);
      await waitUntil(() => workers.every((pid) => !isAlive(pid)), `workers ${workers.join(', ')} to be gone`, 3000);

      const after = await runCli(home, ['status']);
      expect(after.stdout.split('\n')[0]).toBe('runtime: not running');
    },
  );
});
