/**
 * Rule `role-guid`: a role is what its name says. Every role map (a variable whose values are role
 * definition GUIDs, keyed by role name) must give each role the GUID Microsoft documents for that
 * name (builtInRoles.ts), and every role assignment of a deployment must grant a role the table knows.
 */
import type { BicepDecl } from './bicepModel.js';
import { evaluate, type Env } from './bicepEval.js';
import { BUILT_IN_ROLES, GUID, roleId, roleName } from './builtInRoles.js';
import type { Finding } from './findings.js';
import type { RoleGrant } from './roleGrants.js';

/** Role maps among a file's variables: every entry's GUID against the documented one for its name. */
export function checkRoleMaps(file: string, decls: readonly BicepDecl[], env: Env): Finding[] {
  const out: Finding[] = [];
  for (const d of decls) {
    if (d.kind !== 'var' || !d.value) continue;
    const v = evaluate(d.value, env);
    if (v.kind !== 'object' || v.props.length === 0) continue;
    const guids = v.props.map((p) => (p.value.kind === 'string' ? p.value.value : undefined));
    if (!guids.every((g) => g !== undefined && GUID.test(g))) continue;
    for (const p of v.props) {
      const given = (p.value.kind === 'string' ? (p.value.value ?? '') : '').toLowerCase();
      const documented = roleId(p.key);
      const actual = roleName(given);
      const at = { severity: 'error' as const, rule: 'role-guid', file, line: p.line, resource: `var ${d.name}` };
      if (!documented) {
        out.push({
          ...at,
          message: `"${p.key}" is no built-in role in the vendored table (tools/infra-check/builtInRoles.ts)${actual ? `; ${given} is "${actual}"` : ''}: check the name against the Azure built-in roles documentation, and add the role to the table from there`,
        });
      } else if (documented.id !== given) {
        out.push({
          ...at,
          message: `"${p.key}" is ${documented.id} in the Azure built-in roles documentation, not ${given}${actual ? ` (that is "${actual}")` : ''}`,
        });
      }
    }
  }
  return out;
}

/** Role assignments of a deployment that grant a role the table does not know (or whose role cannot be read). */
export function checkGrantRoles(grants: readonly RoleGrant[], rel: (path: string) => string): Finding[] {
  const known = new Set(Object.values(BUILT_IN_ROLES));
  return grants
    .filter((g) => g.roleId === undefined || !known.has(g.roleId))
    .map((g) => ({
      severity: 'error' as const,
      rule: 'role-guid',
      file: rel(g.assignment.module.file.path),
      line: g.assignment.node.startPosition.row + 1,
      resource: `${g.assignment.symbol} (${g.assignment.id})`,
      message:
        g.roleId === undefined
          ? 'the role this assignment grants cannot be read before deployment: name it from a role map of literal GUIDs'
          : `${g.roleId} is no built-in role in the vendored table (tools/infra-check/builtInRoles.ts)`,
    }));
}
