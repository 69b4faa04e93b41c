/**
 * Builds the Functions deployment package: a folder azd zips as it is (`dist` of the functions service
 * in azure.yaml, `remoteBuild: false`), laid out as the repository is, so the same `main` finds the
 * handlers:
 *
 *   host.json, package.json (functionsManifest), package-lock.json (the root's, pruned by npm)
 *   dist/functions/src/…, dist/src/…   the compiled JavaScript the handlers reach (moduleGraph)
 *   dist/dashboard/                    the dashboard's files, where src/hosting/dashboardFiles.ts looks
 *   node_modules/                      production dependencies only, at the root lock's versions
 *
 * npm installs them from the root's lock (`npm install --omit=dev` in the package folder: the lock
 * pruned to the package's dependencies, nothing re-resolved), with no install scripts: the only one
 * among them is protobufjs's, which the root's allowScripts denies too. Source maps and type
 * declarations are dropped from node_modules: nothing runs them.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { moduleGraph } from './moduleGraph.js';
import { functionsManifest, NOT_SHIPPED, reachProblems, type Manifest } from './packageManifest.js';

/** Where `npm run package:functions` puts the package (azure.yaml's `dist` of the functions service). */
export const PACKAGE_DIR = 'dist/functions-package';

export interface PackageOptions {
  /** The repository root. */
  readonly root: string;
  /** The package folder, emptied first. */
  readonly out: string;
  /** npm may use only its cache (`--offline`); otherwise it prefers the cache and asks the registry for what is missing. */
  readonly offline: boolean;
  readonly log: (line: string) => void;
}

export interface PackageReport {
  readonly files: number;
  readonly bytes: number;
  readonly nodeModulesBytes: number;
  /** Left out though the handlers import them lazily, with the reason. */
  readonly lazyOnly: readonly string[];
}

const DROPPED = /\.(map|d\.ts|d\.mts|d\.cts)$/;

/** The files a package.json `main` names: one file, or a `*` pattern in its last segment. */
export function mainFiles(dir: string, main: string): string[] {
  const path = resolve(dir, main);
  if (!basename(path).includes('*')) return [path];
  const pattern = new RegExp(
    `^${basename(path)
      .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')}$`,
  );
  return readdirSync(dirname(path))
    .filter((f) => pattern.test(f))
    .sort()
    .map((f) => join(dirname(path), f));
}

/** Every file under `dir` with its size; `drop` ones are deleted instead. */
function sizes(dir: string, drop?: RegExp): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const sub = sizes(path, drop);
      files += sub.files;
      bytes += sub.bytes;
    } else if (drop?.test(entry.name)) rmSync(path);
    else {
      files += 1;
      bytes += statSync(path).size;
    }
  }
  return { files, bytes };
}

function npm(args: string[], cwd: string): void {
  // Under `npm run`, npm_execpath is the npm that runs us; otherwise the one on PATH.
  const cli = process.env.npm_execpath;
  if (cli && /\.c?js$/.test(cli)) execFileSync(process.execPath, [cli, ...args], { cwd, stdio: 'inherit' });
  else execFileSync('npm', args, { cwd, stdio: 'inherit', shell: process.platform === 'win32' });
}

export function buildFunctionsPackage(options: PackageOptions): PackageReport {
  const { root, out, log } = options;
  const rel = (file: string) => relative(root, file);
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Manifest;
  log('compiling (npm run build)');
  const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });

  const entries = mainFiles(root, functionsManifest(manifest).main!);
  if (entries.length === 0) throw new Error(`package.json "main" (${manifest.main}) names no built file`);
  const graph = moduleGraph(entries);
  const problems = reachProblems(graph, manifest, rel);
  if (problems.length > 0) throw new Error(`the Functions package cannot be built:\n  ${problems.join('\n  ')}`);

  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  cpSync(join(root, 'host.json'), join(out, 'host.json'));
  for (const file of graph.files) cpSync(file, join(out, rel(file)));
  cpSync(join(root, 'dashboard'), join(out, 'dist', 'dashboard'), { recursive: true });
  writeFileSync(join(out, 'package.json'), `${JSON.stringify(functionsManifest(manifest), null, 2)}\n`);
  cpSync(join(root, 'package-lock.json'), join(out, 'package-lock.json'));
  log(`${entries.length} functions, ${graph.files.size} compiled files; installing production dependencies`);
  const cache = options.offline ? '--offline' : '--prefer-offline';
  npm(['install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', cache], out);

  const modules = sizes(join(out, 'node_modules'), DROPPED);
  const all = sizes(out);
  const lazyOnly = [...graph.packages]
    .filter(([name]) => name in NOT_SHIPPED)
    .map(([name, use]) => `${name} (imported lazily by ${rel(use.by)}): ${NOT_SHIPPED[name]}`);
  return { files: all.files, bytes: all.bytes, nodeModulesBytes: modules.bytes, lazyOnly };
}
