import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { startLocalRuntime, type LocalRuntime } from '../../src/composition/local/localRuntime.js';
import { CONTAINERS } from '../../src/core/jobNaming.js';
import { createRecordingLogger } from '../../src/hosting/logger.js';
import { captureIo } from '../support/captureIo.js';
import { fixturesDir } from '../support/fixtures.js';
import { openContext, registerOracleModels, tempHome } from '../support/localHarness.js';

const SENSOR_CSV = join(fixturesDir, 'sensors/batchai-sensor_data.csv');

describe('the CLI against `tessera up` over HTTP (--remote, the token from TESSERA_HOME): a dropped file listed, followed, downloaded', () => {
  const home = tempHome();
  let ctx: ReturnType<typeof openContext>;
  let runtime: LocalRuntime;
  const cli = async (argv: string[], remote = runtime.serverUrl!) => {
    const io = captureIo();
    const code = await main([...argv, '--remote', remote], io, { env: { TESSERA_HOME: home.config.home } });
    return { code, stdout: io.stdout(), stderr: io.stderr() };
  };

  beforeAll(async () => {
    ctx = openContext(home.config);
    await ctx.ensureContainers();
    await registerOracleModels(ctx);
    runtime = await startLocalRuntime(home.config, createRecordingLogger(), { serve: { port: 0 } });
  });
  afterAll(async () => {
    await runtime?.stop();
    await ctx?.close();
    home.cleanup();
  });

  it('status lists the job of a dropped file, status -w and logs -f follow it to its end, results downloads its files', async () => {
    const csv = `${readFileSync(SENSOR_CSV, 'utf8').split('\n').slice(0, 601).join('\n')}\n`;
    await ctx.blobs.put(CONTAINERS.inbox, 'dropped.csv', csv);
    let jobId: string | undefined;
    for (const deadline = Date.now() + 30_000; jobId === undefined;) {
      const listed = await cli(['status', '-o', 'json']);
      expect(listed.code, listed.stderr).toBe(0);
      jobId = (JSON.parse(listed.stdout) as { jobs: { id: string; input: { name: string } }[] }).jobs.find(
        (j) => j.input.name === 'dropped.csv',
      )?.id;
      if (Date.now() > deadline) throw new Error('the dropped file never became a job');
    }
    const [watched, logs] = await Promise.all([cli(['status', jobId, '-w']), cli(['logs', jobId, '-f', '-o', 'json'])]);
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.stdout).toContain(`job ${jobId} (anomaly) succeeded: inbox/dropped.csv`);
    expect(watched.stderr).toContain(`${jobId} succeeded`); // the progress lines
    expect(logs.code, logs.stderr).toBe(0);
    const lines = logs.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { jobId: string; msg: string });
    expect(lines.every((l) => l.jobId === jobId)).toBe(true);
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['job planned', 'shard done', 'job finished']));

    const results = await cli(['results', jobId, '--out', join(home.dir, 'got')]);
    expect(results.code, results.stderr).toBe(0);
    expect(readdirSync(join(home.dir, 'got')).sort()).toEqual(['anomalies.csv', 'scores.csv', 'summary.json']);

    const listed = await cli(['status']);
    expect(listed.stdout).toMatch(new RegExp(`^${jobId}\\s+anomaly\\s+succeeded\\s`, 'm'));
  });

  it('a wrong token is refused (exit 1, saying so); a bad --remote is bad usage (exit 2)', async () => {
    const io = captureIo();
    const code = await main(['status', '--remote', runtime.serverUrl!], io, {
      env: { TESSERA_HOME: home.config.home, TESSERA_TOKEN: 'wrong' },
    });
    expect(code).toBe(1);
    expect(io.stderr()).toContain('not authorised');
    const bad = await cli(['status'], 'ftp://nowhere');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--remote: must be an http(s) URL, got "ftp://nowhere"');
  });
});
