import ts from 'typescript';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { KINDS } from './k8sModels.js';

/** A field the kind's declaration does not have: `path` is a JSON pointer into the object. */
export interface UnknownField {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

interface Walker {
  readonly checker: ts.TypeChecker;
  readonly roots: ReadonlyMap<string, ts.Type>;
}

let walker: Walker | undefined;

/**
 * Builds one TypeScript program over the model packages' declarations (once per process: about a
 * second) so that every object can be walked field by field against its kind's interface.
 */
function getWalker(): Walker {
  if (walker) return walker;
  const require = createRequire(import.meta.url);
  const entries = Object.entries(KINDS);
  const source =
    entries
      .map(([, k], i) => `import type { ${k.declaration.name} as T${i} } from '${k.declaration.module}';`)
      .join('\n') + `\nexport type Roots = [${entries.map((_, i) => `T${i}`).join(', ')}];\n`;
  const root = join(dirname(require.resolve('kubernetes-models/package.json')), '..', '..', '__infra_check_roots.ts');
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    strict: true,
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, onError) =>
    name === root ? ts.createSourceFile(name, source, lang) : getSourceFile(name, lang, onError);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === root || fileExists(name);
  const program = ts.createProgram([root], options, host);
  const checker = program.getTypeChecker();
  const file = program.getSourceFile(root);
  const alias = file?.statements.find(ts.isTypeAliasDeclaration);
  if (!alias) throw new Error('infra-check: could not load the Kubernetes model declarations');
  const tuple = checker.getTypeAtLocation(alias);
  const members = checker.getTypeArguments(tuple as ts.TypeReference);
  const roots = new Map<string, ts.Type>();
  entries.forEach(([key], i) => {
    const t = members[i];
    if (!t || t.getProperties().length === 0) throw new Error(`infra-check: no declaration found for ${key}`);
    roots.set(key, t);
  });
  walker = { checker, roots };
  return walker;
}

function nonNullable(checker: ts.TypeChecker, type: ts.Type): ts.Type[] {
  const t = checker.getNonNullableType(type);
  return t.isUnion() ? t.types : [t];
}

/** Unknown fields of `obj` against its kind's declaration (like `kubectl --validate=strict`). */
export function unknownFields(kindKey: string, obj: unknown): UnknownField[] {
  const { checker, roots } = getWalker();
  const rootType = roots.get(kindKey);
  if (!rootType) return [];
  const out: UnknownField[] = [];
  const visit = (value: unknown, type: ts.Type, path: (string | number)[]): void => {
    const candidates = nonNullable(checker, type);
    if (candidates.some((c) => (c.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) !== 0)) return;
    if (Array.isArray(value)) {
      const arrays = candidates.filter((c) => checker.isArrayType(c) || checker.isTupleType(c));
      const element = arrays
        .map((a) => checker.getTypeArguments(a as ts.TypeReference)[0])
        .find((e) => e !== undefined);
      if (element) value.forEach((item, i) => visit(item, element, [...path, i]));
      return;
    }
    if (value === null || typeof value !== 'object') return;
    const objects = candidates.filter((c) => (c.flags & ts.TypeFlags.Object) !== 0 && !checker.isArrayType(c));
    if (objects.length === 0) return;
    const indexed = objects.map((o) => checker.getIndexInfoOfType(o, ts.IndexKind.String)).find((x) => x !== undefined);
    for (const [key, child] of Object.entries(value)) {
      const prop = objects.map((o) => o.getProperty(key)).find((p) => p !== undefined);
      if (prop) {
        visit(child, checker.getTypeOfSymbol(prop), [...path, key]);
      } else if (indexed) {
        visit(child, indexed.type, [...path, key]);
      } else {
        const known = [...new Set(objects.flatMap((o) => o.getProperties().map((p) => p.name)))];
        const near = known.find((k) => k.toLowerCase() === key.toLowerCase());
        out.push({
          path: [...path, key],
          message: `unknown field "${[...path, key].join('.')}"${near ? ` (did you mean "${near}"?)` : ''}`,
        });
      }
    }
  };
  visit(obj, rootType, []);
  return out;
}
