import { existsSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import type { Finding } from './findings.js';
import { kustomizationSchema } from './kustomizeSchema.js';
import { readYaml } from './yamlFiles.js';

interface Kustomization {
  kind?: string;
  resources?: string[];
  components?: string[];
  patches?: { path?: string; patch?: string; target?: { kind?: string; name?: string } }[];
  images?: { name: string }[];
  replacements?: {
    source?: { kind?: string; name?: string };
    targets?: { select: { kind?: string; name?: string } }[];
  }[];
  configMapGenerator?: { name: string; envs?: string[]; files?: string[] }[];
  secretGenerator?: { name: string; envs?: string[]; files?: string[] }[];
}

interface ObjectRef {
  readonly kind: string;
  readonly name: string;
  readonly images: readonly string[];
}

const validateSchema: ValidateFunction = new Ajv({ allErrors: true, strict: false }).compile(
  kustomizationSchema as object,
);
const JSON6902_OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);
const isRemote = (ref: string): boolean => /^(https?:|git[@:]|github\.com\/)/.test(ref) || ref.includes('?ref=');

function load(dir: string): Kustomization | undefined {
  const path = join(dir, 'kustomization.yaml');
  if (!existsSync(path)) return undefined;
  const doc = readYaml(path).docs[0]?.toJS() as unknown;
  return doc && typeof doc === 'object' ? doc : undefined;
}

function imagesOf(obj: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        if (k === 'image' && typeof child === 'string') out.push(child.replace(/[@:][^/]*$/, ''));
        else walk(child);
      }
    }
  };
  walk(obj);
  return out;
}

/** The objects a kustomization produces (by kind and name), following resources and components. */
function objectsOf(dir: string, seen = new Set<string>()): ObjectRef[] {
  const key = resolve(dir);
  if (seen.has(key)) return [];
  seen.add(key);
  const k = load(dir);
  if (!k) return [];
  const out: ObjectRef[] = [];
  for (const ref of [...(k.resources ?? []), ...(k.components ?? [])]) {
    if (isRemote(ref)) continue;
    const path = join(dir, ref);
    if (!existsSync(path)) continue;
    if (statSync(path).isDirectory()) out.push(...objectsOf(path, seen));
    else {
      for (const d of readYaml(path).docs) {
        const o = d.toJS() as { kind?: string; metadata?: { name?: string } } | null;
        if (o?.kind && o.metadata?.name) out.push({ kind: o.kind, name: o.metadata.name, images: imagesOf(o) });
      }
    }
  }
  for (const g of k.configMapGenerator ?? []) out.push({ kind: 'ConfigMap', name: g.name, images: [] });
  for (const g of k.secretGenerator ?? []) out.push({ kind: 'Secret', name: g.name, images: [] });
  return out;
}

/** Patch files that kustomizations under `root` apply: they hold partial objects. */
export function patchFiles(kustomizationPaths: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const path of kustomizationPaths) {
    const k = load(dirname(path));
    for (const p of k?.patches ?? []) if (p.path) out.add(resolve(dirname(path), p.path));
  }
  return out;
}

/** Checks one kustomization.yaml: its schema, the files it references, and that patches, images and replacements hit something. */
export function checkKustomization(path: string, cwd = process.cwd()): Finding[] {
  const file = relative(cwd, path) || path;
  const dir = dirname(path);
  const yaml = readYaml(path);
  if (yaml.errors.length > 0)
    return yaml.errors.map((e) => ({ severity: 'error', rule: 'yaml-syntax', file, line: e.line, message: e.message }));
  const doc = yaml.docs[0];
  if (!doc) return [{ severity: 'error', rule: 'kustomize-schema', file, line: 1, message: 'empty kustomization' }];
  const k = doc.toJS() as Kustomization;
  const out: Finding[] = [];
  const at = (p: (string | number)[]): number => yaml.lineOf(doc, p);
  if (!validateSchema(k)) {
    for (const e of validateSchema.errors ?? []) {
      const p = e.instancePath
        .split('/')
        .slice(1)
        .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
      const extra = e.keyword === 'additionalProperties' ? ` "${String(e.params.additionalProperty)}"` : '';
      out.push({
        severity: 'error',
        rule: 'kustomize-schema',
        file,
        line: at(p),
        message: `${p.join('.') || '(root)'} ${e.message ?? 'is invalid'}${extra}`,
      });
    }
    return out;
  }
  const missing = (p: (string | number)[], what: string): void => {
    out.push({ severity: 'error', rule: 'kustomize-reference', file, line: at(p), message: `${what} does not exist` });
  };
  (k.resources ?? []).forEach((ref, i) => {
    if (isRemote(ref)) {
      out.push({
        severity: 'note',
        rule: 'kustomize-remote',
        file,
        line: at(['resources', i]),
        message: `remote resource ${ref} is not checked offline`,
      });
      return;
    }
    const target = join(dir, ref);
    if (!existsSync(target)) missing(['resources', i], ref);
    else if (statSync(target).isDirectory() && !existsSync(join(target, 'kustomization.yaml')))
      missing(['resources', i], `${ref}/kustomization.yaml`);
  });
  (k.components ?? []).forEach((ref, i) => {
    if (load(join(dir, ref))?.kind !== 'Component') missing(['components', i], `Component ${ref}/kustomization.yaml`);
  });
  for (const [field, gens] of [
    ['configMapGenerator', k.configMapGenerator],
    ['secretGenerator', k.secretGenerator],
  ] as const) {
    (gens ?? []).forEach((g, i) => {
      for (const [listName, list] of [
        ['envs', g.envs],
        ['files', g.files],
      ] as const) {
        (list ?? []).forEach((f, j) => {
          const name = f.includes('=') ? f.slice(f.indexOf('=') + 1) : f;
          if (existsSync(join(dir, name))) return;
          if (existsSync(join(dir, `${name}.example`))) {
            out.push({
              severity: 'note',
              rule: 'kustomize-generated-file',
              file,
              line: at([field, i, listName, j]),
              message: `${name} is generated at deploy time; checked that ${name}.example exists`,
            });
          } else missing([field, i, listName, j], name);
        });
      }
    });
  }
  if (k.kind === 'Component') return out;

  const objects = objectsOf(dir);
  const has = (sel: { kind?: string; name?: string }): boolean =>
    objects.some((o) => (!sel.kind || o.kind === sel.kind) && (!sel.name || o.name === sel.name));
  const noTarget = (p: (string | number)[], sel: { kind?: string; name?: string }, what: string): void => {
    out.push({
      severity: 'error',
      rule: 'kustomize-target',
      file,
      line: at(p),
      message: `${what} targets ${sel.kind ?? '*'}/${sel.name ?? '*'}, which no resource of this kustomization defines`,
    });
  };
  (k.patches ?? []).forEach((p, i) => {
    if (p.path && !existsSync(join(dir, p.path))) return missing(['patches', i, 'path'], p.path);
    if (p.target && !has(p.target)) noTarget(['patches', i, 'target'], p.target, 'a patch');
    const body: unknown = p.path ? readYaml(join(dir, p.path)).docs[0]?.toJS() : p.patch ? parse(p.patch) : undefined;
    if (Array.isArray(body)) {
      body.forEach((op: { op?: string; path?: string }, j) => {
        if (!op.op || !JSON6902_OPS.has(op.op) || typeof op.path !== 'string' || !op.path.startsWith('/')) {
          out.push({
            severity: 'error',
            rule: 'kustomize-patch',
            file,
            line: at(['patches', i]),
            message: `JSON patch operation ${j} needs op (${[...JSON6902_OPS].join(', ')}) and a path starting with /`,
          });
        }
      });
    } else if (body && typeof body === 'object' && !p.target) {
      const o = body as { kind?: string; metadata?: { name?: string } };
      if (!has({ kind: o.kind, name: o.metadata?.name }))
        noTarget(['patches', i], { kind: o.kind, name: o.metadata?.name }, 'a strategic merge patch');
    }
  });
  const images = new Set(objects.flatMap((o) => o.images));
  (k.images ?? []).forEach((img, i) => {
    if (!images.has(img.name))
      out.push({
        severity: 'error',
        rule: 'kustomize-target',
        file,
        line: at(['images', i, 'name']),
        message: `image "${img.name}" is used by no container of this kustomization`,
      });
  });
  const replacementsOf = [
    { from: k, path: ['replacements'] as (string | number)[] },
    ...(k.components ?? []).map((c) => ({
      from: load(join(dir, c)) ?? {},
      path: ['components'] as (string | number)[],
    })),
  ];
  for (const { from, path: p } of replacementsOf) {
    for (const r of from.replacements ?? []) {
      if (r.source && !has(r.source)) noTarget(p, r.source, 'a replacement source');
      for (const t of r.targets ?? []) if (!has(t.select)) noTarget(p, t.select, 'a replacement');
    }
  }
  return out;
}
