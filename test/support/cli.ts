/**
 * Runs the real `tessera` CLI (bin/tessera.js) as a child process over a temp TESSERA_HOME, the way
 * scripts and people run it: separate stdout and stderr, an exit code, a working directory of its own.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { captureIo } from './captureIo.js';
import { ocsvmDir } from './fixtures.js';

export const TESSERA_BIN = resolve(import.meta.dirname, '../../bin/tessera.js');
export const FIXTURE_MODELS_DIR = join(ocsvmDir, 'models');

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A scratch directory (the child's cwd) with a TESSERA_HOME inside it. */
export interface CliHome {
  readonly dir: string;
  readonly home: string;
  /** Extra environment for every command of this home. */
  readonly env: Readonly<Record<string, string>>;
  cleanup(): void;
}

export function cliHome(env: Record<string, string> = {}): CliHome {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-cli-'));
  const home = join(dir, 'home');
  mkdirSync(home);
  return { dir, home, env, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The parent's environment without any TESSERA_* setting, then a small, fast embedded runtime over `home`. */
export function cliEnv(home: CliHome): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TESSERA_')));
  // TESSERA_PORT 0: `tessera up` in tests never fights over the fixed default port.
  return {
    ...inherited,
    TESSERA_HOME: home.home,
    TESSERA_WORKERS: '2',
    TESSERA_POLL_MS: '20',
    TESSERA_PORT: '0',
    ...home.env,
  };
}

/** Starts `tessera ARGS…` in the background; the caller owns the child. */
export function startCli(home: CliHome, args: readonly string[]): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [TESSERA_BIN, ...args], { cwd: home.dir, env: cliEnv(home), stdio: 'pipe' });
}

/** Collects a child's output as it comes, and its exit. */
export function collect(child: ChildProcessWithoutNullStreams): {
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<CliResult>;
} {
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<CliResult>((resolveExit, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolveExit({ code, signal, stdout, stderr }));
  });
  return { stdout: () => stdout, stderr: () => stderr, exited };
}

/** Runs `tessera ARGS…` to completion; a child still running after `timeoutMs` is SIGKILLed (and `signal` says so). */
export async function runCli(home: CliHome, args: readonly string[], timeoutMs = 45_000): Promise<CliResult> {
  const child = startCli(home, args);
  child.stdin.end();
  const { exited } = collect(child);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `ready` every 25 ms until it is true; throws with `what` after `timeoutMs`. */
export async function waitUntil(ready: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The 15 fixture models as `ocsvm-D-T` and their files. */
export function fixtureModels(): { readonly name: string; readonly file: string }[] {
  return readdirSync(FIXTURE_MODELS_DIR)
    .filter((f) => f.endsWith('.onnx'))
    .sort()
    .map((f) => ({ name: basename(f, '.onnx'), file: join(FIXTURE_MODELS_DIR, f) }));
}

/**
 * Registers every fixture model through `tessera models add`, run by the CLI's own `main` in this
 * process over `home` (the command as bin/tessera.js runs it, without fifteen Node starts: test/cli/models.test.ts
 * runs the command as a process); throws on a failed add.
 */
export async function registerFixtureModelsViaCli(home: CliHome): Promise<CliResult[]> {
  const { main } = await import('../../src/cli/main.js'); // loaded only by the tests that register this way
  const results: CliResult[] = [];
  for (const m of fixtureModels()) {
    const io = captureIo();
    const code = await main(['models', 'add', m.name, m.file], io, { env: cliEnv(home) });
    const result = { code, signal: null, stdout: io.stdout(), stderr: io.stderr() };
    if (code !== 0) throw new Error(`tessera models add ${m.name} exited ${code}: ${result.stderr}`);
    results.push(result);
  }
  return results;
}

/** True when a process with this pid exists (and may be signalled). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
