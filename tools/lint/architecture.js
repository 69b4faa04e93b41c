// Tessera's architecture rules for ESLint, with no resolver of their own to configure: relative
// imports are resolved by path (`./x.js` is `./x.ts` on disk), which is all the code uses.
//
// - `tessera/layers`: a file may import only from its own layer or the layers listed before it
//   (the table is in eslint.config.js). Files outside every layer (tests, benches, tools) are free.
// - `tessera/no-cycles`: no import cycles among the files under `roots` (type-only imports count:
//   a cycle of types is still two modules that cannot be understood apart).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const IMPORT = /(?:^|[;\s])(?:import|export)\s+(?:type\s+)?(?:[\w*\s{},$]*?\s+from\s+)?['"](\.{1,2}\/[^'"]+)['"]/g;
const DYNAMIC = /import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

/** The file a relative import names: `./x.js` is `./x.ts` when that exists. */
function target(fromFile, spec) {
  const path = resolve(dirname(fromFile), spec);
  if (path.endsWith('.js')) {
    const ts = `${path.slice(0, -3)}.ts`;
    if (existsSync(ts)) return ts;
  }
  return path;
}

const posix = (p) => p.split(sep).join('/');

function layerOf(layers, file) {
  return layers.findIndex((l) => l.folders.some((f) => file === f || file.startsWith(`${f}/`)));
}

const layersRule = {
  meta: {
    type: 'problem',
    docs: { description: 'A module imports only from its own layer or the layers below it' },
    schema: [
      {
        type: 'object',
        properties: {
          layers: {
            type: 'array',
            items: {
              type: 'object',
              properties: { name: { type: 'string' }, folders: { type: 'array', items: { type: 'string' } } },
              required: ['name', 'folders'],
            },
          },
        },
        required: ['layers'],
      },
    ],
    messages: {
      upward:
        '{{file}} is in layer "{{layer}}", which may not import {{target}} in layer "{{targetLayer}}": a layer depends only on the layers below it (eslint.config.js lists them, lowest first).',
    },
  },
  create(context) {
    const { layers } = context.options[0];
    const root = context.cwd;
    const file = posix(relative(root, context.filename));
    const mine = layerOf(layers, file);
    if (mine < 0) return {};
    const check = (node, spec) => {
      if (typeof spec !== 'string' || !spec.startsWith('.')) return;
      const to = posix(relative(root, target(context.filename, spec)));
      const theirs = layerOf(layers, to);
      if (theirs > mine)
        context.report({
          node,
          messageId: 'upward',
          data: { file, layer: layers[mine].name, target: to, targetLayer: layers[theirs].name },
        });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
    };
  },
};

/** The import graph of every .ts file under `roots`, built once per root set per process. */
const graphs = new Map();
function importGraph(root, roots) {
  const key = `${root}\n${roots.join('\n')}`;
  if (graphs.has(key)) return graphs.get(key);
  const files = [];
  const walk = (dir) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (path.endsWith('.ts') && !path.endsWith('.d.ts')) files.push(path);
    }
  };
  for (const r of roots) walk(join(root, r));
  const edges = new Map();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const specs = [...text.matchAll(IMPORT), ...text.matchAll(DYNAMIC)].map((m) => m[1]);
    edges.set(file, [...new Set(specs.map((s) => target(file, s)))]);
  }
  const graph = { edges, component: components(edges) };
  graphs.set(key, graph);
  return graph;
}

/** Tarjan's strongly connected components: file → component id, for components of two or more files. */
function components(edges) {
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const component = new Map();
  let next = 0;
  let id = 0;
  const visit = (v) => {
    index.set(v, next);
    low.set(v, next);
    next += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!edges.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) === index.get(v)) {
      const members = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        members.push(w);
      } while (w !== v);
      if (members.length > 1) {
        for (const m of members) component.set(m, id);
        id += 1;
      }
    }
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return component;
}

/** The shortest path of imports from `from` back to `to`, inside their component. */
function pathBack(graph, from, to) {
  const c = graph.component.get(from);
  const previous = new Map([[from, undefined]]);
  const queue = [from];
  while (queue.length > 0) {
    const v = queue.shift();
    if (v === to) break;
    for (const w of graph.edges.get(v) ?? []) {
      if (graph.component.get(w) !== c || previous.has(w)) continue;
      previous.set(w, v);
      queue.push(w);
    }
  }
  const path = [];
  for (let v = to; v !== undefined; v = previous.get(v)) path.unshift(v);
  return path;
}

const noCyclesRule = {
  meta: {
    type: 'problem',
    docs: { description: 'No import cycles' },
    schema: [
      {
        type: 'object',
        properties: { roots: { type: 'array', items: { type: 'string' } } },
        required: ['roots'],
      },
    ],
    messages: { cycle: 'import cycle: {{cycle}}' },
  },
  create(context) {
    const root = context.cwd;
    const graph = importGraph(root, context.options[0].roots);
    const self = context.filename;
    const c = graph.component.get(self);
    if (c === undefined) return {};
    const check = (node, spec) => {
      if (typeof spec !== 'string' || !spec.startsWith('.')) return;
      const to = target(self, spec);
      if (graph.component.get(to) !== c) return;
      const cycle = [self, ...pathBack(graph, to, self)].map((f) => posix(relative(root, f)));
      context.report({ node, messageId: 'cycle', data: { cycle: cycle.join(' → ') } });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
    };
  },
};

export default { rules: { layers: layersRule, 'no-cycles': noCyclesRule } };
