import { existsSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteWorkQueue } from '../../src/adapters/local/sqliteWorkQueue.js';
import { cliHome, collect, runCli, startCli, waitUntil } from '../support/cli.js';

/** A real queue file of several hundred KB: the runtime's own queue with messages in it. */
async function filledQueue(file: string): Promise<void> {
  const queue = openSqliteWorkQueue({ file, queue: 'jobs' });
  await queue.send(Array.from({ length: 1500 }, (_, n) => ({ messageId: `m${n}`, body: { n, pad: 'x'.repeat(300) } })));
  await queue.close();
  expect(statSync(file).size).toBeGreaterThan(300 * 1024);
}

describe('tessera up over a damaged database', () => {
  const home = cliHome({ TESSERA_WORKERS: '1' });
  afterAll(() => home.cleanup());

  it('a queue.sqlite truncated to 100 KB stops up at once, naming the file and what to do', async () => {
    const file = join(home.home, 'queue.sqlite');
    await filledQueue(file);
    truncateSync(file, 100 * 1024);
    const result = await runCli(home, ['up'], 30_000);
    expect(result.signal).toBeNull();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`tessera up: ${file} is corrupt (`);
    expect(result.stderr).toMatch(/malformed|not a database/);
    expect(result.stderr).toContain('restore it from a backup, or move it aside');
    expect(result.stderr).toContain('the work queue (queued and dead-lettered messages) is lost');
    expect(result.stderr).not.toContain('worker started');
    expect(result.stdout).not.toContain('tessera runtime up');
    expect(existsSync(join(home.home, 'runtime.json'))).toBe(false);
  });

  it('a queue.sqlite of 0 bytes is started afresh, and up says so loudly', async () => {
    const file = join(home.home, 'queue.sqlite');
    writeFileSync(file, '');
    const child = startCli(home, ['up']);
    const output = collect(child);
    await waitUntil(() => output.stdout().includes('tessera runtime up'), 'up to start', 30_000);
    const loud = output
      .stderr()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: string; msg: string; file?: string })
      .find((l) => l.file === file);
    expect(loud?.level).toBe('error');
    expect(loud?.msg).toContain(`${file} is empty (0 bytes): starting it afresh, so the work queue`);
    child.kill('SIGINT');
    expect((await output.exited).code).toBe(0);
  });
});
