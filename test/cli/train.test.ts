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

describe('tessera train ocsvm: gamma and cut-offs as a user brings them', () => {
  const home = cliHome();
  let readings: string;

  /** Two series, 30 minutes of readings each (two a minute), the second starting an hour later. */
  beforeAll(() => {
    const rows = ['TS,Device,Tag,Value'];
    for (const [device, start] of [
      ['1', Date.UTC(2018, 0, 1, 0, 0)],
      ['2', Date.UTC(2018, 0, 1, 1, 0)],
    ] as const)
      for (let i = 0; i < 60; i++)
        rows.push(`${new Date(start + i * 30_000).toISOString()},${device},1,${Math.sin(i) * 10 + (i % 7)}`);
    readings = join(home.dir, 'two-series.csv');
    writeFileSync(readings, `${rows.join('\n')}\n`);
  });
  afterAll(() => home.cleanup());

  const listJson = async () =>
    (
      JSON.parse((await runCli(home, ['models', 'list', '--json'])).stdout) as {
        models: { name: string; meta: Record<string, string> }[];
      }
    ).models;

  it("--gamma auto (scikit-learn's 1 / n_features) and a cut-off per series beside the global one", async () => {
    const trained = await runCli(home, [
      'train',
      'ocsvm',
      readings,
      '--gamma',
      'auto',
      '--train-until',
      '1/1=2018-01-01T00:15:00Z',
      '--train-until',
      '2018-01-01T01:20:00Z',
    ]);
    expect(trained.code, trained.stderr).toBe(0);
    expect(trained.stdout.trim().split('\n')).toEqual([
      'trained ocsvm-1-1@1 on 15 windows',
      'trained ocsvm-2-1@1 on 20 windows',
    ]);
    const models = await listJson();
    expect(models.map((m) => m.meta)).toEqual([
      expect.objectContaining({ gamma: '0.25', train_windows: '15', train_until: '2018-01-01T00:15:00.000Z' }),
      expect.objectContaining({ gamma: '0.25', train_windows: '20', train_until: '2018-01-01T01:20:00.000Z' }),
    ]);
  }, 120_000);

  it('bad usage (exit 2) names the reason and trains nothing', async () => {
    const cases: [string[], RegExp][] = [
      [['--gamma', 'mean'], /--gamma: must be "scale", "auto" or a positive number, got "mean"/],
      [['--train-until', '9/9=2018-01-01T00:15:00Z'], /cut-off names series with no readings before it: 9\/9/],
      [['--train-until', '1/1=yesterday'], /--train-until: not a timestamp: "yesterday"/],
      [['--train-until', '2018-01-01T00:15:00Z', '--train-until', '2018-01-01T00:20:00Z'], /given twice/],
    ];
    const before = (await listJson()).length;
    for (const [args, reason] of cases) {
      const result = await runCli(home, ['train', 'ocsvm', readings, ...args]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(reason);
    }
    expect(await listJson()).toHaveLength(before);
  }, 180_000);
});
