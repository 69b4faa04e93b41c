/**
 * The Bicep functions the evaluator (bicepEval.ts) knows, on values it knows; any other call, or one
 * on values it does not know, is an `expr` (or a string of unknown value where the result is surely
 * a string). Resource ids of the `*ResourceId` functions are built with a `{subscriptionId}` /
 * `{resourceGroup}` placeholder, so that their last segments (a role definition's GUID) can be read.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { BicepProp, BicepValue } from './bicepModel.js';
import { kids } from './bicepModel.js';
import type { SyntaxNode } from './bicepSyntax.js';
import type { Env } from './bicepEval.js';

type Fn = (args: BicepValue[], node: SyntaxNode, env: Env) => BicepValue;

const lineOf = (n: SyntaxNode): number => n.startPosition.row + 1;
const unknown = (node: SyntaxNode): BicepValue => ({ kind: 'expr', line: lineOf(node), text: node.text, node });
const someString = (node: SyntaxNode): BicepValue => ({ kind: 'string', line: lineOf(node), value: undefined });
const str = (v: BicepValue): string | undefined => (v.kind === 'string' ? v.value : undefined);
const allStrings = (args: BicepValue[]): string[] | undefined => {
  const out = args.map(str);
  return out.every((s): s is string => s !== undefined) ? out : undefined;
};

/** Items of an array value, or of each branch of an `either` of arrays (then all optional). */
function arrayItems(v: BicepValue): BicepValue[] | undefined {
  if (v.kind === 'array') return [...v.items];
  if (v.kind === 'either') {
    const branches = v.options.map(arrayItems);
    if (branches.some((b) => b === undefined)) return undefined;
    return branches.flatMap((b) =>
      (b ?? []).map((i): BicepValue => (i.kind === 'optional' ? i : { kind: 'optional', line: i.line, value: i })),
    );
  }
  return undefined;
}

function fromJson(value: unknown, line: number): BicepValue {
  if (value === null) return { kind: 'null', line };
  if (typeof value === 'string') return { kind: 'string', line, value };
  if (typeof value === 'number') return { kind: 'number', line, value };
  if (typeof value === 'boolean') return { kind: 'bool', line, value };
  if (Array.isArray(value)) return { kind: 'array', line, items: value.map((v) => fromJson(v, line)) };
  const props: BicepProp[] = Object.entries(value as Record<string, unknown>).map(([key, v]) => ({
    key,
    line,
    value: fromJson(v, line),
  }));
  return { kind: 'object', line, props };
}

const resourceId =
  (prefix: string): Fn =>
  (args, node) => {
    const parts = allStrings(args);
    if (!parts || parts.length < 2) return someString(node);
    const [type = '', ...names] = parts;
    return { kind: 'string', line: lineOf(node), value: `${prefix}/providers/${type}/${names.join('/')}` };
  };

const FUNCTIONS: Readonly<Record<string, Fn>> = {
  concat(args, node) {
    const strings = allStrings(args);
    if (strings) return { kind: 'string', line: lineOf(node), value: strings.join('') };
    const lists = args.map(arrayItems);
    if (lists.every((l): l is BicepValue[] => l !== undefined))
      return { kind: 'array', line: lineOf(node), items: lists.flat() };
    return unknown(node);
  },
  union(args, node) {
    // Objects: merged, later wins. With an unknown argument (a param) the known keys are still known,
    // but the object is `open`: other keys may come at deployment.
    if (args.some((a) => a.kind === 'object') && args.every((a) => a.kind === 'object' || a.kind === 'expr')) {
      const merged = new Map<string, BicepProp>();
      for (const a of args) if (a.kind === 'object') for (const p of a.props) merged.set(p.key, p);
      const open = args.some((a) => a.kind === 'expr' || (a.kind === 'object' && a.open));
      return { kind: 'object', line: lineOf(node), props: [...merged.values()], ...(open ? { open } : {}) };
    }
    return FUNCTIONS.concat!(args, node, undefined as never);
  },
  items([obj], node) {
    if (obj?.kind !== 'object' || obj.open) return unknown(node);
    const line = lineOf(node);
    const items = [...obj.props]
      .sort((a, b) => a.key.toLowerCase().localeCompare(b.key.toLowerCase()))
      .map((p): BicepValue => ({
        kind: 'object',
        line,
        props: [
          { key: 'key', line, value: { kind: 'string', line, value: p.key } },
          { key: 'value', line, value: p.value },
        ],
      }));
    return { kind: 'array', line, items };
  },
  empty([v], node) {
    const line = lineOf(node);
    // A resource's id or name is never empty.
    if (v?.kind === 'ref' && ['id', 'name'].includes(v.path[v.path.length - 1] ?? ''))
      return { kind: 'bool', line, value: false };
    if (v?.kind === 'null') return { kind: 'bool', line, value: true };
    if (v?.kind === 'string' && v.value !== undefined) return { kind: 'bool', line, value: v.value === '' };
    if (v?.kind === 'string' && v.nonEmpty) return { kind: 'bool', line, value: false };
    if (v?.kind === 'object' && (v.props.length > 0 || !v.open))
      return { kind: 'bool', line, value: v.props.length === 0 };
    if (v?.kind === 'array') {
      if (v.items.some((i) => i.kind !== 'optional')) return { kind: 'bool', line, value: false };
      if (v.items.length === 0) return { kind: 'bool', line, value: true };
    }
    return unknown(node);
  },
  length([v], node) {
    if (v?.kind === 'array' && !v.items.some((i) => i.kind === 'optional'))
      return { kind: 'number', line: lineOf(node), value: v.items.length };
    if (v?.kind === 'string' && v.value !== undefined)
      return { kind: 'number', line: lineOf(node), value: v.value.length };
    return unknown(node);
  },
  contains([c, item], node) {
    const key = item ? str(item) : undefined;
    const line = lineOf(node);
    if (c?.kind === 'object' && key !== undefined && (!c.open || c.props.some((p) => p.key === key)))
      return { kind: 'bool', line, value: c.props.some((p) => p.key === key) };
    if (c?.kind === 'string' && c.value !== undefined && key !== undefined)
      return { kind: 'bool', line, value: c.value.includes(key) };
    if (c?.kind === 'array' && key !== undefined && !c.items.some((i) => i.kind === 'optional')) {
      const strings = allStrings([...c.items]);
      if (strings) return { kind: 'bool', line, value: strings.includes(key) };
    }
    return unknown(node);
  },
  string([v], node) {
    if (v?.kind === 'string') return v;
    if (v?.kind === 'ref') return { kind: 'string', line: lineOf(node), value: undefined, refs: [v] };
    if (v?.kind === 'number' || v?.kind === 'bool')
      return { kind: 'string', line: lineOf(node), value: String(v.value) };
    return someString(node);
  },
  toLower: ([v], node) =>
    v && str(v) !== undefined ? { kind: 'string', line: lineOf(node), value: str(v)!.toLowerCase() } : someString(node),
  toUpper: ([v], node) =>
    v && str(v) !== undefined ? { kind: 'string', line: lineOf(node), value: str(v)!.toUpperCase() } : someString(node),
  replace(args, node) {
    const [s, a, b] = allStrings(args) ?? [];
    return s !== undefined && a !== undefined && b !== undefined
      ? { kind: 'string', line: lineOf(node), value: s.split(a).join(b) }
      : someString(node);
  },
  format(args, node) {
    const parts = allStrings(args);
    if (!parts) return someString(node);
    const [template = '', ...values] = parts;
    return {
      kind: 'string',
      line: lineOf(node),
      value: template.replace(/\{(\d+)\}/g, (_, i: string) => values[Number(i)] ?? ''),
    };
  },
  guid: (_args, node) => someString(node),
  uniqueString: (_args, node) => someString(node),
  subscriptionResourceId: resourceId('/subscriptions/{subscriptionId}'),
  tenantResourceId: resourceId(''),
  resourceId: resourceId('/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}'),
  loadJsonContent(args, node, env) {
    const path = args[0] ? str(args[0]) : undefined;
    if (path === undefined) return unknown(node);
    try {
      return fromJson(JSON.parse(readFileSync(resolve(dirname(env.file.path), path), 'utf8')), lineOf(node));
    } catch {
      return unknown(node);
    }
  },
};

/** A call: a known function on evaluated arguments, or an `expr`. Methods (`x.listKeys()`) are never known. */
export function callFunction(
  node: SyntaxNode,
  env: Env,
  evaluate: (node: SyntaxNode, env: Env) => BicepValue,
): BicepValue {
  const [callee, argsNode] = kids(node);
  const name =
    callee?.type === 'identifier'
      ? callee.text
      : callee?.type === 'member_expression' && /^(sys|az)$/.test(kids(callee)[0]?.text ?? '')
        ? (kids(callee)[1]?.text ?? '')
        : '';
  const fn = FUNCTIONS[name];
  if (!fn) return unknown(node);
  const args = (argsNode ? kids(argsNode) : []).map((a) => evaluate(a, env));
  return fn(args, node, env);
}
