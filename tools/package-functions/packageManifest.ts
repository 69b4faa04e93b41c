/**
 * The Functions package's package.json, derived from the root's (the one dependency list): the root's
 * production dependencies at the root's ranges, less those the Functions app never runs, and the
 * root's overrides with each `$name` reference spelt out (npm resolves `$name` only against a direct
 * dependency, which the left-out ones no longer are). Its `main` is the root's: the package keeps the
 * repository's layout under dist/.
 */
import type { ModuleGraph } from './moduleGraph.js';

/** Production dependencies the Functions app does not run, each with the reason. */
export const NOT_SHIPPED: Readonly<Record<string, string>> = {
  'onnxruntime-node':
    'runs models, and the Functions app runs none: src/onnx/onnxRuntime.ts imports it lazily, where a model runs',
  'better-sqlite3':
    "the embedded SQLite queue, ledger and event log of `tessera up`; Azure's are Service Bus and Tables",
  'libsvm-js': 'trains the one-class SVMs (`tessera train`)',
  commander: 'parses the CLI',
};

type Ranges = Record<string, string>;
export interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly private?: boolean;
  readonly type?: string;
  readonly main?: string;
  readonly engines?: Ranges;
  readonly dependencies?: Ranges;
  readonly devDependencies?: Ranges;
  readonly overrides?: Record<string, unknown>;
}

function spellOut(overrides: unknown, ranges: Ranges): unknown {
  if (typeof overrides === 'string' && overrides.startsWith('$')) {
    const range = ranges[overrides.slice(1)];
    if (range === undefined) throw new Error(`override ${overrides} names no dependency of the root package`);
    return range;
  }
  if (typeof overrides !== 'object' || overrides === null) return overrides;
  return Object.fromEntries(Object.entries(overrides).map(([k, v]) => [k, spellOut(v, ranges)]));
}

export function functionsManifest(root: Manifest): Manifest {
  if (typeof root.main !== 'string') throw new Error('package.json has no "main": where are the functions?');
  const ranges = root.dependencies ?? {};
  const dependencies = Object.fromEntries(Object.entries(ranges).filter(([name]) => !(name in NOT_SHIPPED)));
  return {
    name: `${root.name}-functions`,
    version: root.version,
    private: true,
    type: root.type ?? 'commonjs',
    main: root.main,
    ...(root.engines ? { engines: root.engines } : {}),
    dependencies,
    ...(root.overrides ? { overrides: spellOut(root.overrides, ranges) as Record<string, unknown> } : {}),
  };
}

/**
 * Why the package cannot be built from this graph: a package imported while the functions load that
 * is not shipped (it would fail the whole app at start), or an import of something that is no
 * production dependency. A package left out but imported lazily is allowed: NOT_SHIPPED says why.
 */
export function reachProblems(graph: ModuleGraph, root: Manifest, relative: (file: string) => string): string[] {
  const problems: string[] = [];
  for (const [name, use] of graph.packages) {
    if (!(name in (root.dependencies ?? {})))
      problems.push(`${relative(use.by)} imports ${name}, which is no production dependency in package.json`);
    else if (name in NOT_SHIPPED && use.atLoad)
      problems.push(
        `${relative(use.by)} imports ${name} when the functions load, but the package leaves it out (${NOT_SHIPPED[name]}): import it lazily where it runs`,
      );
  }
  return problems;
}
