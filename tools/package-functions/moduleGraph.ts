/**
 * The compiled JavaScript that entry modules reach, read from tsc's output: which files the
 * Functions package must hold, and which packages they import, when. An edge is a static import or
 * re-export (taken when the importing file loads), an `import('…')` with a literal specifier, or a
 * worker's `new URL('./x.js', …)` (both taken only when that code runs: lazy). A file reached only
 * through a lazy edge is lazy too, and so is everything it imports.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, resolve } from 'node:path';

/** Static imports and re-exports as tsc prints them (a statement at the start of a line), side-effect imports. */
const STATIC = /^(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]|^import\s*['"]([^'"]+)['"]/gm;
/** `import('literal')`, and a worker script named relative to the module. */
const LAZY = /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|\bnew\s+URL\(\s*['"](\.{1,2}\/[^'"]+\.js)['"]/g;

export interface PackageUse {
  /** The first file found importing it. */
  readonly by: string;
  /** Whether it is imported while the entries load (a static import from a file loaded then). */
  readonly atLoad: boolean;
}

export interface ModuleGraph {
  /** Every file reached, at load or lazily. */
  readonly files: ReadonlySet<string>;
  /** The files that load with the entries: static edges only. */
  readonly loadTime: ReadonlySet<string>;
  /** Each package imported (by its name: `x` or `@scope/x`), builtins left out. */
  readonly packages: ReadonlyMap<string, PackageUse>;
}

interface Edges {
  readonly files: { readonly target: string; readonly lazy: boolean }[];
  readonly packages: { readonly name: string; readonly lazy: boolean }[];
}

const packageName = (spec: string) =>
  spec
    .split('/')
    .slice(0, spec.startsWith('@') ? 2 : 1)
    .join('/');

function edgesOf(file: string): Edges {
  const text = readFileSync(file, 'utf8');
  const out: Edges = { files: [], packages: [] };
  const add = (spec: string, lazy: boolean) => {
    if (spec.startsWith('.')) {
      const target = resolve(dirname(file), spec);
      if (!existsSync(target)) throw new Error(`${file} imports ${spec}, which does not exist (${target})`);
      out.files.push({ target, lazy });
    } else if (!isBuiltin(spec)) out.packages.push({ name: packageName(spec), lazy });
  };
  for (const m of text.matchAll(STATIC)) add(m[1] ?? m[2] ?? '', false);
  for (const m of text.matchAll(LAZY)) add(m[1] ?? m[2] ?? '', true);
  return out;
}

function walk(entries: readonly string[], edges: (file: string) => Edges, lazyToo: boolean): Set<string> {
  const seen = new Set<string>();
  const queue = entries.map((e) => resolve(e));
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    if (seen.has(file)) continue;
    seen.add(file);
    for (const e of edges(file).files) if (lazyToo || !e.lazy) queue.push(e.target);
  }
  return seen;
}

export function moduleGraph(entries: readonly string[]): ModuleGraph {
  const cache = new Map<string, Edges>();
  const edges = (file: string) => cache.get(file) ?? cache.set(file, edgesOf(file)).get(file)!;
  const loadTime = walk(entries, edges, false);
  const files = walk(entries, edges, true);
  const packages = new Map<string, PackageUse>();
  for (const file of files) {
    for (const p of edges(file).packages) {
      const atLoad = !p.lazy && loadTime.has(file);
      const known = packages.get(p.name);
      if (!known || (atLoad && !known.atLoad)) packages.set(p.name, { by: file, atLoad });
    }
  }
  return { files, loadTime, packages };
}
