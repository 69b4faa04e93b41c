import { relative } from 'node:path';
import type { Finding } from './findings.js';
import { KINDS } from './k8sModels.js';
import { unknownFields } from './k8sFields.js';
import { readYaml } from './yamlFiles.js';

function describe(e: { instancePath: string; message?: string; params: Record<string, unknown> }): string {
  const where = e.instancePath.split('/').slice(1).join('.') || '(root)';
  const allowed = Array.isArray(e.params.allowedValues) ? `: ${e.params.allowedValues.join(', ')}` : '';
  return `${where} ${e.message ?? 'is invalid'}${allowed}`;
}

/**
 * Validates the Kubernetes objects of one YAML file against their kind's schema and declared fields.
 * `partial`: the file is a kustomize patch, so required fields may be absent.
 */
export function checkManifestFile(path: string, partial: boolean, cwd = process.cwd()): Finding[] {
  const file = relative(cwd, path) || path;
  const yaml = readYaml(path);
  const out: Finding[] = yaml.errors.map((e) => ({
    severity: 'error' as const,
    rule: 'yaml-syntax',
    file,
    line: e.line,
    message: e.message,
  }));
  if (out.length > 0) return out;
  for (const doc of yaml.docs) {
    const obj: unknown = doc.toJS();
    if (obj === null || obj === undefined) continue;
    const line = yaml.lineOf(doc, []);
    if (typeof obj !== 'object' || Array.isArray(obj)) {
      out.push({
        severity: 'error',
        rule: 'k8s-schema',
        file,
        line,
        message: 'a manifest must be a mapping with apiVersion and kind',
      });
      continue;
    }
    const { apiVersion, kind, metadata } = obj as {
      apiVersion?: unknown;
      kind?: unknown;
      metadata?: { name?: unknown };
    };
    const key = `${String(apiVersion)}/${String(kind)}`;
    const resource = `${String(kind)}/${typeof metadata?.name === 'string' ? metadata.name : '?'}`;
    const info = KINDS[key];
    if (!info) {
      out.push({
        severity: 'error',
        rule: 'k8s-unknown-kind',
        file,
        line,
        resource,
        message: `no schema for ${key}: known kinds are ${Object.keys(KINDS).join(', ')}`,
      });
      continue;
    }
    for (const e of info.validate(obj)) {
      if (partial && e.keyword === 'required') continue;
      const path = e.instancePath
        .split('/')
        .slice(1)
        .map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
      out.push({
        severity: 'error',
        rule: 'k8s-schema',
        file,
        line: yaml.lineOf(doc, path),
        resource,
        message: describe(e),
      });
    }
    for (const u of unknownFields(key, obj)) {
      out.push({
        severity: 'error',
        rule: 'k8s-unknown-field',
        file,
        line: yaml.lineOf(doc, u.path),
        resource,
        message: u.message,
      });
    }
  }
  return out;
}
