import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturesDir } from '../support/fixtures.js';
import { cliHome, runCli } from '../support/cli.js';

const SENSOR_CSV = join(fixturesDir, 'sensors/batchai-sensor_data.csv');
const SERIES = ['1', '2', '3'].flatMap((d) => ['1', '2', '3', '4', '5'].map((t) => `ocsvm-${d}-${t}`));

describe('tessera train ocsvm, then run with the trained models', () => {
  const home = cliHome();
  let readings: string;

  beforeAll(() => {
    readings = join(home.dir, 'first-3000.csv');
    writeFileSync(readings, `${readFileSync(SENSOR_CSV, 'utf8').split('\n').slice(0, 3001).join('\n')}\n`);
  });
  afterAll(() => home.cleanup());

  it('trains one model per (device, tag) and prints each ref and its window count', async () => {
    const trained = await runCli(home, ['train', 'ocsvm', readings, '--window-seconds', '60']);
    expect(trained.code, trained.stderr).toBe(0);
    const lines = trained.stdout.trim().split('\n');
    expect(lines).toHaveLength(15);
    const refs = lines.map((line) => {
      const match = /^trained (ocsvm-\d-\d)@(\d+) on (\d+) windows$/.exec(line);
      expect(match, line).not.toBeNull();
      expect(Number(match![3])).toBeGreaterThan(30); // ~42 minutes of readings in 60 s windows
      return match![1];
    });
    expect(refs.sort()).toEqual(SERIES);

    const listed = await runCli(home, ['models', 'list', '--json']);
    const { models } = JSON.parse(listed.stdout) as { models: { ref: string; metadata: Record<string, string> }[] };
    expect(models.map((m) => m.ref).sort()).toEqual(SERIES.map((s) => `${s}@1`));
    expect(models.every((m) => m.metadata.window_seconds === '60')).toBe(true);
  });

  it('run on the same file scores every series with the trained models', async () => {
    const run = await runCli(home, ['run', readings, '--out', 'results']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/: succeeded\n/);
    expect(run.stdout).toMatch(/rows 3000 \(0 rejected\), series 15, windows \d+, anomalies \d+/);
    const scores = readFileSync(join(home.dir, 'results', 'scores.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1);
    expect(scores.length).toBeGreaterThan(15 * 30);
    const models = new Set(scores.map((l) => l.split(',')[11]));
    expect([...models].sort()).toEqual(SERIES.map((s) => `${s}@1`));
  });
});
