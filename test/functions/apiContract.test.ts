import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobView } from '../../src/usecases/operator/jobView.js';
import { apiCaller, type ApiCaller } from '../support/apiCalls.js';
import { ocsvmDir } from '../support/fixtures.js';
import { openAzureWorld, submitThroughTrigger, type AzureWorld } from './support/azureWorld.js';
import { runToEnd } from './support/runToEnd.js';
import { functionsFetch } from './support/functionsFetch.js';

/** Readings of series (1, 1) over six minutes: 6 one-minute windows. */
function readingsCsv(): string {
  const rows = ['TS,Device,Tag,Value'];
  for (let minute = 0; minute < 6; minute++)
    for (const [i, second] of [5, 25, 45].entries())
      rows.push(`2018-08-28 23:0${minute}:${second + 10}.000,1,1,${(11 + ((minute * 3 + i) % 5) * 0.7).toFixed(2)}`);
  return `${rows.join('\n')}\n`;
}

describe('the jobs API through the Functions handlers: a job dropped in the inbox, listed, inspected, downloaded, retried', () => {
  let world: AzureWorld;
  let api: ApiCaller;
  beforeAll(async () => {
    world = await openAzureWorld({ TESSERA_WINDOWS_PER_SHARD: '2' });
    await world.ctx.registry.add('ocsvm-1-1', readFileSync(join(ocsvmDir, 'models/ocsvm-1-1.onnx')));
    api = apiCaller(functionsFetch(world), 'http://localhost');
  });
  afterAll(async () => world?.close());

  it('lists and reports the job in the documented shapes, serves its files and series, and says where its logs are', async () => {
    const jobId = await submitThroughTrigger(world, readingsCsv());
    await runToEnd(world, jobId);
    const { jobs } = await api.json<{ jobs: JobView[] }>('listJobs', '/jobs?kind=anomaly', 200);
    expect(jobs.find((j) => j.id === jobId)).toMatchObject({ state: 'succeeded', progress: { fraction: 1 } });
    const detail = await api.json<{ files: { name: string; url: string }[]; lineage: { models: unknown[] } }>(
      'getJob',
      `/jobs/${jobId}`,
      200,
    );
    expect(detail.files.map((f) => f.name)).toEqual(['anomalies.csv', 'scores.csv', 'summary.json']);
    expect(detail.lineage.models).toEqual([
      { series: '1/1', model: 'ocsvm-1-1@1', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown },
    ]);
    const { body } = await api.bytes('getJobFile', `/jobs/${jobId}/files/scores.csv`);
    expect(body.toString('utf8').trim().split('\n')).toHaveLength(7);
    const { series } = await api.json<{ series: { windows: { score: number[] } }[] }>(
      'getJobSeries',
      `/jobs/${jobId}/series`,
      200,
    );
    expect(series[0]!.windows.score).toHaveLength(6);
    const logs = await api.json<{ error: { reason: string } }>('getJobLogs', `/jobs/${jobId}/logs`, 501);
    expect(logs.error.reason).toContain(`customDimensions.jobId == "${jobId}"`);
    await api.json('cancelJob', `/jobs/${jobId}/cancel`, 409);
    await api.json('getJobThumbnails', `/jobs/${jobId}/thumbnails`, 400);
    const models = await api.json<{ models: { ref: string }[]; builtin: string[] }>('listModels', '/models', 200);
    expect(models.models.map((m) => m.ref)).toContain('ocsvm-1-1@1');
    expect(models.builtin).toEqual(['toon']);
    expect(await api.json('listStreamRuns', '/stream/runs', 200)).toEqual({ runs: [] });
  });

  it('retries a failed job as a new attempt, and cancels a job that has not ended', async () => {
    const failedId = await submitThroughTrigger(world, 'not,a,reading\n1,2,3\n');
    await runToEnd(world, failedId);
    const retried = await api.json<{ job: JobView }>('retryJob', `/jobs/${failedId}/retry`, 202);
    expect(retried.job).toMatchObject({ id: `${failedId}-2`, attempt: 2, retryOf: failedId });
    const cancelled = await api.json<{ job: JobView }>('cancelJob', `/jobs/${failedId}-2/cancel`, 200);
    expect(cancelled.job).toMatchObject({ state: 'failed', error: 'cancelled', cancelled: true });
    await runToEnd(world, `${failedId}-2`); // its queued plan finds the job ended
    expect((await api.json<{ job: JobView }>('getJob', `/jobs/${failedId}-2`, 200)).job.error).toBe('cancelled');
  });
});
