import Parser from 'tree-sitter';
import Bicep from 'tree-sitter-bicep';
import type { Finding } from './findings.js';

export type SyntaxNode = Parser.SyntaxNode;

let parser: Parser | undefined;

function bicepParser(): Parser {
  if (!parser) {
    parser = new Parser();
    parser.setLanguage(Bicep as unknown as Parser.Language);
  }
  return parser;
}

const COMPLETE = new Set([
  'object_property',
  'decorators',
  'parameter_declaration',
  'variable_declaration',
  'resource_declaration',
  'module_declaration',
  'output_declaration',
]);

/** The likely culprit inside an ERROR node: the token after its last complete property or declaration. */
function errorLocation(error: SyntaxNode): SyntaxNode {
  const children = error.children;
  let lastComplete = -1;
  children.forEach((c, i) => {
    if (COMPLETE.has(c.type) && !c.hasError) lastComplete = i;
  });
  const inner = children.find((c) => c.type === 'ERROR');
  if (inner) return errorLocation(inner);
  return children[lastComplete + 1] ?? error;
}

/** Parses Bicep source. Every ERROR or MISSING node becomes a `syntax` finding with its line. */
export function parseBicep(file: string, source: string): { root: SyntaxNode; findings: Finding[] } {
  // The node binding reads large inputs in chunks; a callback keeps it from truncating.
  const tree = bicepParser().parse((index: number) => source.slice(index, index + 8192));
  const findings: Finding[] = [];
  const visit = (node: SyntaxNode): void => {
    if (node.isMissing) {
      findings.push({
        severity: 'error',
        rule: 'syntax',
        file,
        line: node.startPosition.row + 1,
        message: `syntax error: missing ${node.type}`,
      });
      return;
    }
    if (node.type === 'ERROR') {
      const near = errorLocation(node);
      const first = node.startPosition.row + 1;
      const last = node.endPosition.row + 1;
      const span = last > first ? ` (the statement at lines ${first}-${last} does not parse)` : '';
      findings.push({
        severity: 'error',
        rule: 'syntax',
        file,
        line: near.startPosition.row + 1,
        message: `syntax error near ${JSON.stringify(near.text.slice(0, 40))}${span}`,
      });
      return;
    }
    if (!node.hasError && !node.isMissing) return;
    for (const child of node.children) visit(child);
  };
  visit(tree.rootNode);
  if (tree.rootNode.hasError && findings.length === 0) {
    findings.push({
      severity: 'error',
      rule: 'syntax',
      file,
      line: 1,
      message: 'syntax error (the parser reports one but located none)',
    });
  }
  return { root: tree.rootNode, findings };
}
