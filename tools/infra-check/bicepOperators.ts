/** Bicep's unary and binary operators on the values bicepEval.ts knows; anything else stays an `expr`. */
import type { BicepValue } from './bicepModel.js';
import { kids } from './bicepModel.js';
import type { SyntaxNode } from './bicepSyntax.js';
import type { Env } from './bicepEval.js';

type Evaluate = (node: SyntaxNode, env: Env) => BicepValue;

const lineOf = (n: SyntaxNode): number => n.startPosition.row + 1;
const unknown = (node: SyntaxNode): BicepValue => ({ kind: 'expr', line: lineOf(node), text: node.text, node });
const operator = (node: SyntaxNode): string => node.children.find((c) => !c.isNamed)?.type ?? '';

export function unary(node: SyntaxNode, env: Env, evaluate: Evaluate): BicepValue {
  const operand = kids(node)[0];
  const v = operand ? evaluate(operand, env) : undefined;
  const op = operator(node);
  if (op === '!' && v?.kind === 'bool') return { kind: 'bool', line: v.line, value: !v.value };
  if (op === '-' && v?.kind === 'number') return { kind: 'number', line: v.line, value: -v.value };
  return unknown(node);
}

export function binary(node: SyntaxNode, env: Env, evaluate: Evaluate): BicepValue {
  const [l, r] = kids(node);
  if (!l || !r) return unknown(node);
  const op = operator(node);
  const a = evaluate(l, env);
  if (op === '??') {
    if (a.kind === 'null') return evaluate(r, env);
    if (a.kind === 'expr') return { kind: 'either', line: a.line, options: [a, evaluate(r, env)] };
    return a;
  }
  const b = evaluate(r, env);
  const line = lineOf(node);
  const known = (v: BicepValue) =>
    v.kind === 'bool' || v.kind === 'number' || (v.kind === 'string' && v.value !== undefined) ? v.value : undefined;
  const x = known(a);
  const y = known(b);
  if (op === '&&' && (x === false || y === false)) return { kind: 'bool', line, value: false };
  if (op === '||' && (x === true || y === true)) return { kind: 'bool', line, value: true };
  if (x === undefined || y === undefined) return unknown(node);
  switch (op) {
    case '&&':
    case '||':
      return { kind: 'bool', line, value: op === '&&' ? x === true && y === true : x === true || y === true };
    case '==':
    case '!=':
      return { kind: 'bool', line, value: (x === y) === (op === '==') };
    case '=~':
      return { kind: 'bool', line, value: String(x).toLowerCase() === String(y).toLowerCase() };
    case '<':
    case '<=':
    case '>':
    case '>=': {
      const cmp = x < y ? -1 : x > y ? 1 : 0;
      return {
        kind: 'bool',
        line,
        value: op === '<' ? cmp < 0 : op === '<=' ? cmp <= 0 : op === '>' ? cmp > 0 : cmp >= 0,
      };
    }
    case '+':
    case '-':
    case '*':
    case '/':
    case '%': {
      if (typeof x !== 'number' || typeof y !== 'number') return unknown(node);
      const value =
        op === '+' ? x + y : op === '-' ? x - y : op === '*' ? x * y : op === '/' ? Math.trunc(x / y) : x % y;
      return { kind: 'number', line, value };
    }
    default:
      return unknown(node);
  }
}
