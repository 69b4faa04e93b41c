import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { forkingParent } from '../../src/composition/local/parentWatch.js';

// The compiled module (the suite's global setup builds dist/ first): the child runs plain Node, as a pool's children do.
const PARENT_WATCH = pathToFileURL(
  resolve(import.meta.dirname, '../../dist/src/composition/local/parentWatch.js'),
).href;

/** A pool child: loads for `loadMs` (modules, telemetry), then watches its parent, and runs until told to stop. */
const CHILD = `
import { exitWithParent } from ${JSON.stringify(PARENT_WATCH)};
const line = (level) => (msg, fields) => console.log(JSON.stringify({ level, msg, ...fields }));
const log = { log: (l, m, f) => line(l)(m, f), debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
log.child = () => log;
await new Promise((r) => setTimeout(r, Number(process.env.LOAD_MS)));
const stop = new AbortController();
const busy = setInterval(() => {}, 1000); // a worker's message pump
stop.signal.addEventListener('abort', () => { clearInterval(busy); console.log(JSON.stringify({ msg: 'drained' })); });
exitWithParent(stop, log, 5000);
`;

/** The runtime: forks the child as the worker pool does (its pid as the first argument), then dies at once. */
const PARENT = `
import { fork } from 'node:child_process';
import { openSync } from 'node:fs';
const out = openSync(process.env.CHILD_LOG, 'a');
const child = fork(process.env.CHILD_SCRIPT, [String(process.pid)], { stdio: ['ignore', out, out, 'ipc'] });
console.log(child.pid);
process.exit(0);
`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("a runtime child's watch on its parent", () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-parent-watch-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("takes the pool's pid from its first argument, and the current parent without one", () => {
    expect(forkingParent(['node', 'workerMain.js', '4242'])).toBe(4242);
    expect(forkingParent(['node', 'workerMain.js'])).toBe(process.ppid);
    expect(forkingParent(['node', 'workerMain.js', 'x'])).toBe(process.ppid);
  });

  it('a child whose parent died while it was still loading stops as soon as it watches (tessera run | head -1)', async () => {
    const childScript = join(dir, 'child.mjs');
    const parentScript = join(dir, 'parent.mjs');
    const childLog = join(dir, 'child.log');
    writeFileSync(childScript, CHILD);
    writeFileSync(parentScript, PARENT);
    writeFileSync(childLog, '');
    const parent = spawn(process.execPath, [parentScript], {
      env: { ...process.env, CHILD_SCRIPT: childScript, CHILD_LOG: childLog, LOAD_MS: '1500' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let printed = '';
    parent.stdout.on('data', (d: Buffer) => (printed += d.toString()));
    await new Promise((done) => parent.on('exit', done));
    const child = Number(printed.trim());
    expect(child).toBeGreaterThan(0);
    // The parent is gone before the child's watch begins (it loads for 1.5 s); the child must end by itself.
    const deadline = Date.now() + 30_000;
    while (alive(child) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const lines = readFileSync(childLog, 'utf8');
    expect(alive(child), `the child is still running: ${lines}`).toBe(false);
    expect(lines).toContain('gone before this process watched it');
    expect(lines).toContain('"drained"');
  });
});
