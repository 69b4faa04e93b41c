import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Finding } from './findings.js';
import { BicepTypes } from './bicepTypes.js';
import { checkBicepFile } from './bicepCheck.js';
import { checkManifestFile } from './k8sCheck.js';
import { checkKustomization, patchFiles } from './kustomizeCheck.js';

export interface CheckOptions {
  /** Files or folders to check; folders are searched for .bicep and .yaml/.yml files. */
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

/** Runs every check over the given paths. */
export function runInfraCheck(options: CheckOptions): CheckResult {
  const cwd = options.cwd ?? process.cwd();
  const files = options.paths.flatMap((p) => walk(resolve(cwd, p)));
  const bicep = files.filter((f) => f.endsWith('.bicep'));
  const yamls = files.filter((f) => /\.ya?ml$/.test(f));
  const kustomizations = yamls.filter((f) => basename(f) === 'kustomization.yaml');
  const patches = patchFiles(kustomizations);
  const findings: Finding[] = [];
  if (bicep.length > 0) {
    const types = new BicepTypes(options.typesDir);
    for (const f of bicep) findings.push(...checkBicepFile(f, types, cwd));
  }
  for (const f of kustomizations) findings.push(...checkKustomization(f, cwd));
  for (const f of yamls) {
    if (basename(f) === 'kustomization.yaml' || !f.includes(`${'/'}k8s${'/'}`)) continue;
    findings.push(...checkManifestFile(f, patches.has(f), cwd));
  }
  return { findings, files: [...bicep, ...yamls] };
}
