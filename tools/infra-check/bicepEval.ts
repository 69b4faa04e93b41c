/**
 * Evaluates Bicep expressions as far as they can be known before deployment: literals, objects and
 * arrays, variables (and what other files export), loop variables, `[for …]` comprehensions,
 * conditions, property access, and the functions in bicepFunctions.ts. What cannot be known stays
 * an `expr`; a condition that cannot be decided gives `either` its branches; an array item that only
 * a deployment-time condition adds is `optional`. With a Resolver (bicepProgram.ts), resource and
 * module names become `ref`s and module params are the values the caller passed.
 */
import type { BicepFile, BicepFiles } from './bicepFiles.js';
import type { BicepProp, BicepValue } from './bicepModel.js';
import { kids, stringLiteral, stringPartText } from './bicepModel.js';
import type { SyntaxNode } from './bicepSyntax.js';
import { callFunction } from './bicepFunctions.js';
import { binary, unary } from './bicepOperators.js';

export type RefValue = BicepValue & { kind: 'ref' };

/** Resource and module symbols, for evaluation across a deployment (bicepProgram.ts). */
export interface Resolver {
  /** The resource or module `name` (or `parent::child`) declares in env's file, as a ref; undefined when neither. */
  symbol(name: string, env: Env, line: number): BicepValue | undefined;
  /** `ref.key`: a module's outputs, a resource's properties. */
  member(ref: RefValue, key: string, line: number): BicepValue;
  /** `ref[index]`: one instance of a resource or module declared with a loop. */
  index(ref: RefValue, index: BicepValue, line: number): BicepValue;
}

export interface Env {
  readonly file: BicepFile;
  readonly files: BicepFiles;
  readonly locals: ReadonlyMap<string, BicepValue>;
  /** The params a module instance was given; undefined when the file is checked alone (params unknown). */
  readonly params: ReadonlyMap<string, BicepValue> | undefined;
  readonly resolver: Resolver | undefined;
  /** Variables evaluated so far, for this file in this instance. */
  readonly vars: Map<string, BicepValue>;
}

/** A fresh environment for one file (or one module instance of it). */
export function fileEnv(
  file: BicepFile,
  files: BicepFiles,
  params?: ReadonlyMap<string, BicepValue>,
  resolver?: Resolver,
): Env {
  return { file, files, locals: new Map(), params, resolver, vars: new Map() };
}

const lineOf = (n: SyntaxNode): number => n.startPosition.row + 1;
export const unknown = (node: SyntaxNode): BicepValue => ({ kind: 'expr', line: lineOf(node), text: node.text, node });
const operator = (node: SyntaxNode): string => node.children.find((c) => !c.isNamed)?.type ?? '';

export function evaluate(node: SyntaxNode, env: Env): BicepValue {
  const line = lineOf(node);
  switch (node.type) {
    case 'object':
      return { kind: 'object', line, props: objectProps(node, env) };
    case 'array':
      return { kind: 'array', line, items: kids(node).map((c) => evaluate(c, env)) };
    case 'string':
      return stringValue(node, env);
    case 'number':
      return { kind: 'number', line, value: Number(node.text) };
    case 'boolean':
      return { kind: 'bool', line, value: node.text === 'true' };
    case 'null':
      return { kind: 'null', line };
    case 'parenthesized_expression': {
      const inner = kids(node)[0];
      return inner ? evaluate(inner, env) : unknown(node);
    }
    case 'identifier':
      return lookup(node, env);
    case 'member_expression':
      return memberOf(node, env);
    case 'subscript_expression': {
      const [objNode, indexNode] = kids(node);
      if (!objNode || !indexNode) return unknown(node);
      return access(evaluate(objNode, env), evaluate(indexNode, env), node, env, node.text.includes('[?'));
    }
    case 'resource_expression':
      // `parent::child`: a nested resource, named by its symbol path.
      return env.resolver?.symbol(node.text.replace(/\s+/g, ''), env, line) ?? unknown(node);
    case 'unary_expression':
      return unary(node, env, evaluate);
    case 'binary_expression':
      return binary(node, env, evaluate);
    case 'ternary_expression': {
      const [cond, a, b] = kids(node).map((c) => c);
      if (!cond || !a || !b) return unknown(node);
      const c = evaluate(cond, env);
      if (c.kind === 'bool') return evaluate(c.value ? a : b, env);
      return { kind: 'either', line, options: [evaluate(a, env), evaluate(b, env)] };
    }
    case 'for_statement':
      return comprehension(node, env);
    case 'call_expression':
      return callFunction(node, env, evaluate);
    default:
      return unknown(node);
  }
}

function objectProps(node: SyntaxNode, env: Env): BicepProp[] {
  const props: BicepProp[] = [];
  for (const p of kids(node)) {
    if (p.type !== 'object_property') continue;
    const [keyNode, valueNode] = kids(p).filter((c) => c.type !== 'decorators');
    if (!keyNode || !valueNode) continue;
    const key = keyNode.type === 'string' ? (stringLiteral(keyNode) ?? keyNode.text) : keyNode.text;
    props.push({ key, line: lineOf(p), value: evaluate(valueNode, env) });
  }
  return props;
}

/** A string: literal, or interpolated from known scalars; otherwise a string of unknown value. */
function stringValue(node: SyntaxNode, env: Env): BicepValue {
  const literal = stringLiteral(node);
  if (literal !== undefined) return { kind: 'string', line: lineOf(node), value: literal };
  let out: string | undefined = '';
  const refs: RefValue[] = [];
  for (const part of kids(node)) {
    if (part.type !== 'interpolation') {
      if (out !== undefined) out += stringPartText(part);
      continue;
    }
    const inner = kids(part)[0];
    const v = inner ? evaluate(inner, env) : undefined;
    if (v?.kind === 'ref') refs.push(v);
    if (v?.kind === 'string') refs.push(...(v.refs ?? []));
    const known = v?.kind === 'number' || v?.kind === 'bool' || (v?.kind === 'string' && v.value !== undefined);
    out = known && out !== undefined ? out + String(v.value) : undefined;
  }
  const nonEmpty = out === undefined && kids(node).some((p) => p.type !== 'interpolation' && stringPartText(p) !== '');
  return {
    kind: 'string',
    line: lineOf(node),
    value: out,
    ...(refs.length > 0 ? { refs } : {}),
    ...(nonEmpty ? { nonEmpty } : {}),
  };
}

function lookup(node: SyntaxNode, env: Env): BicepValue {
  const name = node.text;
  const local = env.locals.get(name);
  if (local) return local;
  const decl = env.file.decls.get(name);
  if (decl?.kind === 'param') {
    const given = env.params?.get(name);
    if (given) return given;
    if (env.params && decl.value) return evaluate(decl.value, { ...env, locals: new Map() });
    return unknown(node);
  }
  if (decl?.kind === 'var' && decl.value) {
    const memo = env.vars.get(name);
    if (memo) return memo;
    env.vars.set(name, unknown(node)); // a cycle reads as unknown, never loops
    const value = evaluate(decl.value, { ...env, locals: new Map() });
    env.vars.set(name, value);
    return value;
  }
  if (decl?.kind === 'resource' || decl?.kind === 'module')
    return env.resolver?.symbol(name, env, lineOf(node)) ?? unknown(node);
  const imported = env.file.imports.get(name);
  const from = imported ? env.files.get(imported.path) : undefined;
  const exported = imported && from ? from.decls.get(imported.name) : undefined;
  if (from && exported?.kind === 'var' && exported.value) {
    return evaluate(exported.value, {
      file: from,
      files: env.files,
      locals: new Map(),
      params: undefined,
      resolver: undefined,
      vars: new Map(),
    });
  }
  return unknown(node);
}

function memberOf(node: SyntaxNode, env: Env): BicepValue {
  const [objNode, keyNode] = kids(node);
  if (!objNode || !keyNode) return unknown(node);
  const key: BicepValue = { kind: 'string', line: lineOf(keyNode), value: keyNode.text };
  return access(evaluate(objNode, env), key, node, env, operator(node) === '.?');
}

/** `obj.key` / `obj[key]`; `safe` (`.?`, `[?`) gives null for a missing property, as Bicep does. */
export function access(obj: BicepValue, key: BicepValue, node: SyntaxNode, env: Env, safe: boolean): BicepValue {
  const line = lineOf(node);
  switch (obj.kind) {
    case 'object': {
      if (key.kind !== 'string' || key.value === undefined) return unknown(node);
      const hit =
        obj.props.find((p) => p.key === key.value) ??
        obj.props.find((p) => p.key.toLowerCase() === key.value?.toLowerCase());
      return hit ? hit.value : safe && !obj.open ? { kind: 'null', line } : unknown(node);
    }
    case 'array': {
      if (key.kind !== 'number' || obj.items.some((i) => i.kind === 'optional')) return unknown(node);
      return obj.items[key.value] ?? (safe ? { kind: 'null', line } : unknown(node));
    }
    case 'either':
      return { kind: 'either', line, options: obj.options.map((o) => access(o, key, node, env, safe)) };
    case 'optional':
      return access(obj.value, key, node, env, safe);
    case 'ref':
      if (!env.resolver) return unknown(node);
      if (key.kind === 'string' && key.value !== undefined) return env.resolver.member(obj, key.value, line);
      return env.resolver.index(obj, key, line);
    case 'null':
      return safe ? obj : unknown(node);
    default:
      return unknown(node);
  }
}

/** The loop variable(s) and iterable of a `for` node, and its body (through a filtering `if`). */
export function loopParts(node: SyntaxNode): {
  item: string;
  index: string | undefined;
  iterable: SyntaxNode | undefined;
  body: SyntaxNode | undefined;
  condition: SyntaxNode | undefined;
} {
  const [first, iterable, rawBody] = kids(node);
  const params = first?.type === 'for_loop_parameters' ? kids(first) : first ? [first] : [];
  let body = rawBody;
  let condition: SyntaxNode | undefined;
  if (body?.type === 'if_statement') {
    condition = kids(body)[0];
    body = kids(body)[kids(body).length - 1];
  }
  return { item: params[0]?.text ?? '', index: params[1]?.text, iterable, body, condition };
}

/** `[for x in xs: body]`: one value per item; over an unknown array, one representative (optional) item. */
function comprehension(node: SyntaxNode, env: Env): BicepValue {
  const { item, index, iterable, body, condition } = loopParts(node);
  const line = lineOf(node);
  if (!iterable || !body) return unknown(node);
  const list = evaluate(iterable, env);
  const each = (value: BicepValue, i: BicepValue): BicepValue => {
    const locals = new Map(env.locals);
    locals.set(item, value);
    if (index) locals.set(index, i);
    const inner = { ...env, locals };
    const out = evaluate(body, inner);
    const kept = condition ? evaluate(condition, inner) : undefined;
    return kept === undefined || (kept.kind === 'bool' && kept.value) ? out : { kind: 'optional', line, value: out };
  };
  if (list.kind !== 'array') {
    const any = unknown(iterable);
    return { kind: 'array', line, items: [{ kind: 'optional', line, value: each(any, any) }] };
  }
  const items = list.items.map((v, i): BicepValue => {
    const n: BicepValue = { kind: 'number', line, value: i };
    if (v.kind !== 'optional') return each(v, n);
    const out = each(v.value, n);
    return out.kind === 'optional' ? out : { kind: 'optional', line, value: out };
  });
  return { kind: 'array', line, items };
}
