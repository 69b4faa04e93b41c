/**
 * A deployment as instances: the entry file, each module call instantiated with the params its caller
 * passes (evaluated in the caller, when first read), each resource declaration instantiated per loop
 * item, each marked conditional when an `if`, a condition the checker cannot decide or an optional
 * loop item guards it. References between them (`mod.outputs.x`, `res.properties.y`, `a::b`,
 * `res[i]`) are `ref` values. `canonical` resolves an `existing` resource to the resource the
 * deployment itself creates when its name (or its parent and name) says it is that one, so a role
 * scoped in one module and a resource created in another are known to be the same thing.
 */
import { dirname, resolve } from 'node:path';
import type { BicepFile, BicepFiles } from './bicepFiles.js';
import type { BicepValue, RefTarget } from './bicepModel.js';
import { declarationBody, kids, stringLiteral } from './bicepModel.js';
import type { SyntaxNode } from './bicepSyntax.js';
import { evaluate, fileEnv, loopParts, type Env, type RefValue, type Resolver } from './bicepEval.js';

export interface ModuleInstance extends RefTarget {
  readonly kind: 'module';
  readonly file: BicepFile;
  readonly env: Env;
  readonly conditional: boolean;
}

export interface ResourceInstance extends RefTarget {
  readonly kind: 'resource';
  readonly symbol: string;
  readonly type: string;
  readonly existing: boolean;
  readonly module: ModuleInstance;
  readonly node: SyntaxNode;
  /** The loop item's environment (or the module's). */
  readonly env: Env;
  readonly conditional: boolean;
  /** The resource instance this one is declared inside of, if any. */
  readonly nestedIn: ResourceInstance | undefined;
}

interface ResourceDecl {
  readonly key: string;
  readonly mod: ModuleInstance;
  readonly node: SyntaxNode;
  readonly type: string;
  readonly parentKey: string | undefined;
}

/** Module params, evaluated in the caller when first read (so modules may refer to each other in any order). */
class LazyParams extends Map<string, BicepValue> {
  private load: (() => Iterable<[string, BicepValue]>) | undefined;
  constructor(load: () => Iterable<[string, BicepValue]>) {
    super();
    this.load = load;
  }
  override get(key: string): BicepValue | undefined {
    const load = this.load;
    if (load) {
      this.load = undefined;
      for (const [k, v] of load()) this.set(k, v);
    }
    return super.get(key);
  }
}

const isTrue = (v: BicepValue | undefined) => v?.kind === 'bool' && v.value;
const isFalse = (v: BicepValue | undefined) => v?.kind === 'bool' && !v.value;
const lower = (s: string) => s.toLowerCase();
const lastBody = (node: SyntaxNode) => kids(node)[kids(node).length - 1];

export class BicepProgram {
  readonly modules: ModuleInstance[] = [];
  private readonly decls = new Map<string, ResourceDecl>();
  private readonly expanded = new Map<string, ResourceInstance[]>();
  private readonly targets = new Map<string, ModuleInstance | ResourceInstance>();
  private readonly collections = new Map<string, readonly string[]>();
  private readonly canonicalMemo = new Map<string, ResourceInstance>();

  private constructor(private readonly files: BicepFiles) {}

  /**
   * Instantiates `entry` and every module below it. Its own params are unknown (chosen at deployment)
   * unless `params` gives them (a what-if: then the others take their defaults).
   */
  static load(entry: string, files: BicepFiles, params?: ReadonlyMap<string, BicepValue>): BicepProgram | undefined {
    const file = files.get(entry);
    if (!file?.parses) return undefined;
    const program = new BicepProgram(files);
    program.instantiate(file, 'main', params, false);
    for (const mod of [...program.modules]) program.declareResources(mod);
    return program;
  }

  /** Every resource instance of the deployment. */
  resources(): ResourceInstance[] {
    return [...this.decls.keys()].flatMap((key) => this.expand(key));
  }

  resource(id: string): ResourceInstance | undefined {
    const t = this.lookup(id);
    return t?.kind === 'resource' ? t : undefined;
  }

  /** Evaluates a resource's body in its own environment. */
  body(r: ResourceInstance): BicepValue | undefined {
    const node = declarationBody(r.node);
    return node ? evaluate(node, r.env) : undefined;
  }

  /** The created resource an instance stands for: itself, unless it is an `existing` reference to one. */
  canonical(r: ResourceInstance): ResourceInstance {
    const memo = this.canonicalMemo.get(r.id);
    if (memo) return memo;
    this.canonicalMemo.set(r.id, r); // a cycle resolves to itself
    const found = r.existing ? this.findCreated(r) : undefined;
    const out = found ? this.canonical(found) : r;
    this.canonicalMemo.set(r.id, out);
    return out;
  }

  /** The (canonical) resource `r` is declared under: nested in, or its `parent:` property. */
  parentOf(r: ResourceInstance): ResourceInstance | undefined {
    if (r.nestedIn) return this.canonical(r.nestedIn);
    const parent = this.prop(r, 'parent');
    const target = parent?.kind === 'ref' && parent.path.length === 0 ? this.resource(parent.target.id) : undefined;
    return target ? this.canonical(target) : undefined;
  }

  /** A top-level property of a resource's evaluated body. */
  prop(r: ResourceInstance, key: string): BicepValue | undefined {
    const body = this.body(r);
    return body?.kind === 'object' ? body.props.find((p) => p.key === key)?.value : undefined;
  }

  private findCreated(r: ResourceInstance): ResourceInstance | undefined {
    const name = this.prop(r, 'name');
    const parent = this.parentOf(r);
    if (!parent) {
      if (name?.kind !== 'ref' || name.path.join('.') !== 'name') return undefined;
      const t = this.resource(name.target.id);
      return t && t.id !== r.id && lower(t.type) === lower(r.type) ? t : undefined;
    }
    if (name?.kind !== 'string' || name.value === undefined) return undefined;
    const wanted = lower(name.value);
    return this.resources().find((c) => {
      if (c.existing || c.id === r.id || lower(c.type) !== lower(r.type)) return false;
      const n = this.prop(c, 'name');
      return n?.kind === 'string' && lower(n.value ?? '') === wanted && this.parentOf(c)?.id === parent.id;
    });
  }

  private instantiate(
    file: BicepFile,
    id: string,
    params: ReadonlyMap<string, BicepValue> | undefined,
    conditional: boolean,
  ): ModuleInstance {
    const mod = { kind: 'module', id, file, conditional } as {
      -readonly [K in keyof ModuleInstance]: ModuleInstance[K];
    };
    mod.env = fileEnv(file, this.files, params, this.resolverFor(mod));
    this.targets.set(id, mod);
    this.modules.push(mod);
    for (const decl of file.decls.values()) if (decl.kind === 'module') this.declareModule(mod, decl.node);
    return mod;
  }

  /** The condition of a declaration (`= if (c) {…}` or a filtering `if` in a loop): false, true or undefined. */
  private guard(node: SyntaxNode | undefined, env: Env): { skip: boolean; conditional: boolean } {
    if (!node) return { skip: false, conditional: false };
    const c = evaluate(node, env);
    return { skip: isFalse(c), conditional: !isTrue(c) };
  }

  /** Calls `make` per loop item (or once) with the item's env and whether it is conditional; returns the ids. */
  private each(
    node: SyntaxNode,
    env: Env,
    conditional: boolean,
    make: (env: Env, conditional: boolean, suffix: string) => void,
  ): boolean {
    const body = lastBody(node);
    if (body?.type === 'if_statement') {
      const g = this.guard(kids(body)[0], env);
      if (!g.skip) make(env, conditional || g.conditional, '');
      return false;
    }
    if (body?.type !== 'for_statement') {
      make(env, conditional, '');
      return false;
    }
    const { item, index, iterable, condition } = loopParts(body);
    const list = iterable ? evaluate(iterable, env) : undefined;
    (list?.kind === 'array' ? list.items : []).forEach((v, i) => {
      const locals = new Map(env.locals);
      locals.set(item, v.kind === 'optional' ? v.value : v);
      if (index) locals.set(index, { kind: 'number', line: v.line, value: i });
      const inner = { ...env, locals };
      const g = this.guard(condition, inner);
      if (!g.skip) make(inner, conditional || g.conditional || v.kind === 'optional', `[${i}]`);
    });
    return true;
  }

  private declareModule(mod: ModuleInstance, node: SyntaxNode): void {
    const symbol = kids(node)[0]?.text ?? '';
    const path = stringLiteral(kids(node)[1] ?? node);
    const file = path && !path.includes(':') ? this.files.get(resolve(dirname(mod.file.path), path)) : undefined;
    if (!file?.parses) return;
    const key = `${mod.id}>${symbol}`;
    const ids: string[] = [];
    const looped = this.each(node, mod.env, mod.conditional, (env, conditional, suffix) => {
      const params = new LazyParams(() => {
        const body = declarationBody(node);
        const value = body ? evaluate(body, env) : undefined;
        const given = value?.kind === 'object' ? value.props.find((p) => p.key === 'params')?.value : undefined;
        return (given?.kind === 'object' ? given.props : []).map((p): [string, BicepValue] => [p.key, p.value]);
      });
      ids.push(this.instantiate(file, `${key}${suffix}`, params, conditional).id);
    });
    if (looped) this.collections.set(`${key}[]`, ids);
  }

  private declareResources(mod: ModuleInstance): void {
    const visit = (node: SyntaxNode, parent: ResourceDecl | undefined): void => {
      const symbol = kids(node)[0]?.text ?? '';
      const rawType = (stringLiteral(kids(node)[1] ?? node) ?? '').split('@')[0] ?? '';
      const type = parent && !rawType.includes('.') ? `${parent.type}/${rawType}` : rawType;
      const key = parent ? `${parent.key}::${symbol}` : `${mod.id}>${symbol}`;
      const decl: ResourceDecl = { key, mod, node, type, parentKey: parent?.key };
      this.decls.set(key, decl);
      for (const prop of declarationBody(node)?.namedChildren ?? []) {
        const nested = kids(prop).find((c) => c.type === 'resource_declaration');
        if (nested) visit(nested, decl);
      }
    };
    for (const decl of mod.file.decls.values()) if (decl.kind === 'resource') visit(decl.node, undefined);
  }

  /** The instances of one resource declaration (once per parent instance and loop item). */
  private expand(key: string): ResourceInstance[] {
    const done = this.expanded.get(key);
    if (done) return done;
    const decl = this.decls.get(key);
    const out: ResourceInstance[] = [];
    this.expanded.set(key, out);
    if (!decl) return out;
    const parents = decl.parentKey ? this.expand(decl.parentKey) : [undefined];
    for (const parent of parents) {
      const base = parent ? `${parent.id}::${kids(decl.node)[0]?.text ?? ''}` : key;
      const ids: string[] = [];
      const looped = this.each(
        decl.node,
        parent?.env ?? decl.mod.env,
        parent?.conditional ?? decl.mod.conditional,
        (env, conditional, suffix) => {
          const r: ResourceInstance = {
            kind: 'resource',
            id: `${base}${suffix}`,
            symbol: kids(decl.node)[0]?.text ?? '',
            type: decl.type,
            existing: decl.node.children.some((c) => c.type === 'existing'),
            module: decl.mod,
            node: decl.node,
            env,
            conditional,
            nestedIn: parent,
          };
          this.targets.set(r.id, r);
          ids.push(r.id);
          out.push(r);
        },
      );
      if (looped) this.collections.set(`${base}[]`, ids);
    }
    return out;
  }

  private lookup(id: string): ModuleInstance | ResourceInstance | undefined {
    const hit = this.targets.get(id);
    if (hit) return hit;
    const declKey = [...this.decls.keys()].filter((k) => id.startsWith(k)).sort((a, b) => b.length - a.length)[0];
    if (declKey) this.expand(declKey);
    return this.targets.get(id);
  }

  private resolverFor(mod: ModuleInstance): Resolver {
    return {
      symbol: (name, _env, line) => {
        const key = `${mod.id}>${name}`;
        const decl = mod.file.decls.get(name.split('::')[0] ?? '');
        if (!decl) return undefined;
        const looped = lastBody(this.decls.get(key)?.node ?? decl.node)?.type === 'for_statement';
        if (looped) this.lookup(`${key}[0]`);
        return {
          kind: 'ref',
          line,
          target: { kind: decl.kind === 'module' ? 'module' : 'resource', id: looped ? `${key}[]` : key },
          path: [],
        };
      },
      member: (ref, key, line) => this.member(ref, key, line),
      index: (ref, index, line) => {
        const ids = this.collections.get(ref.target.id);
        const id = ids && index.kind === 'number' && ref.path.length === 0 ? ids[index.value] : undefined;
        return id
          ? { kind: 'ref', line, target: { kind: ref.target.kind, id }, path: [] }
          : { kind: 'string', line, value: undefined };
      },
    };
  }

  private member(ref: RefValue, key: string, line: number): BicepValue {
    const target = this.lookup(ref.target.id);
    if (target?.kind !== 'module') return { ...ref, line, path: [...ref.path, key] };
    if (ref.path.length === 0) return { ...ref, line, path: [key] };
    const out = ref.path.length === 1 && ref.path[0] === 'outputs' ? target.file.decls.get(key) : undefined;
    if (out?.kind === 'output' && out.value) return evaluate(out.value, { ...target.env, locals: new Map() });
    return { kind: 'string', line, value: undefined };
  }
}
