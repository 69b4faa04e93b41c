import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installRecordingCore, type RecordingCore } from './support/recordingCore.js';

// The Functions app runs no model, so loading it must not load onnxruntime-node: not its native
// binding at run time, not by any static import (a type-only import is erased; a dynamic import()
// happens only where a model runs). And its install must never download the CUDA provider.
const repo = resolve(import.meta.dirname, '..', '..');
const functionsSrc = join(repo, 'functions', 'src');
const FORBIDDEN = 'onnxruntime-node';

/** Static import edges of one file: type-only imports and dynamic import() calls are not edges. */
function staticImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const out: string[] = [];
  for (const s of source.statements) {
    if (ts.isImportDeclaration(s) && !s.importClause?.isTypeOnly && ts.isStringLiteral(s.moduleSpecifier))
      out.push(s.moduleSpecifier.text);
    if (ts.isExportDeclaration(s) && !s.isTypeOnly && s.moduleSpecifier && ts.isStringLiteral(s.moduleSpecifier))
      out.push(s.moduleSpecifier.text);
  }
  return out;
}

/** The first static import chain from `roots` to FORBIDDEN, or undefined when there is none. */
function chainToForbidden(roots: readonly string[]): string[] | undefined {
  const parent = new Map<string, string | undefined>(roots.map((r) => [r, undefined]));
  const queue = [...roots];
  const path = (file: string, last: string): string[] => {
    const chain = [last];
    for (let f: string | undefined = file; f; f = parent.get(f)) chain.unshift(relative(repo, f));
    return chain;
  };
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const spec of staticImports(file)) {
      if (spec === FORBIDDEN || spec.startsWith(`${FORBIDDEN}/`)) return path(file, spec);
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
      if (parent.has(target)) continue;
      parent.set(target, file);
      queue.push(target);
    }
  }
  return undefined;
}

const sourceFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );

const loadedAddons: string[] = [];
const dlopen = process.dlopen.bind(process);
let core: RecordingCore;
beforeAll(async () => {
  process.dlopen = (module: { exports: unknown }, filename: string, flags?: number) => {
    loadedAddons.push(filename);
    return flags === undefined ? dlopen(module, filename) : dlopen(module, filename, flags);
  };
  core = installRecordingCore();
  for (const file of sourceFiles(join(functionsSrc, 'functions'))) await import(file);
});
afterAll(() => {
  process.dlopen = dlopen;
  core.uninstall();
});

describe('the Functions app never loads onnxruntime', () => {
  it('no static import chain from functions/src reaches onnxruntime-node', () => {
    const chain = chainToForbidden(sourceFiles(functionsSrc));
    expect(chain, chain?.join(' -> ')).toBeUndefined();
  });

  it('the check finds a chain where one exists (the scorer, which does run models)', () => {
    const chain = chainToForbidden([join(repo, 'src', 'video', 'style', 'styleSessionWorker.ts')]);
    expect(chain?.at(-1)).toBe(FORBIDDEN);
  });

  it('loading every function registers them all and loads no onnxruntime binding', () => {
    expect(core.registrations.size).toBe(sourceFiles(join(functionsSrc, 'functions')).length);
    expect(loadedAddons.filter((f) => f.includes('onnxruntime'))).toEqual([]);
  });

  it("functions/.npmrc makes onnxruntime-node's installer skip its downloads (the CUDA provider)", () => {
    const npmrc = readFileSync(join(repo, 'functions', '.npmrc'), 'utf8');
    const settings = Object.fromEntries(
      npmrc
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#') && !l.startsWith(';'))
        .map((l) => l.split('=').map((x) => x.trim())),
    ) as Record<string, string>;
    expect(settings['onnxruntime-node-install']).toBe('skip');
    // npm hands a config key to install scripts as npm_config_<key with - as _>: the variable the
    // installed onnxruntime-node's installer reads, and "skip" the value at which it exits at once.
    const require = createRequire(import.meta.url);
    const installer = readFileSync(
      join(dirname(require.resolve('onnxruntime-node/package.json')), 'script', 'install-utils.js'),
      'utf8',
    );
    expect(installer).toContain('process.env.npm_config_onnxruntime_node_install');
    expect(installer).toMatch(/'skip'/);
  });
});
