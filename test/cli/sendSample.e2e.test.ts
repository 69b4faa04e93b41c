import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { CONTAINERS, resultBlobName } from '../../src/core/jobNaming.js';
import type { LocalContext } from '../../src/composition/local/localContext.js';
import { readBlobText } from '../../src/usecases/readBlobText.js';
import { ocsvmDir } from '../support/fixtures.js';
import { openContext } from '../support/localHarness.js';
import { cliHome, collect, registerFixtureModelsViaCli, runCli, startCli, waitUntil } from '../support/cli.js';

/** The project's own sample, from 2018: what a user sends first. */
const SAMPLE = resolve(import.meta.dirname, '../../samples/sensor_data.csv');

/** Every row of the succeeded stream runs' scores.csv, by `device,tag,window_start`. */
async function scoredWindows(ctx: LocalContext): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const job of await ctx.ledger.listJobs({ kind: 'stream', state: 'succeeded', limit: 1000 })) {
    const [header = '', ...rows] = (
      await readBlobText(ctx.blobs, CONTAINERS.results, resultBlobName(job.jobId, 'scores.csv'))
    )
      .trim()
      .split('\n');
    const columns = header.split(',');
    for (const row of rows) {
      const f = row.split(',');
      const at = (name: string) => f[columns.indexOf(name)] ?? '';
      out.set(`${at('device')},${at('tag')},${at('window_start')}`, f.concat(at('score')));
    }
  }
  return out;
}

describe('the sample sensor file, sent to a running "tessera up" as a user first would', () => {
  // Score every 2 seconds: the six-field NCRONTAB form, seconds first.
  const home = cliHome({ TESSERA_SCORE_CRON: '*/2 * * * * *' });
  let up: ChildProcessWithoutNullStreams | undefined;
  let ctx: LocalContext;

  beforeAll(async () => {
    await registerFixtureModelsViaCli(home);
    up = startCli(home, ['up']);
    const output = collect(up);
    await waitUntil(
      () => output.stdout().includes('tessera runtime up'),
      `tessera up to start: ${output.stderr()}`,
      30_000,
    );
    ctx = openContext(loadConfig({ TESSERA_HOME: home.home }));
  });
  afterAll(async () => {
    await ctx?.close();
    if (up && up.exitCode === null) {
      up.kill('SIGINT');
      await new Promise((r) => up!.once('close', r));
    }
    home.cleanup();
  });

  it('without --backfill: nothing is sent, every row is reported with the reason and the way to send it, exit 2', async () => {
    const result = await runCli(home, ['send', SAMPLE]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stdout).toContain('sent 0 events');
    expect(result.stdout).toMatch(/not sent: timestamp too far in the past: 17768 \(first at line 2, 3,/);
    expect(result.stdout).toContain('send it with --backfill');
    expect(await ctx.aggregate.events.lastSequenceNumber(0)).toBe(-1);
  });

  it('with --backfill: all sent, none dead-lettered, and the score runs score every closed window as scikit-learn does', async () => {
    const result = await runCli(home, ['send', '--backfill', SAMPLE], 120_000);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('sent 17768 events');
    expect(result.stdout).toContain('aggregated: 0 event(s) dead-lettered');

    // Each series' last window stays open (no later reading of its device closes it): 15 of the oracle's.
    const oracle = readFileSync(join(ocsvmDir, 'scores.csv'), 'utf8').trim().split('\n').slice(1);
    const last = new Map<string, string>();
    for (const line of oracle) {
      const [device, tag, start] = line.split(',');
      if ((last.get(`${device},${tag}`) ?? '') < start!) last.set(`${device},${tag}`, start!);
    }
    const closed = oracle.filter((l) => {
      const [device, tag, start] = l.split(',');
      return last.get(`${device},${tag}`) !== start;
    });
    expect(closed).toHaveLength(oracle.length - 15);
    const deadline = Date.now() + 90_000;
    let scored = await scoredWindows(ctx);
    while (scored.size < closed.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      scored = await scoredWindows(ctx);
    }
    expect(scored.size).toBe(closed.length);
    for (const line of closed) {
      const [device, tag, start, decision] = line.split(',');
      const row = scored.get(`${device},${tag},${start}`);
      expect(row, `${device},${tag},${start}`).toBeDefined();
      expect(Math.abs(Number(row!.at(-1)) - Number(decision))).toBeLessThan(1e-4);
    }
  }, 240_000);

  it('history its device has moved past is dead-lettered afterwards as too late, and send says so, exit 2', async () => {
    const stale = join(home.dir, 'stale.jsonl');
    writeFileSync(stale, `${JSON.stringify({ deviceId: '1', tag: '1', ts: '2018-08-28T22:00:00Z', value: 1 })}\n`);
    const result = await runCli(home, ['send', '--backfill', stale]);
    expect(result.code, result.stdout + result.stderr).toBe(2);
    expect(result.stdout).toContain('sent 1 events');
    expect(result.stdout).toMatch(/aggregated: 1 event\(s\) dead-lettered\n {2}too late: 1 \(\d+:\d+;/);
  });
});
