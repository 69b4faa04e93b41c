/**
 * The checks that need the whole project an `azure.yaml` describes: azure.yaml itself (against its
 * infra module's outputs), every role assignment of the deployment (role-guid), and the roles of the
 * Functions app's triggers (trigger-role), whose sources are found from the function service's
 * package.json `main` (the built files) mapped back through the tsconfig its `build` script compiles
 * with (`tsc -p FILE`, else tsconfig.json, following `extends`: outDir to rootDir, .js to .ts).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { parse } from 'yaml';
import { checkAzureYaml } from './azureYamlCheck.js';
import type { BicepFiles } from './bicepFiles.js';
import { BicepProgram } from './bicepProgram.js';
import type { Finding } from './findings.js';
import { triggerBindings } from './functionBindings.js';
import { roleGrants } from './roleGrants.js';
import { checkGrantRoles } from './roleRules.js';
import { checkTriggerRoles } from './triggerRoles.js';
import { checkDiagnostics } from './diagnosticsRule.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const readJson = (path: string): Obj | undefined => {
  if (!existsSync(path)) return undefined;
  // tsconfig allows comments and trailing commas: strip them (outside strings is good enough here).
  const text = readFileSync(path, 'utf8')
    .replace(/^\s*\/\/.*$/gm, '')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/,(\s*[}\]])/g, '$1');
  const v = JSON.parse(text) as unknown;
  return isObj(v) ? v : undefined;
};

/** The tsconfig `npm run build` compiles with: its `-p`/`--project`, else tsconfig.json. */
function buildTsconfig(dir: string, pkg: Obj): string {
  const scripts = isObj(pkg.scripts) ? pkg.scripts : {};
  const build = typeof scripts.build === 'string' ? scripts.build : '';
  const project = /\btsc\b.*?(?:-p|--project)\s+(\S+)/.exec(build)?.[1];
  return resolve(dir, project ?? 'tsconfig.json');
}

/** outDir and rootDir of a tsconfig, following `extends`; each resolved from the file that sets it. */
function outputDirs(tsconfig: string, depth = 0): { outDir?: string; rootDir?: string } {
  const config = readJson(tsconfig);
  if (!config || depth > 8) return {};
  const base =
    typeof config.extends === 'string' && config.extends.startsWith('.')
      ? outputDirs(resolve(dirname(tsconfig), config.extends), depth + 1)
      : {};
  const options = isObj(config.compilerOptions) ? config.compilerOptions : {};
  const own = (key: 'outDir' | 'rootDir') =>
    typeof options[key] === 'string' ? resolve(dirname(tsconfig), options[key]) : base[key];
  const outDir = own('outDir');
  const rootDir = own('rootDir');
  return { ...(outDir ? { outDir } : {}), ...(rootDir ? { rootDir } : {}) };
}

/**
 * The TypeScript sources of a Functions app: package.json `main` (a file or a `*` glob), mapped back
 * through the tsconfig its build script compiles with (outDir to rootDir, .js to .ts).
 */
export function functionSources(dir: string): string[] {
  const pkg = readJson(join(dir, 'package.json'));
  const main = pkg?.main;
  if (!pkg || typeof main !== 'string') return [];
  const { outDir, rootDir } = outputDirs(buildTsconfig(dir, pkg));
  const built = resolve(dir, main);
  const source =
    outDir && built.startsWith(`${outDir}${sep}`) ? join(rootDir ?? dir, built.slice(outDir.length + 1)) : built;
  const path = source.replace(/\.js$/, '.ts');
  const folder = dirname(path);
  if (!basename(path).includes('*')) return existsSync(path) ? [path] : [];
  const pattern = new RegExp(
    `^${basename(path)
      .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')}$`,
  );
  return existsSync(folder)
    ? readdirSync(folder)
        .filter((f) => pattern.test(f))
        .sort()
        .map((f) => join(folder, f))
    : [];
}

export function checkProject(azureYaml: string, files: BicepFiles, cwd: string): Finding[] {
  const base = dirname(azureYaml);
  const doc = parse(readFileSync(azureYaml, 'utf8')) as unknown;
  const root = isObj(doc) ? doc : {};
  const infra = isObj(root.infra) ? root.infra : {};
  const entry = resolve(
    base,
    typeof infra.path === 'string' ? infra.path : 'infra',
    `${typeof infra.module === 'string' ? infra.module : 'main'}.bicep`,
  );
  const main = files.get(entry);
  const outputs = main?.parses
    ? new Set([...main.decls.values()].filter((d) => d.kind === 'output').map((d) => d.name))
    : undefined;
  const out = checkAzureYaml(azureYaml, { outputs, cwd });
  const program = main?.parses ? BicepProgram.load(entry, files) : undefined;
  if (!program) return out;
  const rel = (p: string) => relative(cwd, p) || p;
  const grants = roleGrants(program);
  out.push(...checkGrantRoles(grants, rel));
  out.push(...checkDiagnostics(program, rel));
  for (const [name, svc] of Object.entries(isObj(root.services) ? root.services : {})) {
    if (!isObj(svc) || svc.host !== 'function') continue;
    const dir = resolve(base, typeof svc.project === 'string' ? svc.project : '.');
    const sources = functionSources(dir);
    if (sources.length === 0) {
      out.push({
        severity: 'error',
        rule: 'trigger-role',
        file: rel(azureYaml),
        line: 1,
        resource: `service ${name}`,
        message: `no function sources found from ${rel(join(dir, 'package.json'))} "main" (through the outDir/rootDir of the tsconfig its build script compiles with): the triggers' roles cannot be checked`,
      });
      continue;
    }
    out.push(...checkTriggerRoles({ program, grants, bindings: triggerBindings(sources), rel }));
  }
  return out;
}
