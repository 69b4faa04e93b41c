/**
 * The scorer entry point compiled (dist/scorer-image/src/main.js, built by test/support/buildGlobalSetup.ts)
 * as its own `node` process, as the image runs it: its JSON log lines collected, its health port read from its log, its endpoints
 * fetched, signals sent, its exit awaited. Killed (SIGKILL) by `kill()` in an afterAll.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('../../../dist/scorer-image/src/main.js', import.meta.url));
const REPO = fileURLToPath(new URL('../../../', import.meta.url));

export interface ScorerLine {
  readonly msg: string;
  readonly level: string;
  readonly [field: string]: unknown;
}

export interface ScorerProcess {
  readonly name: string;
  readonly pid: number;
  readonly lines: ScorerLine[];
  /** The health server's port, once it listens. */
  port(): Promise<number>;
  /** Resolves with the first log line that matches (already logged or to come). */
  waitFor(match: (line: ScorerLine) => boolean, timeoutMs?: number): Promise<ScorerLine>;
  get(path: string): Promise<{ status: number; text: string }>;
  signal(signal: NodeJS.Signals): void;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** Everything it wrote to stderr that was not a JSON line (for failure messages). */
  readonly noise: () => string;
  kill(): void;
}

/** Starts a scorer with exactly `env` (plus PATH and HOME): nothing of this process's environment leaks in. */
export function startScorer(name: string, env: Record<string, string>): ScorerProcess {
  const child: ChildProcess = spawn(process.execPath, [ENTRY], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', TESSERA_WORKER_ID: name, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: ScorerLine[] = [];
  const waiters = new Set<{ match: (l: ScorerLine) => boolean; resolve: (l: ScorerLine) => void }>();
  let noise = '';
  let partial = '';
  const onChunk = (chunk: string): void => {
    partial += chunk;
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const text of parts) {
      let line: ScorerLine;
      try {
        line = JSON.parse(text) as ScorerLine;
      } catch {
        noise = (noise + text + '\n').slice(-4000);
        continue;
      }
      lines.push(line);
      for (const w of waiters)
        if (w.match(line)) {
          waiters.delete(w);
          w.resolve(line);
        }
    }
  };
  child.stderr?.setEncoding('utf8').on('data', onChunk);
  child.stdout?.setEncoding('utf8').on('data', onChunk);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const waitFor = (match: (line: ScorerLine) => boolean, timeoutMs = 30_000): Promise<ScorerLine> => {
    const seen = lines.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (l: ScorerLine) => {
          clearTimeout(timer);
          resolve(l);
        },
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(
          new Error(
            `scorer ${name}: no matching log line within ${timeoutMs} ms; last lines:\n${lines
              .slice(-15)
              .map((l) => JSON.stringify(l))
              .join('\n')}\n${noise}`,
          ),
        );
      }, timeoutMs);
      waiters.add(waiter);
    });
  };
  const port = async (): Promise<number> => Number((await waitFor((l) => l.msg === 'health server listening')).port);

  return {
    name,
    pid: child.pid ?? -1,
    lines,
    port,
    waitFor,
    exited,
    async get(path) {
      const response = await fetch(`http://127.0.0.1:${await port()}${path}`);
      return { status: response.status, text: await response.text() };
    },
    signal: (signal) => {
      child.kill(signal);
    },
    noise: () => noise,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** One sample of a Prometheus text exposition: the value of `name{labels…}` (labels matched as given), or undefined. */
export function metricValue(
  text: string,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number | undefined {
  let total: number | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) total = (total ?? 0) + Number(m[3]);
  }
  return total;
}
