/**
 * `azure.yaml` as azd reads it (rules `azure-yaml-*`). Fields are checked against the azd project
 * schema's (azure-dev schemas/v1.0/azure.yaml.json) for what Tessera uses, and paths resolved as azd
 * resolves them (pkg/project, pkg/ext): a service's `project` from this file's folder; its docker
 * `path`/`context`, kustomize `dir` and its hooks' `run` from the service's folder; a project hook's
 * `run` from this file's folder. A hook whose `run` names no file is run by azd as an inline script,
 * so a path that resolves nowhere is an error, never a silent pass; a hook for one platform only
 * fails validation on the other.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Finding } from './findings.js';
import { readYaml } from './yamlFiles.js';
import { checkHooks, type ErrorFn, type FieldsFn } from './azureYamlHooks.js';

const TOP = [
  'name',
  'metadata',
  'infra',
  'services',
  'hooks',
  'pipeline',
  'workflows',
  'state',
  'platform',
  'requiredVersions',
  'resources',
  'cloud',
];
const SERVICE = [
  'project',
  'language',
  'host',
  'docker',
  'k8s',
  'hooks',
  'dist',
  'resourceName',
  'module',
  'apiVersion',
  'image',
  'env',
  'config',
  'uses',
  'remoteBuild',
  'resourceGroup',
];
const DOCKER = [
  'path',
  'context',
  'target',
  'platform',
  'registry',
  'image',
  'tag',
  'buildArgs',
  'remoteBuild',
  'network',
];
const K8S = ['namespace', 'deploymentPath', 'deployment', 'service', 'ingress', 'helm', 'kustomize'];
const KUSTOMIZE = ['dir', 'edits', 'env'];
const HOSTS = [
  'appservice',
  'containerapp',
  'function',
  'staticwebapp',
  'aks',
  'springapp',
  'ai.endpoint',
  'azure.ai.agent',
];
const LANGUAGES = ['dotnet', 'csharp', 'fsharp', 'py', 'python', 'js', 'ts', 'java', 'docker', 'custom'];
const COMMAND_HOOKS = ['restore', 'provision', 'package', 'deploy', 'publish', 'up', 'down'].flatMap((c) => [
  `pre${c}`,
  `post${c}`,
]);
const SERVICE_HOOKS = ['restore', 'build', 'package', 'deploy', 'publish'].flatMap((c) => [`pre${c}`, `post${c}`]);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Names of the stages of a Dockerfile (`FROM image AS name`). */
export function dockerStages(path: string): string[] {
  return [...readFileSync(path, 'utf8').matchAll(/^\s*FROM\s+\S+(?:\s+AS\s+(\S+))?/gim)].flatMap((m) =>
    m[1] ? [m[1].toLowerCase()] : [],
  );
}

export interface AzureYamlContext {
  /** Outputs of the infra module: the names azd puts into the environment after provisioning. */
  readonly outputs: ReadonlySet<string> | undefined;
  readonly cwd: string;
}

export function checkAzureYaml(path: string, ctx: AzureYamlContext): Finding[] {
  const file = relative(ctx.cwd, path) || path;
  const yaml = readYaml(path);
  const doc = yaml.docs[0];
  const out: Finding[] = yaml.errors.map((e) => ({
    severity: 'error' as const,
    rule: 'yaml-syntax',
    file,
    line: e.line,
    message: e.message,
  }));
  if (!doc || out.length > 0) return out;
  const root = doc.toJS() as unknown;
  const at = (p: (string | number)[]) => yaml.lineOf(doc, p);
  // Messages name paths relative to the working directory, as findings' files are.
  const relativize = (message: string) => message.split(`${resolve(ctx.cwd)}/`).join('');
  const error = (rule: string, p: (string | number)[], message: string, resource?: string) =>
    out.push({
      severity: 'error',
      rule,
      file,
      line: at(p),
      message: relativize(message),
      ...(resource ? { resource } : {}),
    });
  const fields = (v: unknown, allowed: readonly string[], p: (string | number)[], what: string) => {
    if (!isObj(v)) return error('azure-yaml-schema', p, `${what} must be a mapping`);
    for (const k of Object.keys(v))
      if (!allowed.includes(k))
        error('azure-yaml-schema', [...p, k], `${what} has no field "${k}" (azd knows ${allowed.join(', ')})`);
  };
  if (!isObj(root))
    return [{ severity: 'error', rule: 'azure-yaml-schema', file, line: 1, message: 'azure.yaml must be a mapping' }];
  fields(root, TOP, [], 'azure.yaml');
  if (typeof root.name !== 'string' || root.name === '') error('azure-yaml-schema', [], 'azure.yaml needs a name');
  const base = dirname(path);
  const exists = (p: string, dir = false) => existsSync(p) && (!dir || statSync(p).isDirectory());

  if (isObj(root.infra)) {
    const infraDir = resolve(base, typeof root.infra.path === 'string' ? root.infra.path : 'infra');
    const module = typeof root.infra.module === 'string' ? root.infra.module : 'main';
    if (!exists(join(infraDir, `${module}.bicep`)) && root.infra.provider !== 'terraform')
      error(
        'azure-yaml-path',
        ['infra'],
        `the infra module ${relative(ctx.cwd, join(infraDir, `${module}.bicep`))} does not exist`,
      );
  }
  const hookFiles = checkHooks(root.hooks, base, ['hooks'], COMMAND_HOOKS, 'project hook', error, fields);
  const services = Object.entries(isObj(root.services) ? root.services : {});
  for (const [name, svc] of services) {
    if (!isObj(svc)) continue;
    const dir = resolve(base, typeof svc.project === 'string' ? svc.project : '.');
    hookFiles.push(
      ...checkHooks(svc.hooks, dir, ['services', name, 'hooks'], SERVICE_HOOKS, `service ${name} hook`, error, fields),
    );
  }
  // Names the hook scripts put into the azd environment (`azd env set NAME`).
  const setByHooks = new Set(
    hookFiles.flatMap((f) =>
      [...readFileSync(f, 'utf8').matchAll(/azd env set ([A-Za-z0-9_]+)/g)].map((m) => m[1] ?? ''),
    ),
  );

  for (const [name, svc] of services) {
    const p = ['services', name];
    fields(svc, SERVICE, p, `service ${name}`);
    if (!isObj(svc)) continue;
    const dir = resolve(base, typeof svc.project === 'string' ? svc.project : '.');
    if (!exists(dir, true))
      error('azure-yaml-path', [...p, 'project'], `service ${name}: project ${String(svc.project)} is not a folder`);
    if (!HOSTS.includes(typeof svc.host === 'string' ? svc.host : ''))
      error('azure-yaml-schema', [...p, 'host'], `service ${name}: host must be one of ${HOSTS.join(', ')}`);
    if (svc.language !== undefined && !LANGUAGES.includes(typeof svc.language === 'string' ? svc.language : ''))
      error(
        'azure-yaml-schema',
        [...p, 'language'],
        `service ${name}: language must be one of ${LANGUAGES.join(', ')}`,
      );
    if (svc.docker !== undefined || svc.language === 'docker')
      checkDocker(svc.docker, dir, [...p, 'docker'], name, error, fields);
    if (svc.k8s !== undefined) checkK8s(svc.k8s, dir, [...p, 'k8s'], name, error, fields, ctx.outputs, setByHooks);
    if (ctx.outputs) {
      const needs = svc.host === 'aks' ? ['AZURE_AKS_CLUSTER_NAME'] : [];
      if (svc.docker !== undefined || svc.language === 'docker') needs.push('AZURE_CONTAINER_REGISTRY_ENDPOINT');
      for (const o of needs)
        if (!ctx.outputs.has(o))
          error(
            'azure-yaml-output',
            p,
            `service ${name} (host ${String(svc.host)}): azd finds its target through the infra output ${o}, which the infra module does not have`,
          );
    }
  }
  return out;
}

function checkDocker(
  docker: unknown,
  dir: string,
  p: (string | number)[],
  name: string,
  error: ErrorFn,
  fields: FieldsFn,
): void {
  const d = isObj(docker) ? docker : {};
  if (docker !== undefined) fields(docker, DOCKER, p, `service ${name} docker`);
  const dockerfile = resolve(dir, typeof d.path === 'string' ? d.path : 'Dockerfile');
  const context = resolve(dir, typeof d.context === 'string' ? d.context : '.');
  if (!existsSync(context))
    error(
      'azure-yaml-path',
      [...p, 'context'],
      `service ${name}: docker context resolves to ${context}, which does not exist`,
    );
  if (!existsSync(dockerfile))
    return error(
      'azure-yaml-path',
      [...p, 'path'],
      `service ${name}: the Dockerfile resolves to ${dockerfile}, which does not exist`,
    );
  if (typeof d.target === 'string' && !dockerStages(dockerfile).includes(d.target.toLowerCase()))
    error(
      'azure-yaml-docker-target',
      [...p, 'target'],
      `service ${name}: ${dockerfile} has no stage "${d.target}" (stages: ${dockerStages(dockerfile).join(', ')})`,
    );
}

const AZD_SETS = /^(AZURE_[A-Z_]+|SERVICE_[A-Z0-9_]+_(IMAGE_NAME|ENDPOINT_URL|RESOURCE_EXISTS))$/;

function checkK8s(
  k8s: unknown,
  dir: string,
  p: (string | number)[],
  name: string,
  error: ErrorFn,
  fields: FieldsFn,
  outputs: ReadonlySet<string> | undefined,
  setByHooks: ReadonlySet<string>,
): void {
  fields(k8s, K8S, p, `service ${name} k8s`);
  if (!isObj(k8s) || k8s.kustomize === undefined) return;
  const kp = [...p, 'kustomize'];
  fields(k8s.kustomize, KUSTOMIZE, kp, `service ${name} kustomize`);
  if (!isObj(k8s.kustomize)) return;
  const kdir = resolve(dir, typeof k8s.kustomize.dir === 'string' ? k8s.kustomize.dir : '.');
  if (!existsSync(join(kdir, 'kustomization.yaml')))
    error(
      'azure-yaml-path',
      [...kp, 'dir'],
      `service ${name}: kustomize dir resolves to ${kdir}, which has no kustomization.yaml`,
    );
  if (Array.isArray(k8s.kustomize.edits) && k8s.kustomize.edits.length > 0)
    error(
      'azure-yaml-kustomize-edit',
      [...kp, 'edits'],
      `service ${name}: azd runs \`kustomize edit\` in ${kdir} on every deploy, rewriting a tracked kustomization.yaml; pass values through kustomize env (the .env azd writes and removes) instead`,
    );
  if (!outputs || !isObj(k8s.kustomize.env)) return;
  for (const [key, value] of Object.entries(k8s.kustomize.env)) {
    for (const [, ref] of String(value).matchAll(/\$\{([A-Za-z0-9_]+)\}/g)) {
      if (ref && !outputs.has(ref) && !AZD_SETS.test(ref) && !setByHooks.has(ref))
        error(
          'azure-yaml-env',
          [...kp, 'env', key],
          `service ${name}: \${${ref}} is no infra output, no name azd sets, and no hook sets it (azd env set): the .env gets an empty value`,
        );
    }
  }
}
