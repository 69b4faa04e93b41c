/**
 * The triggers a Node.js (v4 programming model) Functions app registers: each `app.storageBlob(…)`,
 * `app.serviceBusQueue(…)`, `app.serviceBusTopic(…)`, `app.eventHub(…)` and `app.storageQueue(…)`
 * call in its sources, read with the TypeScript parser (no type check, no import of the code). String
 * options may be literals, templates or constants: `${CONTAINERS.inbox}/{name}` resolves through the
 * import to the object literal that defines CONTAINERS.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import ts from 'typescript';

export type TriggerKind = 'blob' | 'serviceBus' | 'eventHub' | 'queue';

export interface TriggerBinding {
  readonly file: string;
  readonly line: number;
  readonly name: string;
  readonly kind: TriggerKind;
  /** The connection's setting prefix (AzureWebJobsStorage when a storage trigger names none). */
  readonly connection: string;
  /** The entity: blob container (first segment of `path`), queue, topic or event hub; may be `%SETTING%`. */
  readonly entity: string | undefined;
}

const METHODS: Readonly<Record<string, { kind: TriggerKind; entity: string }>> = {
  storageBlob: { kind: 'blob', entity: 'path' },
  serviceBusQueue: { kind: 'serviceBus', entity: 'queueName' },
  serviceBusTopic: { kind: 'serviceBus', entity: 'topicName' },
  eventHub: { kind: 'eventHub', entity: 'eventHubName' },
  storageQueue: { kind: 'queue', entity: 'queueName' },
};

const sources = new Map<string, ts.SourceFile | undefined>();
function parse(path: string): ts.SourceFile | undefined {
  if (!sources.has(path))
    sources.set(
      path,
      existsSync(path)
        ? ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true)
        : undefined,
    );
  return sources.get(path);
}

/** The initializer of a top-level `const name = …` in a file, following one import. */
function constant(
  name: string,
  file: ts.SourceFile,
  depth: number,
): { expr: ts.Expression; file: ts.SourceFile } | undefined {
  for (const s of file.statements) {
    if (ts.isVariableStatement(s)) {
      for (const d of s.declarationList.declarations)
        if (ts.isIdentifier(d.name) && d.name.text === name && d.initializer) return { expr: d.initializer, file };
    }
    if (depth > 0 && ts.isImportDeclaration(s) && ts.isStringLiteral(s.moduleSpecifier)) {
      const named = s.importClause?.namedBindings;
      const spec = named && ts.isNamedImports(named) ? named.elements.find((e) => e.name.text === name) : undefined;
      if (!spec || !s.moduleSpecifier.text.startsWith('.')) continue;
      const target = parse(resolve(dirname(file.fileName), s.moduleSpecifier.text.replace(/\.js$/, '.ts')));
      if (target) return constant((spec.propertyName ?? spec.name).text, target, depth - 1);
    }
  }
  return undefined;
}

/** A string expression's value, or undefined when it is not made of literals and constants. */
export function stringOf(expr: ts.Expression, file: ts.SourceFile, depth = 4): string | undefined {
  if (ts.isStringLiteral(expr) || ts.isNoSubstitutionTemplateLiteral(expr)) return expr.text;
  if (ts.isAsExpression(expr) || ts.isParenthesizedExpression(expr) || ts.isSatisfiesExpression(expr))
    return stringOf(expr.expression, file, depth);
  if (ts.isTemplateExpression(expr)) {
    let out = expr.head.text;
    for (const span of expr.templateSpans) {
      const part = stringOf(span.expression, file, depth);
      if (part === undefined) return undefined;
      out += part + span.literal.text;
    }
    return out;
  }
  if (ts.isIdentifier(expr)) {
    const c = depth > 0 ? constant(expr.text, file, 2) : undefined;
    return c ? stringOf(c.expr, c.file, depth - 1) : undefined;
  }
  if (ts.isPropertyAccessExpression(expr) && ts.isIdentifier(expr.expression)) {
    const c = depth > 0 ? constant(expr.expression.text, file, 2) : undefined;
    let obj: ts.Expression | undefined = c?.expr;
    while (obj && (ts.isAsExpression(obj) || ts.isParenthesizedExpression(obj) || ts.isSatisfiesExpression(obj)))
      obj = obj.expression;
    if (!c || !obj || !ts.isObjectLiteralExpression(obj)) return undefined;
    const prop = obj.properties.find(
      (p): p is ts.PropertyAssignment =>
        ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && p.name.text === expr.name.text,
    );
    return prop ? stringOf(prop.initializer, c.file, depth - 1) : undefined;
  }
  return undefined;
}

/** The trigger registrations in the given source files. */
export function triggerBindings(files: readonly string[]): TriggerBinding[] {
  const out: TriggerBinding[] = [];
  for (const path of files) {
    const file = parse(path);
    if (!file) continue;
    const visit = (node: ts.Node): void => {
      if (
        ts.isCallExpression(node) &&
        ts.isPropertyAccessExpression(node.expression) &&
        ts.isIdentifier(node.expression.expression) &&
        node.expression.expression.text === 'app'
      ) {
        const method = METHODS[node.expression.name.text];
        const [nameArg, options] = node.arguments;
        if (method && options && ts.isObjectLiteralExpression(options)) {
          const option = (key: string) => {
            const p = options.properties.find(
              (x): x is ts.PropertyAssignment =>
                ts.isPropertyAssignment(x) && ts.isIdentifier(x.name) && x.name.text === key,
            );
            return p ? stringOf(p.initializer, file) : undefined;
          };
          const entity = option(method.entity);
          out.push({
            file: path,
            line: file.getLineAndCharacterOfPosition(node.getStart()).line + 1,
            name: (nameArg && stringOf(nameArg, file)) ?? '?',
            kind: method.kind,
            connection:
              option('connection') ?? (method.kind === 'blob' || method.kind === 'queue' ? 'AzureWebJobsStorage' : ''),
            entity: method.kind === 'blob' ? entity?.split('/')[0] : entity,
          });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  return out;
}
