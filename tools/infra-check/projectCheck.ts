/**
 * The checks that need the whole project an `azure.yaml` describes: azure.yaml itself (against its
 * infra module's outputs), every role assignment of the deployment (role-guid), and the roles of the
 * Functions app's triggers (trigger-role), whose sources are found from the function service's
 * package.json `main` (the built files) mapped back through its tsconfig (outDir to rootDir, .js to .ts).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
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

/** The TypeScript sources of a Functions app: package.json `main` (a file or a `*` glob), back through tsconfig. */
export function functionSources(dir: string): string[] {
  const main = readJson(join(dir, 'package.json'))?.main;
  if (typeof main !== 'string') return [];
  const options = readJson(join(dir, 'tsconfig.json'))?.compilerOptions;
  const outDir =
    isObj(options) && typeof options.outDir === 'string' ? options.outDir.replace(/^\.\//, '').replace(/\/$/, '') : '';
  const rootDir = isObj(options) && typeof options.rootDir === 'string' ? options.rootDir : '.';
  const built = main.replace(/^\.\//, '');
  const source = outDir && built.startsWith(`${outDir}/`) ? join(rootDir, built.slice(outDir.length + 1)) : built;
  const path = resolve(dir, source.replace(/\.js$/, '.ts'));
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
        message: `no function sources found from ${rel(join(dir, 'package.json'))} "main" (through tsconfig outDir/rootDir): the triggers' roles cannot be checked`,
      });
      continue;
    }
    out.push(...checkTriggerRoles({ program, grants, bindings: triggerBindings(sources), rel }));
  }
  return out;
}
