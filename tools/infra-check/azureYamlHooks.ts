/**
 * azd hooks in azure.yaml (pkg/ext in azure-dev): each `run` resolved from the folder azd runs the
 * hook in (the project's for project hooks, the service's for service hooks); a `run` that names no
 * file is run as an inline script, so a path that resolves nowhere is an error; a hook configured for
 * one platform only (`posix` without `windows`, or the reverse) fails on the other.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const HOOK = ['shell', 'run', 'continueOnError', 'interactive', 'windows', 'posix', 'secrets'];

export type ErrorFn = (rule: string, p: (string | number)[], message: string, resource?: string) => void;
export type FieldsFn = (v: unknown, allowed: readonly string[], p: (string | number)[], what: string) => void;

/** Checks hooks; returns the script files they run. */
export function checkHooks(
  hooks: unknown,
  base: string,
  p: (string | number)[],
  names: readonly string[],
  what: string,
  error: ErrorFn,
  fields: FieldsFn,
): string[] {
  const files: string[] = [];
  if (hooks === undefined) return files;
  fields(hooks, names, p, `${what}s`);
  if (!isObj(hooks)) return files;
  for (const [event, hook] of Object.entries(hooks)) {
    const hp = [...p, event];
    fields(hook, HOOK, hp, `${what} ${event}`);
    if (!isObj(hook)) continue;
    const platforms = (['windows', 'posix'] as const).filter((k) => hook[k] !== undefined);
    if (hook.run === undefined && platforms.length === 1)
      error(
        'azure-yaml-hook-platform',
        hp,
        `${what} ${event} has a ${platforms[0]} script only: azd fails this hook on ${platforms[0] === 'posix' ? 'Windows' : 'Linux and macOS'}; add "${platforms[0] === 'posix' ? 'windows' : 'posix'}" (or a "run" for all platforms)`,
      );
    const configs: [Obj, (string | number)[], string][] = [];
    if (hook.run !== undefined) configs.push([hook, hp, 'all platforms']);
    for (const k of platforms) {
      fields(
        hook[k],
        HOOK.filter((f) => f !== 'windows' && f !== 'posix'),
        [...hp, k],
        `${what} ${event} (${k})`,
      );
      if (isObj(hook[k])) configs.push([hook[k], [...hp, k], k]);
    }
    for (const [cfg, cp, platform] of configs) {
      const file = checkHookRun(cfg, base, cp, `${what} ${event} (${platform})`, error);
      if (file) files.push(file);
    }
  }
  return files;
}

/** Checks one hook config; returns the script file it runs, if it runs one. */
function checkHookRun(
  cfg: Obj,
  base: string,
  p: (string | number)[],
  what: string,
  error: ErrorFn,
): string | undefined {
  const run = cfg.run;
  if (typeof run !== 'string' || run.trim() === '') {
    error('azure-yaml-hook-path', p, `${what}: "run" is required`);
    return undefined;
  }
  const shell = cfg.shell;
  if (shell !== undefined && shell !== 'sh' && shell !== 'pwsh')
    error('azure-yaml-schema', [...p, 'shell'], `${what}: shell must be sh or pwsh`);
  const target = resolve(base, run);
  const isFile = existsSync(target) && statSync(target).isFile();
  const looksLikePath = !/\s/.test(run.trim()) && /(^\.{1,2}\/|\.(sh|ps1)$)/.test(run.trim());
  if (!isFile && looksLikePath) {
    error(
      'azure-yaml-hook-path',
      [...p, 'run'],
      `${what}: ${run} resolves to ${target}, which does not exist (azd resolves it from ${base}); azd would run the text as an inline script and fail`,
    );
    return undefined;
  }
  if (!isFile && shell === undefined)
    error('azure-yaml-schema', [...p, 'shell'], `${what}: an inline script needs a shell`);
  const ext = isFile ? /\.(sh|ps1)$/.exec(run)?.[1] : undefined;
  if (isFile && !ext) error('azure-yaml-hook-path', [...p, 'run'], `${what}: azd runs only .sh and .ps1 files`);
  if (ext && shell !== undefined && (ext === 'sh') !== (shell === 'sh'))
    error('azure-yaml-hook-path', [...p, 'shell'], `${what}: a .${ext} script with shell ${JSON.stringify(shell)}`);
  return isFile ? target : undefined;
}
