import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { Finding } from './findings.js';
import { parseBicep } from './bicepSyntax.js';
import { declarationBody, declarations, resources, stringLiteral, toValue, type BicepDecl } from './bicepModel.js';
import type { BicepTypes } from './bicepTypes.js';
import { checkResourceBody } from './typeCheck.js';
import { BicepFiles } from './bicepFiles.js';
import { evaluate, fileEnv } from './bicepEval.js';
import { checkProviderRequired } from './providerRequired.js';
import { checkRoleMaps } from './roleRules.js';
import { checkDescriptions, checkFileSecurity, checkResourceSecurity } from './securityRules.js';

/** Checks one .bicep file: syntax first (a file that does not parse gets no further checks, and fails), then types, security and style. */
export function checkBicepFile(
  path: string,
  types: BicepTypes,
  cwd = process.cwd(),
  files = new BicepFiles(),
): Finding[] {
  const file = relative(cwd, path) || path;
  const source = readFileSync(path, 'utf8');
  const { root, findings } = parseBicep(file, source);
  if (findings.length > 0) return findings;
  // Bodies are evaluated (variables, loops, conditions, known functions) before their properties are
  // checked, so a typo inside a `for` body or a variable is found too; params stay unknown.
  const env = fileEnv(files.add(path, root, true), files);

  const decls = declarations(root);
  const out: Finding[] = [];
  const all = resources(root);
  for (const r of all) {
    const resource = `${r.symbol} (${r.type})`;
    if (!r.apiVersion) {
      out.push({
        severity: 'error',
        rule: 'api-version',
        file,
        line: r.line,
        resource,
        message: `"${r.type}" has no @apiVersion`,
      });
      continue;
    }
    const found = types.lookup(r.type, r.apiVersion);
    switch (found.status) {
      case 'unknown-type':
        out.push({
          severity: 'error',
          rule: 'unknown-type',
          file,
          line: r.line,
          resource,
          message: `no resource type "${r.type}" in the Azure type definitions`,
        });
        break;
      case 'unknown-version':
        out.push({
          severity: 'error',
          rule: 'api-version',
          file,
          line: r.line,
          resource,
          message: `"${r.type}@${r.apiVersion}" does not exist; known: ${found.known.slice(-6).join(', ')}`,
        });
        break;
      case 'not-vendored':
        out.push({
          severity: 'note',
          rule: 'types-not-vendored',
          file,
          line: r.line,
          resource,
          message: `${r.type}@${r.apiVersion} exists (index.json) but ${found.file} is not vendored: its properties were not checked`,
        });
        break;
      case 'ok': {
        const bodyNode = declarationBody(r.node);
        const body = bodyNode ? evaluate(bodyNode, env) : undefined;
        if (body) {
          const problems = checkResourceBody(types, found.body, body, r.existing);
          if (!r.existing) problems.push(...checkProviderRequired(r.type, body));
          for (const p of problems)
            out.push({ severity: 'error', rule: p.rule, file, line: p.line, resource, message: p.message });
        }
        if (!r.existing && !r.apiVersion.includes('preview')) {
          const newer = types.newerStableVersions(r.type, r.apiVersion);
          if (newer.length > 0)
            out.push({
              severity: 'note',
              rule: 'newer-api-version',
              file,
              line: r.line,
              resource,
              message: `newer stable api versions exist: ${newer.join(', ')}`,
            });
        }
        break;
      }
    }
  }
  out.push(...checkResourceSecurity(file, all));
  out.push(...checkFileSecurity(file, root, decls));
  out.push(...checkDescriptions(file, decls));
  out.push(...checkModules(path, file, decls));
  out.push(...checkRoleMaps(file, decls, env));
  // A variable used by several resources is checked once per use: report each problem once.
  const seen = new Set<string>();
  return out.filter((f) => {
    const key = `${f.rule}:${f.line}:${f.message}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

/** Module references: the file exists, parses, and the params passed are the module's own, required ones included. */
function checkModules(path: string, file: string, decls: readonly BicepDecl[]): Finding[] {
  const out: Finding[] = [];
  for (const d of decls) {
    if (d.kind !== 'module') continue;
    const target = stringLiteral(d.node.namedChildren[1] ?? d.node);
    if (!target || target.includes(':')) continue; // registry modules (br:, ts:) are not resolvable offline
    const modulePath = join(dirname(path), target);
    const resource = `module ${d.name}`;
    if (!existsSync(modulePath)) {
      out.push({
        severity: 'error',
        rule: 'module-path',
        file,
        line: d.line,
        resource,
        message: `${target} does not exist`,
      });
      continue;
    }
    const parsed = parseBicep(modulePath, readFileSync(modulePath, 'utf8'));
    if (parsed.findings.length > 0) continue; // reported when that file is checked
    const params = declarations(parsed.root).filter((x) => x.kind === 'param');
    const body = declarationBody(d.node);
    const passed = body ? toValue(body) : undefined;
    const paramsValue = passed?.kind === 'object' ? passed.props.find((p) => p.key === 'params')?.value : undefined;
    if (paramsValue?.kind !== 'object') continue;
    const known = new Set(params.map((p) => p.name));
    for (const p of paramsValue.props) {
      if (!known.has(p.key))
        out.push({
          severity: 'error',
          rule: 'module-params',
          file,
          line: p.line,
          resource,
          message: `${target} has no param "${p.key}"`,
        });
    }
    const given = new Set(paramsValue.props.map((p) => p.key));
    for (const p of params) {
      if (!p.hasDefault && !given.has(p.name))
        out.push({
          severity: 'error',
          rule: 'module-params',
          file,
          line: d.line,
          resource,
          message: `${target} requires param "${p.name}"`,
        });
    }
  }
  return out;
}
