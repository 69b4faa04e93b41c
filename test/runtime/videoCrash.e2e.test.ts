import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/config.js';
import { createApiClient } from '../../src/cli/apiClient.js';
import { downloadResults } from '../../src/cli/downloadResults.js';
import { localApiPorts } from '../../src/composition/local/localApiPorts.js';
import { inProcessFetch } from '../../src/hosting/api/inProcessFetch.js';
import { submitFile } from '../../src/cli/submitFile.js';

import { startLocalRuntime } from '../../src/composition/local/localRuntime.js';
import { createRecordingLogger } from '../../src/hosting/logger.js';
import { fixturesDir } from '../support/fixtures.js';
import { openContext, tempHome, waitForJob } from '../support/localHarness.js';

const scratch = mkdtempSync(join(tmpdir(), 'tessera-video-crash-'));
const clip = join(scratch, 'clip.mp4');
// A 1-second section of the real video with its audio: four ranges of at most 10 frames.
spawnSync('ffmpeg', [
  '-v',
  'error',
  '-y',
  '-i',
  join(fixturesDir, 'video/skyline-360p.mp4'),
  '-t',
  '1',
  '-c',
  'copy',
  clip,
]);

/** The decoded frames of a video, as one md5 per frame. */
function frameHashes(path: string): string[] {
  const run = spawnSync('ffmpeg', ['-v', 'error', '-i', path, '-map', '0:v:0', '-f', 'framemd5', '-'], {
    encoding: 'utf8',
  });
  return run.stdout
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(',').at(-1)?.trim() ?? '');
}

async function styleClip(
  overrides: Partial<Config>,
  chaos?: (pids: () => number[], ctx: ReturnType<typeof openContext>, jobId: string) => Promise<void>,
) {
  const home = tempHome(overrides);
  const config: Config = { ...home.config, video: { ...home.config.video, shardSeconds: 1, maxShardFrames: 10 } };
  const ctx = openContext(config);
  await ctx.ensureContainers();
  const runtime = await startLocalRuntime(config, createRecordingLogger());
  try {
    const job = await submitFile(ctx, clip, { model: 'toon' });
    await chaos?.(runtime.workers.pids, ctx, job.jobId);
    const progress = await waitForJob(ctx, job.jobId, 120_000);
    const out = join(home.dir, 'out');
    await downloadResults(createApiClient(inProcessFetch(localApiPorts(ctx)), 'http://in-process'), job.jobId, out);
    return {
      progress,
      shards: await ctx.ledger.listShards(job.jobId),
      frames: frameHashes(join(out, 'clip.styled.mp4')),
    };
  } finally {
    await runtime.stop();
    await ctx.close();
    home.cleanup();
  }
}

describe('a video worker SIGKILLed in the middle of a shard', () => {
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('gets its frame range redelivered, and the output has the same frames as a clean run', async () => {
    const clean = await styleClip({});
    expect(clean.progress.job.state, clean.progress.job.error).toBe('succeeded');
    expect(clean.frames).toHaveLength(31);
    expect(clean.shards.length).toBeGreaterThanOrEqual(4);

    let killed = 0;
    const crashed = await styleClip({ lockDurationMs: 1000, faultShardDelayMs: 500 }, async (pids, ctx, jobId) => {
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        if ((await ctx.ledger.listShards(jobId, { state: 'running' })).length >= 1 && pids().length === 2) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      for (const pid of pids()) {
        process.kill(pid, 'SIGKILL');
        killed += 1;
      }
    });
    expect(killed).toBe(2);
    expect(crashed.progress.job.state, crashed.progress.job.error).toBe('succeeded');
    expect(crashed.shards.some((s) => s.attempts >= 2)).toBe(true);
    expect(crashed.frames).toEqual(clean.frames);
  });
});
