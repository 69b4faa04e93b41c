import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submitFile } from '../../src/cli/submitFile.js';
import { recordDeadLetter } from '../../src/usecases/deadLetters.js';
import { runMessagePump } from '../../src/hosting/messagePump.js';
import { openContext, tempHome, waitForJob } from '../support/localHarness.js';
import { downloadStyled, expectSameTiming, videoTestConfig } from '../support/video/jobs.js';
import { makeVideo } from '../support/video/media.js';

/**
 * One pump on the real use cases (dispatcher, style shard, ffmpeg pipeline, the built-in model):
 * a range hands the pump on when its last frames go to the model, so the next range is in hand
 * while this one's encoder flushes and its segment uploads. The job's output is unchanged by it.
 */
describe('a style range lets the next begin while it finishes', () => {
  const home = tempHome(videoTestConfig({ maxShardFrames: 4 }));
  const ctx = openContext(home.config);
  beforeAll(() => ctx.ensureContainers());
  afterAll(async () => {
    await ctx.close();
    home.cleanup();
  });

  it('the next range starts before the previous one is settled; never more than two in hand; the output keeps every frame', async () => {
    const clip = await makeVideo(join(home.dir, 'clip.mp4'), { frames: 12, audio: true });
    const job = await submitFile(ctx, clip, { model: 'toon' });
    const events: string[] = [];
    let inHand = 0;
    let most = 0;
    const stop = new AbortController();
    const running = runMessagePump(
      {
        queue: ctx.queue,
        log: ctx.deps.log,
        waitMs: 50,
        onDeadLetter: (body, reason, description) => recordDeadLetter(ctx.deps, body, reason, description),
        handle: async (body, signal, nextMayStart) => {
          const { kind, shardId } = body as { kind: string; shardId?: string };
          const name = shardId ?? kind;
          most = Math.max(most, ++inHand);
          events.push(`start ${name}`);
          try {
            await ctx.dispatch(body, signal, nextMayStart);
          } finally {
            inHand -= 1;
            events.push(`end ${name}`);
          }
        },
      },
      stop.signal,
    );
    const progress = await waitForJob(ctx, job.jobId);
    stop.abort();
    await running;

    expect(progress.job.state).toBe('succeeded');
    const ranges = events.filter((e) => /^start f\d/.test(e)).map((e) => e.slice('start '.length));
    expect(ranges).toHaveLength(3);
    // Each later range was taken while the one before it was still finishing.
    for (const [i, range] of ranges.entries()) {
      if (i === 0) continue;
      expect(events.indexOf(`start ${range}`), events.join(', ')).toBeLessThan(events.indexOf(`end ${ranges[i - 1]!}`));
    }
    expect(most).toBe(2);
    await expectSameTiming(clip, await downloadStyled(ctx, job.jobId, 'clip.mp4', join(home.dir, 'styled.mp4')));
  }, 60_000);
});
