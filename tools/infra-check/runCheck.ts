import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Finding } from './findings.js';
import { BicepTypes } from './bicepTypes.js';
import { checkBicepFile } from './bicepCheck.js';
import { BicepFiles } from './bicepFiles.js';
import { checkProject } from './projectCheck.js';
import { checkManifestFile } from './k8sCheck.js';
import { checkKustomization, patchFiles } from './kustomizeCheck.js';

export interface CheckOptions {
  /** Files or folders to check; folders are searched for .bicep and .yaml/.yml files (an azure.yaml is a project). */
  readonly paths: readonly string[];
  /** The Azure type definitions (default ../shared/bicep-types beside the repo). */
  readonly typesDir: string;
  readonly cwd?: string;
}

export interface CheckResult {
  readonly findings: readonly Finding[];
  readonly files: readonly string[];
}

function walk(path: string): string[] {
  if (!existsSync(path)) throw new Error(`infra-check: ${path} does not exist`);
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .filter((e) => e.name !== 'node_modules')
    .flatMap((e) => walk(join(path, e.name)))
    .sort();
}

// The type index is large (every type@apiVersion in Azure): read once per process and folder.
const typeCache = new Map<string, BicepTypes>();
function typesFor(dir: string): BicepTypes {
  let types = typeCache.get(dir);
  if (!types) typeCache.set(dir, (types = new BicepTypes(dir)));
  return types;
}

/** Runs every check over the given paths. */
export function runInfraCheck(options: CheckOptions): CheckResult {
  const cwd = options.cwd ?? process.cwd();
  const files = options.paths.flatMap((p) => walk(resolve(cwd, p)));
  const bicep = files.filter((f) => f.endsWith('.bicep'));
  const projects = files.filter((f) => basename(f) === 'azure.yaml');
  const yamls = files.filter((f) => /\.ya?ml$/.test(f) && basename(f) !== 'azure.yaml');
  const kustomizations = yamls.filter((f) => basename(f) === 'kustomization.yaml');
  const patches = patchFiles(kustomizations);
  const findings: Finding[] = [];
  const parsed = new BicepFiles();
  if (bicep.length > 0) {
    const types = typesFor(options.typesDir);
    for (const f of bicep) findings.push(...checkBicepFile(f, types, cwd, parsed));
  }
  // An azure.yaml is a project: azd's view of it, and the roles its deployment grants.
  for (const f of projects) findings.push(...checkProject(f, parsed, cwd));
  for (const f of kustomizations) findings.push(...checkKustomization(f, cwd));
  for (const f of yamls) {
    if (basename(f) === 'kustomization.yaml' || !f.includes(`${'/'}k8s${'/'}`)) continue;
    findings.push(...checkManifestFile(f, patches.has(f), cwd));
  }
  return { findings, files: [...bicep, ...yamls, ...projects] };
}
