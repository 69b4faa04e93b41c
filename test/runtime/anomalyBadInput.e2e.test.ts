import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTAINERS, resultBlobName } from '../../src/core/jobNaming.js';
import { startLocalRuntime, type LocalRuntime } from '../../src/composition/local/localRuntime.js';
import type { LocalContext } from '../../src/composition/local/localContext.js';
import { createRecordingLogger } from '../../src/hosting/logger.js';
import { submitJob } from '../../src/usecases/submitJob.js';
import { submitFile } from '../../src/cli/submitFile.js';
import { readBlobText } from '../../src/usecases/readBlobText.js';
import { fixturesDir, ocsvmDir } from '../support/fixtures.js';
import { openContext, registerOracleModels, tempHome, waitForJob, writeTemp } from '../support/localHarness.js';

const lines = readFileSync(join(fixturesDir, 'sensors/batchai-sensor_data.csv'), 'utf8').trim().split('\n');

describe('bad input on the local runtime: clear errors, nothing else lost or blocked', () => {
  const home = tempHome();
  let runtime: LocalRuntime;
  let ctx: LocalContext;

  beforeAll(async () => {
    ctx = openContext(home.config);
    await ctx.ensureContainers();
    // Device 3 tag 5's model file is corrupted in storage after registration (the registry refuses
    // a corrupt file at `models add`); device 3 tag 4 gets a model of the wrong input width.
    await registerOracleModels(ctx, (d, t) => !(d === '3' && t === '4'));
    const { blob } = await ctx.registry.resolve('ocsvm-3-5');
    const good = readFileSync(join(ocsvmDir, 'models/ocsvm-3-5.onnx'));
    await ctx.blobs.put(
      CONTAINERS.models,
      blob,
      Buffer.concat([good.subarray(0, 200), Buffer.from('corrupt'), good.subarray(207)]),
    );
    await ctx.registry.add('ocsvm-3-4', readFileSync(join(ocsvmDir, 'models/ocsvm-3-4.onnx')), {
      meta: { features: 'mean,std,min' },
    });
    runtime = await startLocalRuntime(home.config, createRecordingLogger());
  });

  afterAll(async () => {
    await runtime?.stop();
    await ctx?.close();
    home.cleanup();
  });

  it.each([
    ['empty.csv', '', /empty\.csv: the file is empty/],
    ['binary.csv', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0xff, 0xfe]), /binary\.csv: binary data/],
    [
      'header.csv',
      'time,id,value\n2018-01-01,1,2\n',
      /header\.csv: expected header "TS,Device,Tag,Value", found "time,id,value"/,
    ],
    ['only-header.csv', 'TS,Device,Tag,Value\n', /only-header\.csv: the file has no data rows/],
  ])('%s fails at planning with a clear reason', async (name, content, reason) => {
    // Dropped into the inbox as it is: the CLI and the API refuse an empty upload before it gets there.
    await ctx.blobs.put(CONTAINERS.inbox, name, content);
    const job = await submitJob(ctx.deps, { name });
    const progress = await waitForJob(ctx, job.jobId);
    expect(progress.job.state).toBe('failed');
    expect(progress.job.error).toMatch(reason);
    expect(progress.job.error).toContain(`inbox/${name}`);
  });

  it('bad rows within the 1% budget are reported with their line numbers, and the good rows are scored', async () => {
    // Devices 1 and 2 only: device 3's models are deliberately broken in this suite.
    const body = [
      lines[0]!,
      ...lines
        .slice(1)
        .filter((l) => l.split(',')[1] !== '3')
        .slice(0, 3000),
    ];
    body[10] = '2018-08-28 23:00:50.000,1,1,NaN';
    body[20] = 'not a time,1,2,3';
    body[30] = '2018-08-28 23:01:00.000,1,1';
    body[40] = '2018-08-28 23:01:00.000,1,1,12,extra';
    body[50] = '2018-08-28 23:01:00.000,1,1,abc';
    body[60] = '0001-01-01 00:00:00.000,1,1,3'; // a typo of a year: not scored as 1901, nor at all
    body[70] = '9999-12-31 23:59:59.000,1,2,4';
    body.push('2018-08-28 23:01:00.000,9,9,1.5'); // a series with no model
    const job = await submitFile(ctx, writeTemp(home.dir, 'some-bad.csv', body.join('\n')));
    const progress = await waitForJob(ctx, job.jobId);
    expect(progress.job.state, progress.job.error).toBe('succeeded');
    const summary = JSON.parse(
      await readBlobText(ctx.blobs, CONTAINERS.results, resultBlobName(job.jobId, 'summary.json')),
    ) as {
      rows: number;
      badRows: number;
      errors: { byReason: Record<string, { count: number; firstRows: number[]; example: string }> };
    };
    expect(summary.rows).toBe(3001);
    expect(summary.badRows).toBe(8);
    expect(summary.errors.byReason['non-finite value']).toMatchObject({ count: 1, firstRows: [11] });
    expect(summary.errors.byReason['unparseable timestamp']).toMatchObject({ count: 1, firstRows: [21] });
    expect(summary.errors.byReason['wrong column count']).toMatchObject({ count: 2, firstRows: [31, 41] });
    expect(summary.errors.byReason['non-numeric value']).toMatchObject({ count: 1, firstRows: [51] });
    expect(summary.errors.byReason['timestamp out of range']).toMatchObject({
      count: 2,
      firstRows: [61, 71],
      example:
        'line 61: "0001-01-01 00:00:00.000" is before 1970-01-01T00:00:00Z (TESSERA_MIN_TIMESTAMP, TESSERA_MAX_TIMESTAMP)',
    });
    expect(summary.errors.byReason['series has no model']).toMatchObject({ count: 1, firstRows: [3002] });
  });

  it('over the error budget, the job fails at planning and says why', async () => {
    const body = lines.slice(0, 201).map((l, i) => (i > 0 && i % 20 === 0 ? l.replace(/,[^,]*$/, ',oops') : l));
    const job = await submitFile(ctx, writeTemp(home.dir, 'many-bad.csv', body.join('\n')));
    const progress = await waitForJob(ctx, job.jobId);
    expect(progress.job.state).toBe('failed');
    expect(progress.job.error).toMatch(
      /many-bad\.csv: 10 of 200 rows \(5\.00%\) are invalid, over the error budget of 1\.00% \(non-numeric value: 10, first at line 21, 41/,
    );
  });

  it('a corrupt model and a model of the wrong input width dead-letter only their shards; the other series complete', async () => {
    const job = await submitFile(ctx, join(fixturesDir, 'sensors/batchai-sensor_data.csv'));
    const progress = await waitForJob(ctx, job.jobId);
    expect(progress.job.state).toBe('failed');
    const failed = progress.failedShards.map((s) => s.shardId);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((id) => id.startsWith('3.5.') || id.startsWith('3.4.'))).toBe(true);
    expect(progress.failedShards.find((s) => s.shardId.startsWith('3.5.'))?.error).toMatch(/ocsvm-3-5@1.*sha256/);
    expect(progress.failedShards.find((s) => s.shardId.startsWith('3.4.'))?.error).toMatch(/ocsvm-3-4@1.*(\[N, 4\]|3)/);
    expect(progress.job.error).toMatch(/shards failed/);
    const scores = (await readBlobText(ctx.blobs, CONTAINERS.results, resultBlobName(job.jobId, 'scores.csv')))
      .trim()
      .split('\n')
      .slice(1);
    const series = new Set(scores.map((l) => l.split(',').slice(0, 2).join(',')));
    expect(series.size).toBe(13);
    expect(series.has('3,5') || series.has('3,4')).toBe(false);
    const dead = await ctx.queue.peekDeadLetters();
    expect(dead.filter((m) => m.messageId.startsWith(job.jobId)).length).toBe(failed.length);
    expect(dead.every((m) => m.deadLetterReason !== '' && m.deadLetterErrorDescription !== '')).toBe(true);
  });
});
