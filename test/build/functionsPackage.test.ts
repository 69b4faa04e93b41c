/**
 * `npm run package:functions` builds the Functions deployment package from this checkout, and the
 * package runs on its own: a `node` process with the package as its working directory, where nothing
 * may resolve outside it, loads every function its package.json `main` names and registers exactly
 * what the sources register. Also: what it holds (no onnxruntime, no native binaries, no development
 * dependency, no tests, infra or TypeScript), that its versions are the root lock's, and its size.
 * npm installs from its cache only (`--offline`): the test never reaches the network.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOT_SHIPPED } from '../../tools/package-functions/packageManifest.js';
import { installRecordingCore, type Registration } from '../functions/support/recordingCore.js';

const ROOT = resolve(import.meta.dirname, '../..');
/** Measured 51.2 MB in 9,106 files (node_modules 50.4 MB) on linux-x64: about 30% headroom each. */
const BUDGET = { bytes: 67e6, files: 12_000 };

interface Loaded {
  readonly files: string[];
  readonly programmingModel: boolean;
  readonly registrations: (Omit<Registration, 'callback'> & { callback: string })[];
  readonly addons: string[];
  readonly functionsLibrary: string;
  readonly dashboard: (string | null)[];
}
interface Lock {
  packages: Record<string, { version?: string; dev?: boolean; hasInstallScript?: boolean; name?: string }>;
}

const readJson = <T>(path: string) => JSON.parse(readFileSync(path, 'utf8')) as T;
/** Every file under `dir`, relative to it, with its size. */
function walk(dir: string, prefix = ''): [string, number][] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? walk(join(dir, e.name), `${prefix}${e.name}/`)
      : [[`${prefix}${e.name}`, statSync(join(dir, e.name)).size] as [string, number]],
  );
}
/** `name@version` of every package a lock installs (its key's last node_modules segment names it). */
const lockedPackages = (lock: Lock, keep: (e: Lock['packages'][string]) => boolean = () => true) =>
  Object.entries(lock.packages)
    .filter(([key, e]) => key !== '' && keep(e))
    .map(([key, e]) => `${e.name ?? key.slice(key.lastIndexOf('node_modules/') + 13)}@${e.version}`);

let out: string;
let pkg: string;
let files: [string, number][];
let loaded: Loaded;
let fromSources: Map<string, Registration>;
beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'tessera-functions-package-'));
  pkg = join(out, 'package');
  execFileSync('npm', ['run', 'package:functions', '--', '--offline', '--out', pkg], { cwd: ROOT, stdio: 'pipe' });
  files = walk(pkg);
  const stdout = execFileSync(process.execPath, [join(import.meta.dirname, 'support', 'loadFunctions.mjs')], {
    cwd: pkg,
    env: { PATH: process.env.PATH ?? '' },
    encoding: 'utf8',
  });
  loaded = JSON.parse(stdout) as Loaded;
  const core = installRecordingCore();
  const sources = join(ROOT, 'functions', 'src', 'functions');
  for (const f of readdirSync(sources)) await import(join(sources, f));
  fromSources = core.registrations;
  core.uninstall();
}, 180_000); // npm installs about 260 packages from its cache: a bound against hangs, not a speed test
afterAll(() => {
  if (out) rmSync(out, { recursive: true, force: true });
});

describe('npm run package:functions', () => {
  it('holds host.json, package.json and its lock, the compiled JavaScript and the dashboard under dist/, and node_modules: nothing else', () => {
    expect(readdirSync(pkg).sort()).toEqual(['dist', 'host.json', 'node_modules', 'package-lock.json', 'package.json']);
    expect(readdirSync(join(pkg, 'dist')).sort()).toEqual(['dashboard', 'functions', 'src']);
    expect(readFileSync(join(pkg, 'host.json'), 'utf8')).toBe(readFileSync(join(ROOT, 'host.json'), 'utf8'));
    const ours = files.map(([f]) => f).filter((f) => !f.startsWith('node_modules/'));
    expect(ours.filter((f) => /\.(ts|map)$/.test(f) || /^(test|bench|infra|scorer-image|tools)\//.test(f))).toEqual([]);
    expect(ours.some((f) => f.startsWith('dist/src/cli/'))).toBe(false); // only what the handlers reach
    expect(readdirSync(join(pkg, 'dist', 'dashboard')).sort()).toEqual(readdirSync(join(ROOT, 'dashboard')).sort());
  });

  it('loads every function from the package alone and registers exactly what the sources register', () => {
    const sourceNames = [...fromSources.keys()].sort();
    expect(loaded.files.map((f) => basename(f, '.js'))).toEqual(sourceNames);
    expect(loaded.programmingModel).toBe(true);
    expect(loaded.registrations.map((r) => r.name).sort()).toEqual(sourceNames);
    for (const r of loaded.registrations) {
      const { callback, ...metadata } = r;
      expect(callback, r.name).toBe('function');
      const { callback: _, ...expected } = fromSources.get(r.name)!;
      expect(metadata, r.name).toEqual(JSON.parse(JSON.stringify(expected)));
    }
    expect(loaded.functionsLibrary.startsWith(join(pkg, 'node_modules') + sep)).toBe(true);
    expect(loaded.dashboard).toHaveLength(4);
    for (const file of loaded.dashboard) expect(file?.startsWith(pkg + sep), String(file)).toBe(true);
  });

  it('ships no onnxruntime and no native binary, and loading the functions loads no addon', () => {
    expect(files.filter(([f]) => /(^|\/)onnxruntime[^/]*\//.test(f))).toEqual([]);
    expect(files.filter(([f]) => f.endsWith('.node'))).toEqual([]);
    expect(loaded.addons).toEqual([]);
    const manifest = readJson<{ dependencies: Record<string, string>; devDependencies?: unknown; main: string }>(
      join(pkg, 'package.json'),
    );
    for (const name of Object.keys(NOT_SHIPPED)) {
      expect(manifest.dependencies, name).not.toHaveProperty(name);
      expect(
        files.some(([f]) => f.startsWith(`node_modules/${name}/`)),
        name,
      ).toBe(false);
    }
    expect(manifest.devDependencies).toBeUndefined();
    expect(manifest.main).toBe(readJson<{ main: string }>(join(ROOT, 'package.json')).main);
  });

  it("installs the root lock's versions, none of them development-only, running no install script the root allows", () => {
    const lock = readJson<Lock>(join(pkg, 'package-lock.json'));
    const root = readJson<Lock>(join(ROOT, 'package-lock.json'));
    const production = new Set(lockedPackages(root, (e) => !e.dev));
    const installed = lockedPackages(lock);
    expect(installed.length).toBeGreaterThan(100);
    expect(installed.filter((p) => !production.has(p))).toEqual([]);
    const { allowScripts } = readJson<{ allowScripts: Record<string, boolean> }>(join(ROOT, 'package.json'));
    const scripted = Object.entries(lock.packages).filter(([, e]) => e.hasInstallScript);
    for (const [key] of scripted)
      expect(allowScripts[key.slice(key.lastIndexOf('node_modules/') + 13)], key).toBe(false);
  });

  it(`stays within its size budget (${BUDGET.bytes / 1e6} MB, ${BUDGET.files} files)`, () => {
    const bytes = files.reduce((sum, [, size]) => sum + size, 0);
    console.log(`functions package: ${files.length} files, ${(bytes / 1e6).toFixed(1)} MB`);
    expect(bytes).toBeLessThan(BUDGET.bytes);
    expect(files.length).toBeLessThan(BUDGET.files);
  });
});
