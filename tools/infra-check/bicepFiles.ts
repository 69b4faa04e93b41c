import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { SyntaxNode } from './bicepSyntax.js';
import { parseBicep } from './bicepSyntax.js';
import { declarations, stringLiteral, type BicepDecl } from './bicepModel.js';

/** A parsed .bicep file, its declarations by name and the names it imports from other files. */
export interface BicepFile {
  readonly path: string;
  readonly root: SyntaxNode;
  /** False when the file does not parse: its declarations are then not to be trusted. */
  readonly parses: boolean;
  readonly decls: ReadonlyMap<string, BicepDecl>;
  /** `import { a, b as c } from 'x.bicep'`: local name to the exporting file and its name there. */
  readonly imports: ReadonlyMap<string, { readonly path: string; readonly name: string }>;
}

function importsOf(path: string, root: SyntaxNode): Map<string, { path: string; name: string }> {
  const out = new Map<string, { path: string; name: string }>();
  for (const node of root.namedChildren) {
    if (node.type !== 'import_functionality') continue;
    const from = node.namedChildren.find((c) => c.type === 'string');
    const target = from ? stringLiteral(from) : undefined;
    if (!target || target.includes(':')) continue;
    // `import { a, b } from 'x.bicep'`: aliases (`a as b`) and wildcard imports are not used here.
    for (const id of node.namedChildren.filter((c) => c.type === 'identifier'))
      out.set(id.text, { path: resolve(dirname(path), target), name: id.text });
  }
  return out;
}

/** Parses each file once; the evaluator and the program share it. */
export class BicepFiles {
  private readonly cache = new Map<string, BicepFile | undefined>();

  get(path: string): BicepFile | undefined {
    const key = resolve(path);
    if (this.cache.has(key)) return this.cache.get(key);
    let file: BicepFile | undefined;
    if (existsSync(key)) {
      const { root, findings } = parseBicep(key, readFileSync(key, 'utf8'));
      const decls = new Map(declarations(root).map((d) => [d.name, d]));
      file = { path: key, root, parses: findings.length === 0, decls, imports: importsOf(key, root) };
    }
    this.cache.set(key, file);
    return file;
  }

  /** A parsed source given directly (a file being checked). */
  add(path: string, root: SyntaxNode, parses: boolean): BicepFile {
    const key = resolve(path);
    const decls = new Map(declarations(root).map((d) => [d.name, d]));
    const file = { path: key, root, parses, decls, imports: importsOf(key, root) };
    this.cache.set(key, file);
    return file;
  }
}
