import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { HttpRequest } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardHttp } from '../../functions/src/functions/dashboardHttp.js';
import { CONTAINERS } from '../../src/core/jobNaming.js';
import type { JobView } from '../../src/usecases/operator/jobView.js';
import { apiCaller, type ApiCaller } from '../support/apiCalls.js';
import { openAzureWorld, receiveAll, type AzureWorld } from './support/azureWorld.js';
import { functionsFetch } from './support/functionsFetch.js';

const CSV = 'TS,Device,Tag,Value\n2018-08-28 23:00:05,1,1,11.5\n';
const unique = (ext = '.csv') => `h-${randomBytes(4).toString('hex')}${ext}`;
type ErrorBody = { error: { input?: string; reason: string } };
const text = async (body: unknown) => {
  let out = '';
  for await (const chunk of body as Readable) out += String(chunk);
  return out;
};

describe('the HTTP functions (Azurite + test broker), held to the OpenAPI document', () => {
  let world: AzureWorld;
  let api: ApiCaller;
  beforeAll(async () => {
    world = await openAzureWorld();
    api = apiCaller(functionsFetch(world), 'http://localhost');
  });
  afterAll(async () => world?.close());

  describe('POST /api/jobs', () => {
    it('submits a blob already in storage: 202 with the job and where to follow it, planning queued on control', async () => {
      const name = unique();
      await world.ctx.blobs.put(CONTAINERS.inbox, name, CSV);
      const { job, links } = await api.json<{ job: JobView; links: { self: string } }>('submitJob', '/jobs', 202, {
        body: JSON.stringify({ name }),
      });
      expect(job).toMatchObject({ state: 'planning', kind: 'anomaly' });
      expect(links.self).toBe(`/api/jobs/${job.id}`);
      const plans = await receiveAll(world.ctx.control, 500);
      expect(plans.map((m) => m.body)).toEqual([{ kind: 'plan', jobId: job.id }]);
      for (const m of plans) await world.ctx.control.complete(m);

      const again = await api.json<{ job: JobView }>('submitJob', '/jobs', 202, {
        body: JSON.stringify({ container: 'inbox', name }),
      });
      expect(again.job.id).toBe(job.id);
    });

    it('uploads the body with ?name= into the inbox, never overwriting: the same bytes find the same job, other bytes conflict', async () => {
      const name = unique();
      const first = await api.json<{ job: JobView }>('submitJob', `/jobs?name=${name}&model=ocsvm-x`, 202, {
        body: Buffer.from(CSV),
        headers: { 'content-type': 'text/csv' },
      });
      const stored = await world.ctx.blobs.head(CONTAINERS.inbox, name);
      expect(stored).toMatchObject({
        contentType: 'text/csv',
        metadata: { model: 'ocsvm-x', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown },
      });
      expect(first.job.input).toMatchObject({ options: { model: 'ocsvm-x' }, etag: stored!.etag, size: CSV.length });

      const retried = await api.json<{ job: JobView }>('submitJob', `/jobs?name=${name}&model=ocsvm-x`, 202, {
        body: Buffer.from(CSV),
      });
      expect(retried.job.id).toBe(first.job.id);

      const other = await api.json<ErrorBody>('submitJob', `/jobs?name=${name}`, 409, {
        body: Buffer.from(`${CSV}2018-08-28 23:01:05,1,1,12\n`),
      });
      expect(other.error.reason).toContain(`inbox/${name} holds other content`);
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
      const { error } = await api.json<ErrorBody>('submitJob', '/jobs', 400, { body });
      expect(error.input).toBe(input);
      expect(error.reason).toContain(reason);
    });

    it('an empty upload → 400', async () => {
      const { error } = await api.json<ErrorBody>('submitJob', `/jobs?name=${unique()}`, 400);
      expect(error).toMatchObject({ input: 'request body', reason: expect.stringContaining('is empty') as unknown });
    });
  });

  describe('GET /api/jobs and /api/jobs/{jobId}', () => {
    it('lists jobs newest first, filtered, and reports one job with its shard counts', async () => {
      const names = [unique(), unique('.bin')];
      for (const name of names) await world.ctx.blobs.put(CONTAINERS.inbox, name, CSV);
      const ids: string[] = [];
      for (const name of names)
        ids.push(
          (await api.json<{ job: JobView }>('submitJob', '/jobs', 202, { body: JSON.stringify({ name }) })).job.id,
        );

      const listed = (await api.json<{ jobs: JobView[] }>('listJobs', '/jobs?limit=1000', 200)).jobs.map((j) => j.id);
      expect(listed.indexOf(ids[1]!)).toBeLessThan(listed.indexOf(ids[0]!));
      const failed = await api.json<{ jobs: JobView[] }>('listJobs', '/jobs?state=failed&kind=unknown', 200);
      expect(failed.jobs).toEqual([
        expect.objectContaining({
          id: ids[1],
          error: expect.stringContaining('no job kind takes this input') as unknown,
        }),
      ]);
      expect(await api.json('listJobs', '/jobs?limit=1', 200)).toMatchObject({ jobs: [{ id: ids[1] }] });

      const one = await api.json<{ job: JobView; summary: unknown }>('getJob', `/jobs/${ids[0]}`, 200);
      expect(one.job).toMatchObject({
        id: ids[0],
        state: 'planning',
        progress: { shards: { total: 0, succeeded: 0, failed: 0, running: 0, pending: 0 } },
      });
      expect(one.summary).toBeNull();
      // Ended without a summary (failed at submission): reported without one.
      const ended = await api.json<{ job: JobView; summary: unknown }>('getJob', `/jobs/${ids[1]}`, 200);
      expect(ended).toMatchObject({ job: { state: 'failed' }, summary: null });
    });

    it.each([
      ['/jobs?state=bogus', 'query parameter state', 'must be one of planning, running, finishing, succeeded, failed'],
      ['/jobs?limit=0', 'query parameter limit', 'must be an integer from 1 to 1000'],
      ['/jobs?limit=abc', 'query parameter limit', 'got "abc"'],
    ])('GET /api%s → 400', async (path, input, reason) => {
      const { error } = await api.json<ErrorBody>('listJobs', path, 400);
      expect(error.input).toBe(input);
      expect(error.reason).toContain(reason);
    });

    it('an unknown job → 404, a malformed id → 400', async () => {
      expect(await api.json('getJob', '/jobs/j0000', 404)).toEqual({ error: { reason: 'job j0000 not found' } });
      expect((await api.json<ErrorBody>('getJob', '/jobs/x%20y', 400)).error.input).toBe('jobId');
    });

    it('a request that did not pass App Service authentication (no principal) → 401', async () => {
      const bare = apiCaller(functionsFetch(world, { principal: false }), 'http://localhost');
      const response = await functionsFetch(world, { principal: false })('http://localhost/api/jobs');
      expect(response.status).toBe(401);
      const document = await bare.bytes('getOpenApi', '/openapi.json'); // the document itself is public
      expect((JSON.parse(document.body.toString('utf8')) as { openapi: string }).openapi).toBe('3.1.0');
    });
  });

  describe('GET /api/dashboard/{*path}', () => {
    it('serves the dashboard beside the API: its page, its modules, uPlot from node_modules; nothing else', async () => {
      const get = (path: string) =>
        dashboardHttp(
          new HttpRequest({ method: 'GET', url: `http://localhost/api/dashboard/${path}`, params: { path } }),
          world.invocation('dashboardHttp'),
        );
      const page = await get('');
      expect(page.status).toBe(200);
      expect(page.headers).toMatchObject({ 'Content-Type': 'text/html; charset=utf-8' });
      expect(await text(page.body)).toContain('<script type="module" src="./app.js"></script>');
      const uplot = await get('vendor/uPlot.esm.js');
      expect(uplot.headers).toMatchObject({ 'Content-Type': 'text/javascript; charset=utf-8' });
      expect(await text(uplot.body)).toContain('export { uPlot as default }');
      for (const path of ['../package.json', 'vendor/../../package.json', 'nosuch.js'])
        expect((await get(path)).status, path).toBe(404);
    });
  });

  describe('dead letters', () => {
    it('lists an empty dead-letter queue of either queue and re-drives nothing', async () => {
      expect(await api.json('listDeadLetters', '/deadletters', 200)).toEqual({ queue: 'jobs', messages: [] });
      expect(await api.json('listDeadLetters', '/deadletters?queue=control', 200)).toEqual({
        queue: 'control',
        messages: [],
      });
      expect(await api.json('redriveDeadLetters', '/deadletters/redrive', 200, { body: '{"all":true}' })).toEqual({
        queue: 'jobs',
        redriven: 0,
      });
    });

    it.each([
      [
        'listDeadLetters',
        '/deadletters?queue=rejected',
        undefined,
        'query parameter queue',
        'must be one of jobs, control',
      ],
      ['listDeadLetters', '/deadletters?limit=5000', undefined, 'query parameter limit', 'from 1 to 1000'],
      ['redriveDeadLetters', '/deadletters/redrive', '{}', 'request body', 'must be { "sequenceNumbers"'],
      [
        'redriveDeadLetters',
        '/deadletters/redrive',
        '{"sequenceNumbers":[]}',
        'request body',
        'must be { "sequenceNumbers"',
      ],
      [
        'redriveDeadLetters',
        '/deadletters/redrive',
        '{"sequenceNumbers":[1],"all":true}',
        'request body',
        'or { "all": true }',
      ],
      [
        'redriveDeadLetters',
        '/deadletters/redrive',
        '{"sequenceNumbers":[1,-2]}',
        'request body "sequenceNumbers"',
        '-2 is not a sequence number',
      ],
      ['redriveDeadLetters', '/deadletters/redrive?queue=x', '{"all":true}', 'query parameter queue', 'got "x"'],
    ] as const)('%s %s → 400', async (operationId, path, body, input, reason) => {
      const { error } = await api.json<ErrorBody>(operationId, path, 400, body === undefined ? {} : { body });
      expect(error.input).toBe(input);
      expect(error.reason).toContain(reason);
    });
  });
});
