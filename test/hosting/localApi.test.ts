import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readApiToken } from '../../src/composition/local/apiToken.js';
import { startLocalRuntime, type LocalRuntime } from '../../src/composition/local/localRuntime.js';
import { CONTAINERS } from '../../src/core/jobNaming.js';
import { API_ROUTES } from '../../src/hosting/api/apiRoutes.js';
import { createRecordingLogger } from '../../src/hosting/logger.js';
import type { JobView } from '../../src/usecases/operator/jobView.js';
import { readBlobText } from '../../src/usecases/readBlobText.js';
import { apiCaller, type ApiCaller } from '../support/apiCalls.js';
import { fixturesDir } from '../support/fixtures.js';
import { openContext, registerOracleModels, tempHome } from '../support/localHarness.js';
import { operations } from '../support/openapiValidator.js';
import { makeVideo, mediaDir } from '../support/video/media.js';
import { identityStyleModel, videoTestConfig } from '../support/video/jobs.js';

const SENSOR_CSV = join(fixturesDir, 'sensors/batchai-sensor_data.csv');
const first1000 = () => `${readFileSync(SENSOR_CSV, 'utf8').split('\n').slice(0, 1001).join('\n')}\n`;

describe('the jobs API of `tessera up` (local server, held to the OpenAPI document)', () => {
  const home = tempHome(videoTestConfig());
  const media = mediaDir();
  let ctx: ReturnType<typeof openContext>;
  let runtime: LocalRuntime;
  let api: ApiCaller;
  let base: string;

  /** Polls the job list until the job of inbox/`name` has ended. */
  async function endedJobOf(name: string, timeoutMs = 45_000): Promise<JobView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { jobs } = await api.json<{ jobs: JobView[] }>('listJobs', '/jobs?limit=1000', 200);
      const job = jobs.find((j) => j.input.name === name);
      if (job && (job.state === 'succeeded' || job.state === 'failed')) return job;
      if (Date.now() > deadline) throw new Error(`job of ${name} did not end: ${JSON.stringify(job)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  beforeAll(async () => {
    ctx = openContext(home.config);
    await ctx.ensureContainers();
    await registerOracleModels(ctx);
    await ctx.registry.add('ident', identityStyleModel('api-test'));
    runtime = await startLocalRuntime(home.config, createRecordingLogger(), { serve: { port: 0 } });
    base = runtime.serverUrl!;
    api = apiCaller(fetch, base, { authorization: `Bearer ${readApiToken(home.config.home)}` });
  });
  afterAll(async () => {
    await runtime?.stop();
    await ctx?.close();
    media.cleanup();
    home.cleanup();
  });

  it('every route is in the OpenAPI document with its method, and every documented operation is served', () => {
    const documented = operations().map((o) => `${o.method} ${o.path} ${o.op.operationId}`);
    expect(API_ROUTES.map((r) => `${r.method} ${r.path} ${r.operationId}`).sort()).toEqual(documented.sort());
  });

  it('a file dropped into the inbox is listed, followed to its end, and its results downloaded', async () => {
    await ctx.blobs.put(CONTAINERS.inbox, 'dropped.csv', first1000(), { contentType: 'text/csv' });
    const job = await endedJobOf('dropped.csv');
    expect(job).toMatchObject({ kind: 'anomaly', state: 'succeeded', cancelled: false, attempt: 1 });
    expect(job.progress.fraction).toBe(1);

    const detail = await api.json<{
      files: { name: string; url: string }[];
      shards: unknown[];
      lineage: { models: unknown[] };
      links: Record<string, string>;
    }>('getJob', `/jobs/${job.id}`, 200);
    expect(detail.files.map((f) => f.name)).toEqual(['anomalies.csv', 'scores.csv', 'summary.json']);
    expect(detail.shards.length).toBe(job.progress.shards.total);
    expect(detail.lineage.models).toHaveLength(15);
    expect(detail.links).toMatchObject({ self: `/api/jobs/${job.id}`, series: `/api/jobs/${job.id}/series` });

    const scores = detail.files.find((f) => f.name === 'scores.csv')!;
    const { body, response } = await api.bytes('getJobFile', scores.url.slice('/api'.length));
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="scores.csv"');
    expect(body.toString('utf8')).toBe(await readBlobText(ctx.blobs, CONTAINERS.results, `${job.id}/scores.csv`));
    await api.json('getJobFile', `/jobs/${job.id}/files/nosuch.csv`, 404);
    await api.json('getJobFile', `/jobs/${job.id}/files/..%2Fx`, 400);

    const { series } = await api.json<{ series: { windows: { start: number[]; score: number[] } }[] }>(
      'getJobSeries',
      `/jobs/${job.id}/series`,
      200,
    );
    expect(series).toHaveLength(15);
    for (const s of series) expect(s.windows.score).toHaveLength(s.windows.start.length);
    const one = await api.json<{ series: unknown[] }>('getJobSeries', `/jobs/${job.id}/series?device=1&tag=1`, 200);
    expect(one.series).toHaveLength(1);

    const logs = await api.json<{ lines: { jobId: string; msg: string }[]; cursor: string }>(
      'getJobLogs',
      `/jobs/${job.id}/logs`,
      200,
    );
    expect(logs.lines.length).toBeGreaterThan(0);
    expect(logs.lines.every((l) => l.jobId === job.id)).toBe(true);
    const more = await api.json<{ lines: unknown[] }>('getJobLogs', `/jobs/${job.id}/logs?cursor=${logs.cursor}`, 200);
    expect(more.lines).toEqual([]);
    await api.json('getJobLogs', `/jobs/${job.id}/logs?cursor=garbage`, 400);

    expect(await api.json('cancelJob', `/jobs/${job.id}/cancel`, 409)).toMatchObject({
      error: { reason: `job ${job.id} has already ended (succeeded); nothing to cancel` },
    });
    await api.json('retryJob', `/jobs/${job.id}/retry`, 409);
    await api.json('getJob', '/jobs/jnosuch', 404);
    await api.json('getJob', '/jobs/bad%20id', 400);
    await api.json('listJobs', '/jobs?state=bogus', 400);
    expect(
      (await api.json<{ jobs: JobView[] }>('listJobs', '/jobs?state=succeeded&kind=anomaly', 200)).jobs.map(
        (j) => j.id,
      ),
    ).toEqual([job.id]);
  });

  it('a failed job is retried as a new attempt of the same input version; retrying again follows the attempts', async () => {
    await ctx.blobs.put(CONTAINERS.inbox, 'bad-header.csv', 'a,b,c\n1,2,3\n');
    const failed = await endedJobOf('bad-header.csv');
    expect(failed.state).toBe('failed');
    const retried = await api.json<{ job: JobView }>('retryJob', `/jobs/${failed.id}/retry`, 202);
    expect(retried.job).toMatchObject({ id: `${failed.id}-2`, attempt: 2, retryOf: failed.id, state: 'planning' });
    const original = await api.json<{ job: JobView }>('getJob', `/jobs/${failed.id}`, 200);
    expect(original.job.retriedBy).toBe(`${failed.id}-2`);
    await waitForState(`${failed.id}-2`, 'failed');
    const third = await api.json<{ job: JobView }>('retryJob', `/jobs/${failed.id}/retry`, 202);
    expect(third.job).toMatchObject({ id: `${failed.id}-3`, attempt: 3, retryOf: `${failed.id}-2` });
    // Submitting the same blob version again finds the newest attempt, not the first failure.
    const again = await api.json<{ job: JobView }>('submitJob', '/jobs', 202, {
      body: JSON.stringify({ name: 'bad-header.csv' }),
    });
    expect(again.job.id).toBe(`${failed.id}-3`);
  });

  async function waitForState(jobId: string, state: string): Promise<void> {
    const deadline = Date.now() + 45_000;
    while ((await api.json<{ job: JobView }>('getJob', `/jobs/${jobId}`, 200)).job.state !== state) {
      if (Date.now() > deadline) throw new Error(`job ${jobId} never became ${state}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('cancel ends a running video job at once, and it stays cancelled', async () => {
    const clip = await makeVideo(media.file('long.mp4'), { frames: 80, rate: 10 });
    const submitted = await api.json<{ job: JobView }>('submitJob', '/jobs?name=long.mp4&model=ident', 202, {
      body: readFileSync(clip),
      headers: { 'content-type': 'video/mp4' },
    });
    const cancelled = await api.json<{ job: JobView }>('cancelJob', `/jobs/${submitted.job.id}/cancel`, 200);
    expect(cancelled.job).toMatchObject({ state: 'failed', error: 'cancelled', cancelled: true });
    // The queued plan (and any shards) run into an ended job: wait until the workers have taken them all.
    for (const deadline = Date.now() + 30_000; (await ctx.queue.countActive()) > 0;) {
      if (Date.now() > deadline) throw new Error('the cancelled job left messages in the queue');
      await new Promise((r) => setTimeout(r, 100));
    }
    const later = await api.json<{ job: JobView; summary: { error: string } }>(
      'getJob',
      `/jobs/${submitted.job.id}`,
      200,
    );
    expect(later.job).toMatchObject({ state: 'failed', error: 'cancelled' });
    expect(later.summary).toMatchObject({ error: 'cancelled' });
  });

  it('a video job has before/after thumbnails from several ranges and its stage timings', async () => {
    const clip = await makeVideo(media.file('clip.mp4'), { frames: 16, rate: 10 }); // four ranges of 4 frames
    await ctx.blobs.put(CONTAINERS.inbox, 'clip.mp4', readFileSync(clip), { metadata: { model: 'ident' } });
    const job = await endedJobOf('clip.mp4', 60_000);
    expect(job.state).toBe('succeeded');
    const { thumbnails, stagesMs } = await api.json<{
      thumbnails: { frame: number; before: string; after: string | null }[];
      stagesMs: Record<string, number>;
    }>('getJobThumbnails', `/jobs/${job.id}/thumbnails`, 200);
    expect(thumbnails.length).toBeGreaterThanOrEqual(3);
    expect(stagesMs).toHaveProperty('model');
    // Each range names its frames, and together they cover the video.
    const detail = await api.json<{ shards: { frames: { start: number; end: number } | null }[] }>(
      'getJob',
      `/jobs/${job.id}`,
      200,
    );
    const frames = detail.shards.map((s) => s.frames!).sort((a, b) => a.start - b.start);
    expect(frames[0]!.start).toBe(0);
    expect(frames.at(-1)!.end).toBe(16);
    for (const t of thumbnails) {
      for (const url of [t.before, t.after!]) {
        const { body, response } = await api.bytes('getJobThumbnail', url.slice('/api'.length));
        expect(response.headers.get('content-type')).toBe('image/jpeg');
        expect(body.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
      }
    }
    // Kept: the second request reads them back instead of running ffmpeg again.
    expect(await api.json('getJobThumbnails', `/jobs/${job.id}/thumbnails`, 200)).toMatchObject({ thumbnails });
  });

  it('dead letters, models and stream runs answer in their documented shapes', async () => {
    expect(await api.json('listDeadLetters', '/deadletters', 200)).toEqual({ queue: 'jobs', messages: [] });
    expect(
      await api.json('redriveDeadLetters', '/deadletters/redrive', 200, { body: JSON.stringify({ all: true }) }),
    ).toEqual({ queue: 'jobs', redriven: 0 });
    await api.json('listDeadLetters', '/deadletters?queue=control', 400);
    await api.json('redriveDeadLetters', '/deadletters/redrive', 400, { body: '{}' });
    // A reading that is no reading: the server's readings endpoint refuses it at the door, storing
    // nothing; sent to the log directly (as a producer may send to the hub), the aggregator dead-letters it.
    const refused = await fetch(`${base}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"not":"a reading"}',
    });
    expect(refused.status).toBe(400);
    const [direct] = await ctx.aggregate.events.append('direct', [{ body: '{"not":"a reading"}' }]);
    const { partition, sequenceNumber } = direct!;
    let events: { partition: number; sequenceNumber: number; rejects: { reason: string }[] }[] = [];
    for (const deadline = Date.now() + 30_000; events.length === 0;) {
      if (Date.now() > deadline) throw new Error('the aggregator dead-lettered nothing');
      await new Promise((r) => setTimeout(r, 200));
      ({ events } = await api.json<{ events: typeof events }>('listDeadLetteredEvents', '/deadletters/events', 200));
    }
    expect(events).toEqual([expect.objectContaining({ partition, sequenceNumber })]);
    expect(
      await api.json('redriveDeadLetteredEvents', '/deadletters/events/redrive', 200, {
        body: JSON.stringify({ refs: [`${partition}:${sequenceNumber}`] }),
      }),
    ).toEqual({ redriven: 1, refused: [] });
    const models = await api.json<{ models: { ref: string }[]; builtin: string[] }>('listModels', '/models', 200);
    expect(models.models.map((m) => m.ref)).toContain('ocsvm-1-1@1');
    expect(models.builtin).toEqual(['toon']);
    expect(await api.json('getModel', '/models/ocsvm-1-1%401', 200)).toMatchObject({ builtin: false });
    expect(await api.json('getModel', '/models/toon', 200)).toMatchObject({ builtin: true });
    await api.json('getModel', '/models/nosuch', 404);
    expect(await api.json('listStreamRuns', '/stream/runs', 200)).toEqual({ runs: [] });
    const document = (await (await fetch(`${base}/api/openapi.json`)).json()) as { openapi: string };
    expect(document.openapi).toBe('3.1.0');
  });

  it('answers nothing without the token; the dashboard login sets it as a same-site cookie', async () => {
    expect((await fetch(`${base}/api/jobs`)).status).toBe(401);
    expect((await fetch(`${base}/api/jobs`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    expect((await fetch(`${base}/api/openapi.json`)).status).toBe(200);
    expect((await fetch(`${base}/login?token=nope`, { redirect: 'manual' })).status).toBe(401);
    const login = await fetch(`${base}/login?token=${readApiToken(home.config.home)}`, { redirect: 'manual' });
    expect(login.status).toBe(303);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    expect(login.headers.get('set-cookie')).toContain('HttpOnly; SameSite=Strict');
    expect((await fetch(`${base}/api/jobs`, { headers: { cookie } })).status).toBe(200);
    const foreign = await fetch(`${base}/api/deadletters/redrive`, {
      method: 'POST',
      headers: { cookie, origin: 'http://127.0.0.1:1', 'content-type': 'application/json' },
      body: '{"all":true}',
    });
    expect(foreign.status).toBe(401);
  });

  it('serves the runtime counters as Prometheus text at /metrics', async () => {
    const response = await fetch(`${base}/metrics`);
    expect(response.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const text = await response.text();
    expect(text).toMatch(/^tessera_jobs\{kind="anomaly",state="succeeded"\} [1-9]\d*$/m);
    expect(text).toMatch(/^tessera_queue_messages\{queue="jobs",state="deadlettered"\} 0$/m);
    expect(text).toMatch(/^tessera_workers 2$/m);
  });
});
