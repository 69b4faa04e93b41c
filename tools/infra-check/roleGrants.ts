import type { BicepValue } from './bicepModel.js';
import type { BicepProgram, ResourceInstance } from './bicepProgram.js';
import { GUID } from './builtInRoles.js';

/** One role assignment of a deployment, as far as it can be known before deploying. */
export interface RoleGrant {
  /** The assignment itself (file and line through its module and node). */
  readonly assignment: ResourceInstance;
  /** The identity resource whose principal gets the role, when the principal is one of the deployment's. */
  readonly principal: ResourceInstance | undefined;
  /** The principal as written, for messages. */
  readonly principalText: string;
  /** The role definition GUID, when it can be known. */
  readonly roleId: string | undefined;
  /** The (canonical) resource the role is scoped to. */
  readonly scope: ResourceInstance | undefined;
  /** True when a condition decided at deployment may leave it out. */
  readonly conditional: boolean;
}

function describe(v: BicepValue | undefined): string {
  if (!v) return 'nothing';
  if (v.kind === 'ref') return `${v.target.id}.${v.path.join('.')}`;
  if (v.kind === 'string') return v.value ?? 'a computed string';
  if (v.kind === 'expr') return v.text;
  return v.kind;
}

const propOf = (v: BicepValue | undefined, key: string) =>
  v?.kind === 'object' ? v.props.find((p) => p.key === key)?.value : undefined;

/** Every role assignment the deployment creates (each loop item its own). */
export function roleGrants(program: BicepProgram): RoleGrant[] {
  const out: RoleGrant[] = [];
  for (const r of program.resources()) {
    if (r.existing || r.type.toLowerCase() !== 'microsoft.authorization/roleassignments') continue;
    const body = program.body(r);
    const properties = propOf(body, 'properties');
    const principal = propOf(properties, 'principalId');
    const roleDef = propOf(properties, 'roleDefinitionId');
    const scope = propOf(body, 'scope');
    const identity =
      principal?.kind === 'ref' && principal.path.join('.') === 'properties.principalId'
        ? program.resource(principal.target.id)
        : undefined;
    const last = roleDef?.kind === 'string' ? roleDef.value?.split('/').pop() : undefined;
    const scoped = scope?.kind === 'ref' && scope.path.length === 0 ? program.resource(scope.target.id) : undefined;
    out.push({
      assignment: r,
      principal: identity ? program.canonical(identity) : undefined,
      principalText: describe(principal),
      roleId: last && GUID.test(last) ? last.toLowerCase() : undefined,
      scope: scoped ? program.canonical(scoped) : undefined,
      conditional: r.conditional || principal?.kind === 'either' || roleDef?.kind === 'either',
    });
  }
  return out;
}
