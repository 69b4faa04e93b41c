import type { SyntaxNode } from './bicepSyntax.js';

/** A Bicep value, as far as it can be known without evaluating it. */
export type BicepValue =
  /** `open`: more properties may come from a value known only at deployment (union with a param). */
  | { readonly kind: 'object'; readonly line: number; readonly props: readonly BicepProp[]; readonly open?: boolean }
  | { readonly kind: 'array'; readonly line: number; readonly items: readonly BicepValue[] }
  /** `value` undefined: computed at deployment; `refs` are the resource properties it was built from. */
  | {
      readonly kind: 'string';
      readonly line: number;
      readonly value: string | undefined;
      readonly refs?: readonly (BicepValue & { kind: 'ref' })[];
      /** Interpolated with literal text around it: whatever its value, it is not empty. */
      readonly nonEmpty?: boolean;
    }
  | { readonly kind: 'number'; readonly line: number; readonly value: number }
  | { readonly kind: 'bool'; readonly line: number; readonly value: boolean }
  | { readonly kind: 'null'; readonly line: number }
  | { readonly kind: 'expr'; readonly line: number; readonly text: string; readonly node: SyntaxNode }
  /** One of several values, chosen at deployment (a condition the checker cannot decide). */
  | { readonly kind: 'either'; readonly line: number; readonly options: readonly BicepValue[] }
  /** An array item that exists only under a deployment-time condition (concat(…, cond ? [x] : [])). */
  | { readonly kind: 'optional'; readonly line: number; readonly value: BicepValue }
  /** A property of a resource or module instance, known by what it refers to (bicepProgram.ts). */
  | { readonly kind: 'ref'; readonly line: number; readonly target: RefTarget; readonly path: readonly string[] };

/** What a `ref` value points at: a resource or module instance of a deployment (bicepProgram.ts). */
export interface RefTarget {
  readonly kind: 'resource' | 'module';
  /** Unique within one deployment: the instance path, e.g. `main>dataStorage>account`. */
  readonly id: string;
}

export interface BicepProp {
  readonly key: string;
  readonly line: number;
  readonly value: BicepValue;
}

export interface Decorator {
  readonly name: string;
  readonly args: readonly SyntaxNode[];
}

/** A top-level or nested declaration of a .bicep file. */
export interface BicepDecl {
  readonly kind: 'param' | 'output' | 'var' | 'resource' | 'module' | 'other';
  readonly name: string;
  readonly line: number;
  readonly decorators: readonly Decorator[];
  readonly node: SyntaxNode;
  /** param: whether it has a default value. */
  readonly hasDefault: boolean;
  /** output/var/param default: the value expression. */
  readonly value: SyntaxNode | undefined;
}

/** A resource declaration with its type resolved (nested children inherit the parent's type and api version). */
export interface BicepResource {
  readonly symbol: string;
  readonly type: string;
  readonly apiVersion: string | undefined;
  readonly line: number;
  readonly existing: boolean;
  readonly body: BicepValue | undefined;
  readonly node: SyntaxNode;
}

const line = (n: SyntaxNode): number => n.startPosition.row + 1;

/** A node's named children without comments (tree-sitter keeps comments as named children anywhere). */
export const kids = (n: SyntaxNode): SyntaxNode[] => n.namedChildren.filter((c) => c.type !== 'comment');

const ESCAPES: Record<string, string> = { "\\'": "'", '\\\\': '\\', '\\n': '\n', '\\r': '\r', '\\t': '\t', '\\$': '$' };

/** The text of one literal part of a string node (string content or an escape sequence). */
export function stringPartText(part: SyntaxNode): string {
  return part.type === 'escape_sequence' ? (ESCAPES[part.text] ?? part.text) : part.text;
}

/** The literal text of a string node, or undefined when it interpolates. */
export function stringLiteral(node: SyntaxNode): string | undefined {
  if (node.type !== 'string') return undefined;
  let out = '';
  for (const child of node.namedChildren) {
    if (child.type === 'interpolation') return undefined;
    out += stringPartText(child);
  }
  if (node.namedChildCount === 0) {
    const raw = node.text;
    return raw.startsWith("'''") ? raw.slice(3, -3) : raw.slice(1, -1);
  }
  return out;
}

/** Converts an expression node into a BicepValue: literals are known, everything else is `expr`. */
export function toValue(node: SyntaxNode): BicepValue {
  const at = line(node);
  switch (node.type) {
    case 'object': {
      const props: BicepProp[] = [];
      for (const p of node.namedChildren) {
        if (p.type !== 'object_property') continue;
        const [keyNode, valueNode] = kids(p).filter((c) => c.type !== 'decorators');
        if (!keyNode || !valueNode) continue;
        const key = keyNode.type === 'string' ? (stringLiteral(keyNode) ?? keyNode.text) : keyNode.text;
        props.push({ key, line: line(p), value: toValue(valueNode) });
      }
      return { kind: 'object', line: at, props };
    }
    case 'array':
      return {
        kind: 'array',
        line: at,
        items: kids(node)
          .filter((c) => c.type !== 'decorators')
          .map(toValue),
      };
    case 'string':
      return { kind: 'string', line: at, value: stringLiteral(node) };
    case 'number':
      return { kind: 'number', line: at, value: Number(node.text) };
    case 'boolean':
      return { kind: 'bool', line: at, value: node.text === 'true' };
    case 'null':
      return { kind: 'null', line: at };
    case 'unary_expression':
      if (node.text.startsWith('-') && node.namedChildren[0]?.type === 'number')
        return { kind: 'number', line: at, value: -Number(node.namedChildren[0].text) };
      return { kind: 'expr', line: at, text: node.text, node };
    case 'parenthesized_expression':
      return node.namedChildren[0] ? toValue(node.namedChildren[0]) : { kind: 'expr', line: at, text: node.text, node };
    default:
      return { kind: 'expr', line: at, text: node.text, node };
  }
}

function decoratorsOf(node: SyntaxNode): Decorator[] {
  const prev = node.previousNamedSibling;
  if (!prev || prev.type !== 'decorators') return [];
  return prev.namedChildren.map((d) => {
    const call = d.namedChildren[0];
    const fn = call?.namedChildren[0];
    const args = call?.namedChildren[1]?.namedChildren ?? [];
    // Namespaced decorators (sys.description) count by their last segment.
    const name = (fn?.text ?? '').split('.').pop() ?? '';
    return { name, args };
  });
}

const DECL_KINDS: Record<string, BicepDecl['kind']> = {
  parameter_declaration: 'param',
  output_declaration: 'output',
  variable_declaration: 'var',
  resource_declaration: 'resource',
  module_declaration: 'module',
};

/** Top-level declarations, with their decorators. */
export function declarations(root: SyntaxNode): BicepDecl[] {
  const out: BicepDecl[] = [];
  for (const node of root.namedChildren) {
    const kind = DECL_KINDS[node.type];
    if (!kind) continue;
    const named = kids(node);
    const name = named[0]?.text ?? '';
    const last = named[named.length - 1];
    const hasDefault = kind === 'param' && node.children.some((c) => c.type === '=');
    out.push({
      kind,
      name,
      line: line(node),
      decorators: decoratorsOf(node),
      node,
      hasDefault,
      value: kind === 'param' && !hasDefault ? undefined : last,
    });
  }
  return out;
}

/** The body object of a resource or module declaration, through `[for …: …]` and `if (…)`. */
export function declarationBody(node: SyntaxNode): SyntaxNode | undefined {
  let body: SyntaxNode | undefined = kids(node)[kids(node).length - 1];
  for (let i = 0; i < 3 && body && body.type !== 'object'; i++) {
    if (body.type === 'for_statement' || body.type === 'if_statement') body = kids(body)[kids(body).length - 1];
    else return undefined;
  }
  return body?.type === 'object' ? body : undefined;
}

/** Every resource declaration, top-level and nested, with full type names. */
export function resources(root: SyntaxNode): BicepResource[] {
  const out: BicepResource[] = [];
  const visit = (node: SyntaxNode, parent: { type: string; apiVersion: string | undefined } | undefined): void => {
    const typeString = stringLiteral(node.namedChildren[1] ?? node) ?? '';
    const [rawType = '', rawVersion] = typeString.split('@');
    const type = parent && !rawType.includes('.') ? `${parent.type}/${rawType}` : rawType;
    const apiVersion = rawVersion ?? parent?.apiVersion;
    const bodyNode = declarationBody(node);
    const existing = node.children.some((c) => c.type === 'existing');
    out.push({
      symbol: node.namedChildren[0]?.text ?? '',
      type,
      apiVersion,
      line: line(node),
      existing,
      body: bodyNode ? toValue(bodyNode) : undefined,
      node,
    });
    for (const prop of bodyNode?.namedChildren ?? []) {
      const nested = prop.namedChildren.find((c) => c.type === 'resource_declaration');
      if (nested) visit(nested, { type, apiVersion });
    }
  };
  for (const node of root.namedChildren) if (node.type === 'resource_declaration') visit(node, undefined);
  return out;
}

/** All descendants of a node (pre-order). */
export function* descendants(node: SyntaxNode): Generator<SyntaxNode> {
  yield node;
  for (const child of node.namedChildren) yield* descendants(child);
}
