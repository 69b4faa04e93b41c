/**
 * A local runtime with its server and one real job of each kind the dashboard shows: an anomaly job
 * and a video job dropped into the inbox, a video job whose style model is corrupt (its range is
 * dead-lettered), and a stream run over readings sent to the server's readings endpoint, one of
 * them late enough to revise its window.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readApiToken } from '../../../src/composition/local/apiToken.js';
import { startLocalRuntime, type LocalRuntime } from '../../../src/composition/local/localRuntime.js';
import { CONTAINERS } from '../../../src/core/jobNaming.js';
import { decodeWindowBatch } from '../../../src/core/windowStore.js';
import { createRecordingLogger } from '../../../src/hosting/logger.js';
import { readingEventBody } from '../../../src/ingest/readingEvent.js';
import { TERMINAL_JOB_STATES } from '../../../src/ports/jobLedger.js';
import { readBlobText } from '../../../src/usecases/readBlobText.js';
import { unscoredBatches } from '../../../src/usecases/stream/streamBatches.js';
import { startStreamRun } from '../../../src/usecases/stream/startStreamRun.js';
import { fixturesDir } from '../fixtures.js';
import { openContext, registerOracleModels, tempHome, waitForJob } from '../localHarness.js';
import { makeVideo, mediaDir } from '../video/media.js';
import { identityStyleModel, registerCorruptStyle, videoTestConfig } from '../video/jobs.js';

export interface DashboardWorld {
  readonly base: string;
  readonly token: string;
  readonly ctx: ReturnType<typeof openContext>;
  readonly jobs: { anomaly: string; video: string; deadLettered: string; stream: string };
  close(): Promise<void>;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function jobOfInbox(ctx: DashboardWorld['ctx'], name: string): Promise<string> {
  let id: string | undefined;
  await until(`a job for inbox/${name}`, async () => {
    id = (await ctx.ledger.listJobs()).find((j) => j.input.name === name)?.jobId;
    return id !== undefined;
  });
  await waitForJob(ctx, id!, 240_000);
  return id!;
}

/** Readings of device 1, tag 1 every 20 s over six minutes, a late one inside a closed window, then a far one that closes the rest. */
async function sendReadings(base: string): Promise<void> {
  const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 30 * 60_000;
  const post = (ms: number, tag: string, value: number) =>
    fetch(`${base}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(readingEventBody({ device: '1', tag, ts: t0 + ms, value })),
    }).then((r) => {
      if (r.status !== 202) throw new Error(`POST /events answered ${r.status}`);
    });
  for (let s = 0; s <= 302; s += s < 300 ? 20 : 2) await post(s * 1000, '1', 10 + ((s / 20) % 4) + (s === 200 ? 8 : 0));
  await post(298_000, '1', 30); // 4 s after its window closed: within the 5 s tolerance, so revision 2
  await post(600_000, 'flush', 0);
}

export async function openDashboardWorld(): Promise<DashboardWorld> {
  const home = tempHome(videoTestConfig());
  const config = { ...home.config, scoreCron: '0 0 1 1 *' }; // no scheduled run: the test starts its own
  const media = mediaDir();
  const ctx = openContext(config);
  await ctx.ensureContainers();
  await registerOracleModels(ctx);
  await ctx.registry.add('ident', identityStyleModel('dashboard'));
  await registerCorruptStyle(ctx, 'fragile');
  let runtime: LocalRuntime | undefined = await startLocalRuntime(config, createRecordingLogger(), {
    serve: { port: 0 },
  });
  const base = runtime.serverUrl!;
  try {
    const csv = readFileSync(join(fixturesDir, 'sensors/batchai-sensor_data.csv'), 'utf8').split('\n');
    await ctx.blobs.put(CONTAINERS.inbox, 'sensors.csv', `${csv.slice(0, 801).join('\n')}\n`, {
      contentType: 'text/csv',
    });
    // Four ranges of 4 frames: several to show before/after frames of, and four to dead-letter with the corrupt model.
    const clip = readFileSync(await makeVideo(media.file('clip.mp4'), { frames: 16, rate: 10, size: '96x64' }));
    await ctx.blobs.put(CONTAINERS.inbox, 'clip.mp4', clip, { metadata: { model: 'ident' } });
    await ctx.blobs.put(CONTAINERS.inbox, 'broken-model.mp4', clip, { metadata: { model: 'fragile' } });
    await sendReadings(base);
    const jobs = {
      anomaly: await jobOfInbox(ctx, 'sensors.csv'),
      video: await jobOfInbox(ctx, 'clip.mp4'),
      deadLettered: await jobOfInbox(ctx, 'broken-model.mp4'),
      stream: '',
    };
    await until('the late reading to revise its window', async () => {
      for (const batch of await unscoredBatches(ctx.stream))
        if (decodeWindowBatch(await readBlobText(ctx.blobs, CONTAINERS.windows, batch)).some((w) => w.revision > 1))
          return true;
      return false;
    });
    const run = await startStreamRun(ctx.stream, Date.now());
    if (!run) throw new Error('no stream run started');
    const ended = await waitForJob(ctx, run.jobId, 120_000);
    if (!TERMINAL_JOB_STATES.includes(ended.job.state)) throw new Error('the stream run did not end');
    jobs.stream = run.jobId;
    return {
      base,
      token: readApiToken(config.home)!,
      ctx,
      jobs,
      async close() {
        await runtime?.stop();
        runtime = undefined;
        await ctx.close();
        media.cleanup();
        home.cleanup();
      },
    };
  } catch (error) {
    await runtime.stop();
    await ctx.close();
    media.cleanup();
    home.cleanup();
    throw error;
  }
}
