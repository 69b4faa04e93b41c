import { randomBytes } from 'node:crypto';
import { HttpRequest, type HttpResponseInit } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTAINERS } from '../../src/core/jobNaming.js';
import { getJobHttp } from '../../functions/src/functions/getJobHttp.js';
import { listDeadLettersHttp } from '../../functions/src/functions/listDeadLettersHttp.js';
import { listJobsHttp } from '../../functions/src/functions/listJobsHttp.js';
import { redriveDeadLettersHttp } from '../../functions/src/functions/redriveDeadLettersHttp.js';
import { submitJobHttp } from '../../functions/src/functions/submitJobHttp.js';
import { openAzureWorld, receiveAll, type AzureWorld } from './support/azureWorld.js';

const CSV = 'TS,Device,Tag,Value\n2018-08-28 23:00:05,1,1,11.5\n';
const unique = (ext = '.csv') => `h-${randomBytes(4).toString('hex')}${ext}`;

describe('the HTTP functions (Azurite + test broker)', () => {
  let world: AzureWorld;
  beforeAll(async () => {
    world = await openAzureWorld();
  });
  afterAll(async () => world?.close());

  type Handler = (request: HttpRequest, invocation: ReturnType<AzureWorld['invocation']>) => Promise<HttpResponseInit>;
  const call = (
    handler: Handler,
    method: string,
    path: string,
    init: { body?: string | Buffer; params?: Record<string, string>; headers?: Record<string, string> } = {},
  ) =>
    handler(
      new HttpRequest({
        method,
        url: `http://localhost/api/${path}`,
        ...(init.body === undefined
          ? {}
          : { body: typeof init.body === 'string' ? { string: init.body } : { bytes: init.body } }),
        ...(init.params ? { params: init.params } : {}),
        ...(init.headers ? { headers: init.headers } : {}),
      }),
      world.invocation(handler.name),
    );
  const error = (response: HttpResponseInit) =>
    (response.jsonBody as { error: { input?: string; reason: string } }).error;

  describe('POST /api/jobs', () => {
    it('submits a blob already in storage: 202 with the job and where to follow it, planning queued on control', async () => {
      const name = unique();
      await world.ctx.blobs.put(CONTAINERS.inbox, name, CSV);
      const response = await call(submitJobHttp, 'POST', 'jobs', { body: JSON.stringify({ name }) });
      expect(response.status).toBe(202);
      const { job } = response.jsonBody as { job: { jobId: string; state: string; kind: string } };
      expect(job).toMatchObject({ state: 'planning', kind: 'anomaly' });
      expect(response.headers).toMatchObject({ Location: `/api/jobs/${job.jobId}` });
      const plans = await receiveAll(world.ctx.control, 500);
      expect(plans.map((m) => m.body)).toEqual([{ kind: 'plan', jobId: job.jobId }]);
      for (const m of plans) await world.ctx.control.complete(m);

      const again = await call(submitJobHttp, 'POST', 'jobs', { body: JSON.stringify({ container: 'inbox', name }) });
      expect((again.jsonBody as { job: { jobId: string } }).job.jobId).toBe(job.jobId);
    });

    it('uploads the body with ?name= into the inbox, never overwriting: the same bytes find the same job, other bytes conflict', async () => {
      const name = unique();
      const first = await call(submitJobHttp, 'POST', `jobs?name=${name}&model=ocsvm-x`, {
        body: Buffer.from(CSV),
        headers: { 'content-type': 'text/csv' },
      });
      expect(first.status).toBe(202);
      const stored = await world.ctx.blobs.head(CONTAINERS.inbox, name);
      expect(stored).toMatchObject({
        contentType: 'text/csv',
        metadata: { model: 'ocsvm-x', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown },
      });
      const jobId = (first.jsonBody as { job: { jobId: string; input: Record<string, string> } }).job.jobId;
      expect((first.jsonBody as { job: { input: Record<string, string> } }).job.input).toMatchObject({
        model: 'ocsvm-x',
        etag: stored!.etag,
      });

      const retried = await call(submitJobHttp, 'POST', `jobs?name=${name}&model=ocsvm-x`, { body: Buffer.from(CSV) });
      expect(retried.status).toBe(202);
      expect((retried.jsonBody as { job: { jobId: string } }).job.jobId).toBe(jobId);

      const other = await call(submitJobHttp, 'POST', `jobs?name=${name}`, {
        body: Buffer.from(`${CSV}2018-08-28 23:01:05,1,1,12\n`),
      });
      expect(other.status).toBe(409);
      expect(error(other).reason).toContain(`inbox/${name} holds other content`);
      expect((await world.ctx.blobs.head(CONTAINERS.inbox, name))?.etag).toBe(stored!.etag);
    });

    it.each([
      ['a missing blob', JSON.stringify({ name: 'nothing-here.csv' }), 'inbox/nothing-here.csv', 'no such blob'],
      ['a body that is not JSON', '{name:', 'request body', 'is not JSON'],
      ['an empty body', '', 'request body', 'is empty'],
      ['an array', '[]', 'request body', 'must be a JSON object'],
      ['no name', '{}', 'request body "name"', 'must be a non-empty string'],
      [
        'a bad container',
        JSON.stringify({ container: 7, name: 'x.csv' }),
        'request body "container"',
        'must be a non-empty string',
      ],
      [
        'a blob name with ..',
        JSON.stringify({ name: '../x.csv' }),
        'blob name "../x.csv"',
        'must be non-empty, without a leading / or .. segments',
      ],
    ])('%s → 400 naming the input and the reason', async (_what, body, input, reason) => {
      const response = await call(submitJobHttp, 'POST', 'jobs', { body });
      expect(response.status).toBe(400);
      expect(error(response).input).toBe(input);
      expect(error(response).reason).toContain(reason);
    });

    it('an empty upload → 400', async () => {
      const response = await call(submitJobHttp, 'POST', `jobs?name=${unique()}`);
      expect(response.status).toBe(400);
      expect(error(response)).toMatchObject({
        input: 'request body',
        reason: expect.stringContaining('is empty') as unknown,
      });
    });
  });

  describe('GET /api/jobs and /api/jobs/{jobId}', () => {
    it('lists jobs newest first, filtered, and reports one job with its shard counts', async () => {
      const names = [unique(), unique('.bin')];
      for (const name of names) await world.ctx.blobs.put(CONTAINERS.inbox, name, CSV);
      const ids: string[] = [];
      for (const name of names)
        ids.push(
          (
            (await call(submitJobHttp, 'POST', 'jobs', { body: JSON.stringify({ name }) })).jsonBody as {
              job: { jobId: string };
            }
          ).job.jobId,
        );

      const all = await call(listJobsHttp, 'GET', 'jobs?limit=1000');
      expect(all.status).toBe(200);
      const listed = (all.jsonBody as { jobs: { jobId: string }[] }).jobs.map((j) => j.jobId);
      expect(listed.indexOf(ids[1]!)).toBeLessThan(listed.indexOf(ids[0]!));
      const failed = await call(listJobsHttp, 'GET', 'jobs?state=failed&kind=unknown');
      expect((failed.jsonBody as { jobs: { jobId: string; error: string }[] }).jobs).toEqual([
        expect.objectContaining({
          jobId: ids[1],
          error: expect.stringContaining('no job kind takes this input') as unknown,
        }),
      ]);
      expect((await call(listJobsHttp, 'GET', 'jobs?limit=1')).jsonBody).toMatchObject({ jobs: [{ jobId: ids[1] }] });

      const one = await call(getJobHttp, 'GET', `jobs/${ids[0]}`, { params: { jobId: ids[0]! } });
      expect(one.status).toBe(200);
      expect(one.jsonBody).toMatchObject({
        job: { jobId: ids[0], state: 'planning' },
        shards: { total: 0, done: 0, failed: 0, running: 0 },
        failedShards: [],
      });
      expect(one.jsonBody).not.toHaveProperty('summary');
      // Ended without a summary (failed at submission): reported without one.
      const ended = await call(getJobHttp, 'GET', `jobs/${ids[1]}`, { params: { jobId: ids[1]! } });
      expect(ended.jsonBody).toMatchObject({ job: { state: 'failed' } });
      expect(ended.jsonBody).not.toHaveProperty('summary');
    });

    it.each([
      ['jobs?state=bogus', 'query parameter state', 'must be one of planning, running, finishing, succeeded, failed'],
      ['jobs?limit=0', 'query parameter limit', 'must be an integer from 1 to 1000'],
      ['jobs?limit=abc', 'query parameter limit', 'got "abc"'],
    ])('GET /api/%s → 400', async (path, input, reason) => {
      const response = await call(listJobsHttp, 'GET', path);
      expect(response.status).toBe(400);
      expect(error(response).input).toBe(input);
      expect(error(response).reason).toContain(reason);
    });

    it('an unknown job → 404, a malformed id → 400', async () => {
      const unknown = await call(getJobHttp, 'GET', 'jobs/j0000', { params: { jobId: 'j0000' } });
      expect(unknown.status).toBe(404);
      expect(error(unknown)).toEqual({ input: 'jobId', reason: 'no job j0000' });
      const bad = await call(getJobHttp, 'GET', 'jobs/x', { params: { jobId: '../etc' } });
      expect(bad.status).toBe(400);
      expect(error(bad).input).toBe('jobId');
    });
  });

  describe('dead letters', () => {
    it('lists an empty dead-letter queue and re-drives nothing', async () => {
      expect(await call(listDeadLettersHttp, 'GET', 'deadletters')).toMatchObject({
        status: 200,
        jsonBody: { queue: world.ctx.queue.name, messages: [] },
      });
      expect(await call(redriveDeadLettersHttp, 'POST', 'deadletters/redrive', { body: '{"all":true}' })).toMatchObject(
        { status: 200, jsonBody: { queue: world.ctx.queue.name, redriven: 0 } },
      );
    });

    it.each([
      [
        listDeadLettersHttp,
        'GET',
        'deadletters?queue=rejected',
        undefined,
        'query parameter queue',
        'must be one of jobs, control',
      ],
      [listDeadLettersHttp, 'GET', 'deadletters?limit=5000', undefined, 'query parameter limit', 'from 1 to 1000'],
      [redriveDeadLettersHttp, 'POST', 'deadletters/redrive', '{}', 'request body', 'must be { "sequenceNumbers"'],
      [
        redriveDeadLettersHttp,
        'POST',
        'deadletters/redrive',
        '{"sequenceNumbers":[]}',
        'request body',
        'must be { "sequenceNumbers"',
      ],
      [
        redriveDeadLettersHttp,
        'POST',
        'deadletters/redrive',
        '{"sequenceNumbers":[1],"all":true}',
        'request body',
        'or { "all": true }',
      ],
      [
        redriveDeadLettersHttp,
        'POST',
        'deadletters/redrive',
        '{"sequenceNumbers":[1,-2]}',
        'request body "sequenceNumbers"',
        '-2 is not a sequence number',
      ],
      [
        redriveDeadLettersHttp,
        'POST',
        'deadletters/redrive?queue=x',
        '{"all":true}',
        'query parameter queue',
        'got "x"',
      ],
    ] as const)('%o %s /api/%s → 400', async (handler, method, path, body, input, reason) => {
      const response = await call(handler, method, path, body === undefined ? {} : { body });
      expect(response.status).toBe(400);
      expect(error(response).input).toBe(input);
      expect(error(response).reason).toContain(reason);
    });
  });
});
