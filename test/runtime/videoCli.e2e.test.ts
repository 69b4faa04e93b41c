import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliHome, runCli } from '../support/cli.js';
import { expectSameTiming } from '../support/video/jobs.js';
import { makeVideo } from '../support/video/media.js';

describe('tessera run VIDEO --model toon --out DIR (the real bin, embedded runtime)', () => {
  const home = cliHome({ TESSERA_VIDEO_PRESET: 'ultrafast', TESSERA_VIDEO_MAX_SHARD_FRAMES: '4' });
  const clip = '-rf clip ünï.mp4';

  beforeAll(async () => {
    await makeVideo(join(home.dir, 'made.mp4'), { frames: 10, audio: true });
    copyFileSync(join(home.dir, 'made.mp4'), join(home.dir, clip));
    writeFileSync(join(home.dir, 'notes.mp4'), 'not a video\n'.repeat(10));
  });
  afterAll(() => home.cleanup());

  it('styles a file whose name starts with "-" (given after --), writes the video and summary, reports fps and stage times', async () => {
    const run = await runCli(home, ['run', '--model', 'toon', '--out', 'out', '--', clip], 60_000);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('succeeded');
    expect(run.stdout).toMatch(/10 frames, [\d.]+ frames\/s overall/);
    expect(run.stdout).toMatch(/stages \(ms\): probe \d+, decodeWait \d+, model \d+, encodeWait \d+, stitch \d+/);
    const styled = join(home.dir, 'out', '-rf clip ünï.styled.mp4');
    expect(existsSync(styled)).toBe(true);
    await expectSameTiming(join(home.dir, clip), styled);
    const summary = JSON.parse(readFileSync(join(home.dir, 'out', 'summary.json'), 'utf8')) as Record<string, unknown>;
    expect(summary).toMatchObject({ state: 'succeeded', frames: 10, model: { name: 'toon' } });
  }, 90_000);

  it("a text file renamed .mp4: exit 1, the job's error names the input", async () => {
    const run = await runCli(home, ['run', 'notes.mp4', '--model', 'toon', '--out', 'bad'], 60_000);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /failed — inbox\/notes\.mp4: not a readable video: .*Invalid data found when processing input/,
    );
  }, 90_000);
});
