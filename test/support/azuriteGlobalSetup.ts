/**
 * Vitest globalSetup: one Azurite (blob, queue, table) per test run, on loopback only.
 *
 * - Started from this repo's node_modules (`process.execPath` loading azurite's JS entry), never a global install.
 * - Every service binds port 0, so the OS picks a free port at bind time (no probe-then-bind race);
 *   the ports are read from Azurite's "successfully listening at" lines.
 * - In-memory persistence (Azurite refuses it together with `--location`), run in a throw-away working
 *   folder, telemetry off (it would reach off-loopback).
 * - Tests read `inject('azuriteConnectionString')`. Setting AZURITE_CONNECTION_STRING uses an
 *   emulator that is already running instead of starting one.
 * - If Azurite cannot start, setup throws with its output: Azure adapter tests never skip silently.
 * - Teardown kills Azurite's process group (SIGTERM, then SIGKILL) and removes the temp folder.
 *   If vitest dies without teardown, an exit hook kills the group, and Azurite's stdin pipe closing
 *   makes it exit by itself (see WATCHDOG), so no Azurite outlives the run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Account connection string for the run's Azurite (blob, queue and table endpoints). */
    azuriteConnectionString: string;
  }
}

const HOST = '127.0.0.1';
const ACCOUNT = 'devstoreaccount1';
// Azurite's well-known development key (public, emulator-only).
const KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const SERVICES = ['Blob', 'Queue', 'Table'] as const;
type Service = (typeof SERVICES)[number];
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env['AZURITE_CONNECTION_STRING'];
  if (external) {
    project.provide('azuriteConnectionString', external);
    return async () => {};
  }
  const location = mkdtempSync(join(tmpdir(), 'tessera-azurite-'));
  const child = spawnAzurite(location);
  const killOnExit = (): void => killGroup(child, 'SIGKILL');
  process.once('exit', killOnExit);
  try {
    const ports = await waitForPorts(child);
    await Promise.all(SERVICES.map((s) => waitForTcp(ports[s])));
    project.provide('azuriteConnectionString', connectionString(ports));
  } catch (error) {
    await stop(child);
    rmSync(location, { recursive: true, force: true });
    process.off('exit', killOnExit);
    throw error;
  }
  return async () => {
    await stop(child);
    process.off('exit', killOnExit);
    rmSync(location, { recursive: true, force: true });
  };
}

function azuriteEntry(): string {
  const require = createRequire(import.meta.url);
  const pkgPath = require.resolve('azurite/package.json');
  const pkg = require(pkgPath) as { bin: Record<string, string> };
  const bin = pkg.bin['azurite'];
  if (!bin) throw new Error(`azurite: no "azurite" bin in ${pkgPath}`);
  return join(dirname(pkgPath), bin);
}

/**
 * Loads Azurite's entry in a node whose stdin is a pipe from this process: when this process dies
 * in any way (even SIGKILL, or a Ctrl-C that skips teardown), the pipe closes and Azurite exits,
 * removing its working folder. Teardown does not rely on it.
 */
const WATCHDOG = `
const [entry, ...args] = process.argv.slice(1);
process.argv = [process.argv[0], entry, ...args];
const cwd = process.cwd();
process.on('exit', () => require('node:fs').rmSync(cwd, { recursive: true, force: true }));
process.stdin.on('end', () => process.exit(0)).on('error', () => process.exit(0)).resume();
require(entry);
`;

function spawnAzurite(workdir: string): ChildProcess {
  const args = ['-e', WATCHDOG, azuriteEntry(), '--inMemoryPersistence', '--extentMemoryLimit', '512'];
  for (const s of SERVICES) args.push(`--${s.toLowerCase()}Host`, HOST, `--${s.toLowerCase()}Port`, '0');
  args.push('--skipApiVersionCheck', '--silent', '--disableTelemetry');
  return spawn(process.execPath, args, {
    cwd: workdir,
    detached: true, // own process group, so teardown can kill the whole group
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** Resolves with each service's bound port, or rejects with Azurite's output. */
function waitForPorts(child: ChildProcess): Promise<Record<Service, number>> {
  return new Promise((resolve, reject) => {
    let output = '';
    const ports: Partial<Record<Service, number>> = {};
    const fail = (why: string): void => {
      clearTimeout(timer);
      reject(new Error(`Azurite failed to start: ${why}\n--- azurite output ---\n${output}`));
    };
    const timer = setTimeout(() => fail(`not listening after ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-20_000);
      for (const m of output.matchAll(/Azurite (Blob|Queue|Table) service is successfully listening at \S+:(\d+)/g)) {
        ports[m[1] as Service] = Number(m[2]);
      }
      if (SERVICES.every((s) => ports[s] !== undefined)) {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve(ports as Record<Service, number>);
      }
    };
    const onExit = (code: number | null, signal: string | null): void =>
      fail(`exited early (code ${String(code)}, signal ${String(signal)})`);
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', (error) => fail(error.message));
  });
}

/** Resolves once a TCP connection to the port succeeds (retries briefly). */
async function waitForTcp(port: number): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: HOST, port }, () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`Azurite: port ${port} never accepted a connection`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function connectionString(ports: Record<Service, number>): string {
  const endpoints = SERVICES.map((s) => `${s}Endpoint=http://${HOST}:${ports[s]}/${ACCOUNT}`);
  return ['DefaultEndpointsProtocol=http', `AccountName=${ACCOUNT}`, `AccountKey=${KEY}`, ...endpoints].join(';') + ';';
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}

/** SIGTERM the group, wait for exit, SIGKILL if it lingers. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  killGroup(child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
  child.stdin?.destroy();
  child.stdout?.destroy();
  child.stderr?.destroy();
}
