import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturesDir } from '../support/fixtures.js';
import { cliHome, registerFixtureModelsViaCli, runCli, type CliResult } from '../support/cli.js';

const SENSOR_CSV = join(fixturesDir, 'sensors/batchai-sensor_data.csv');
const ORACLE_WINDOWS = 3781;

/** The job id from run's first line, `job <id> (<file>)`. */
function jobIdOf(result: CliResult): string {
  const match = /^job (j[0-9a-f]{20}) \((.+)\)$/m.exec(result.stdout);
  if (!match) throw new Error(`no job line in: ${result.stdout}`);
  return match[1]!;
}

describe('tessera run and status over the 15 fixture models', () => {
  const home = cliHome();
  let first: CliResult;
  let jobId: string;

  beforeAll(async () => {
    const added = await registerFixtureModelsViaCli(home);
    expect(added.map((r) => r.stdout.split(' ')[0])).toEqual(Array(15).fill('added'));
    first = await runCli(home, ['run', SENSOR_CSV, '--out', 'results']);
    jobId = jobIdOf(first);
  });
  afterAll(() => home.cleanup());

  it('run FILE --out DIR exits 0, names the job and the results dir, and writes the three result files', () => {
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`job ${jobId} (${SENSOR_CSV})`);
    expect(first.stdout).toContain(`job ${jobId}: succeeded`);
    expect(first.stdout).toMatch(/rows 17768 \(0 rejected\), series 15, windows 3781, anomalies \d+/);
    expect(first.stdout).toContain('results in results: anomalies.csv, scores.csv, summary.json');
    expect(first.stderr).toContain(`${jobId} succeeded`); // the progress lines go to stderr

    const dir = join(home.dir, 'results');
    const scores = readFileSync(join(dir, 'scores.csv'), 'utf8').trim().split('\n');
    expect(scores[0]).toBe(
      'device,tag,window_start,window_end,count,mean,std,min,max,score,label,model,model_sha256,input_blob,input_etag',
    );
    expect(scores).toHaveLength(ORACLE_WINDOWS + 1);
    const anomalies = readFileSync(join(dir, 'anomalies.csv'), 'utf8').trim().split('\n');
    expect(anomalies[0]).toBe(scores[0]);
    expect(anomalies.slice(1)).toEqual(scores.slice(1).filter((l) => l.split(',')[10] === '-1'));
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Record<string, unknown>;
    expect(summary).toMatchObject({
      jobId,
      state: 'succeeded',
      rows: 17768,
      badRows: 0,
      series: 15,
      windows: ORACLE_WINDOWS,
      anomalies: anomalies.length - 1,
    });
  });

  it('running the same file again finds the same job: exit 0, same id, no second job', async () => {
    const again = await runCli(home, ['run', SENSOR_CSV, '--out', 'again']);
    expect(again.code, again.stderr).toBe(0);
    expect(jobIdOf(again)).toBe(jobId);
    expect(readFileSync(join(home.dir, 'again', 'scores.csv'), 'utf8')).toBe(
      readFileSync(join(home.dir, 'results', 'scores.csv'), 'utf8'),
    );

    const status = await runCli(home, ['status']);
    expect(status.code, status.stderr).toBe(0);
    const jobs = status.stdout.split('\n').filter((l) => /^j[0-9a-f]{20} /.test(l));
    expect(jobs).toHaveLength(1);
  });

  it('status lists the job, and says no runtime is running', async () => {
    const status = await runCli(home, ['status']);
    expect(status.code, status.stderr).toBe(0);
    const [runtime, header, job] = status.stdout.trim().split('\n');
    expect(runtime).toBe('runtime: not running');
    expect(header).toMatch(/^JOB\s+KIND\s+STATE\s+PROGRESS\s+CREATED\s+INPUT$/);
    expect(job).toMatch(
      new RegExp(`^${jobId}  anomaly  succeeded  (\\d+)/\\1\\s+\\S+Z  inbox/batchai-sensor_data\\.csv$`),
    );

    const json = await runCli(home, ['status', '--json']);
    expect(JSON.parse(json.stdout)).toEqual({ jobs: [expect.objectContaining({ id: jobId, state: 'succeeded' })] });
    // The stable shape: sizes are numbers, and no ledger internals (pins keyed "device\0tag") leak.
    const { jobs } = JSON.parse(json.stdout) as { jobs: { input: { size: unknown } }[] };
    expect(jobs[0]!.input.size).toBe(statSync(SENSOR_CSV).size);
    expect(json.stdout).not.toContain('\\u0000');
    expect(json.stdout).not.toContain('"pins"');
  });

  it('status JOB shows its shards and its summary', async () => {
    const status = await runCli(home, ['status', jobId]);
    expect(status.code, status.stderr).toBe(0);
    const lines = status.stdout.split('\n');
    expect(lines[0]).toBe(`job ${jobId} (anomaly) succeeded: inbox/batchai-sensor_data.csv`);
    expect(lines[1]).toMatch(/^ {2}shards (\d+) done, 0 running, 0 failed, of \1; rows done 17768$/);
    expect(status.stdout).toContain('windows 3781');

    expect(status.stdout).toContain(
      `results: anomalies.csv, scores.csv, summary.json (download: tessera results ${jobId} --out DIR)`,
    );

    const json = await runCli(home, ['status', jobId, '--json']);
    const detail = JSON.parse(json.stdout) as {
      job: { id: string; progress: { shards: { total: number; succeeded: number; failed: number } } };
      shards: { series: { device: string; tag: string } | null; state: string }[];
      files: { name: string; size: number }[];
      lineage: { models: { series: string; model: string; sha256: string }[] };
    };
    expect(detail.job.id).toBe(jobId);
    const shards = detail.job.progress.shards;
    expect(shards.total).toBeGreaterThan(0);
    expect(shards).toMatchObject({ succeeded: shards.total, failed: 0 });
    expect(detail.shards.every((s) => s.state === 'succeeded' && s.series !== null)).toBe(true);
    expect(detail.files.map((f) => f.name)).toEqual(['anomalies.csv', 'scores.csv', 'summary.json']);
    expect(detail.lineage.models).toHaveLength(15);
    expect(detail.lineage.models).toContainEqual({
      series: '1/1',
      model: 'ocsvm-1-1@1',
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown,
    });
    expect(json.stdout).not.toContain('\\u0000');
  });

  it('results JOB --out DIR downloads the same files run --out wrote', async () => {
    const result = await runCli(home, ['results', jobId, '--out', 'downloaded']);
    expect(result.code, result.stderr).toBe(0);
    for (const file of ['scores.csv', 'anomalies.csv', 'summary.json'])
      expect(readFileSync(join(home.dir, 'downloaded', file), 'utf8')).toBe(
        readFileSync(join(home.dir, 'results', file), 'utf8'),
      );
  });

  it('status of an unknown job exits 2 naming it', async () => {
    const status = await runCli(home, ['status', 'nosuchjob']);
    expect(status.code).toBe(2);
    expect(status.stdout).toBe('');
    expect(status.stderr).toBe('tessera status: nosuchjob: no such job\n');
  });

  it('leaves no runtime lock behind after run', () => {
    expect(existsSync(join(home.home, 'runtime.json'))).toBe(false);
  });
});
