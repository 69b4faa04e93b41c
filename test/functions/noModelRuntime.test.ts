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

  it("the install runs no onnxruntime-node installer (it would download the CUDA provider): package.json's allowScripts denies it", () => {
    // One package.json for the repository and the Functions app: its allowScripts denies the
    // postinstall that fetches the CUDA provider; test/build/functionsPackage.test.ts shows the
    // deployment package leaves onnxruntime-node out altogether.
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
      allowScripts: Record<string, boolean>;
    };
    expect(pkg.allowScripts['onnxruntime-node']).toBe(false);
    const require = createRequire(import.meta.url);
    const installed = JSON.parse(readFileSync(require.resolve('onnxruntime-node/package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(installed.scripts.postinstall).toContain('script/install');
  });
});
