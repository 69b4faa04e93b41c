import type { Finding } from './findings.js';
import { BUILT_IN_ROLES } from './builtInRoles.js';
import { descendants, stringLiteral, type BicepDecl, type BicepResource, type BicepValue } from './bicepModel.js';
import type { SyntaxNode } from './bicepSyntax.js';

/** Roles no Tessera component needs: granting one is always a finding (GUIDs from builtInRoles.ts). */
export const FORBIDDEN_ROLES: Readonly<Record<string, string>> = Object.fromEntries(
  ['Owner', 'Contributor', 'User Access Administrator', 'Role Based Access Control Administrator'].map((name) => [
    BUILT_IN_ROLES[name] ?? '',
    name,
  ]),
);
const FORBIDDEN_ROLE_NAMES = new Set(Object.values(FORBIDDEN_ROLES).map((n) => n.toLowerCase()));

/** A required literal setting: `path` inside the resource body must equal one of `expected`. */
interface Requirement {
  readonly rule: string;
  readonly path: readonly string[];
  readonly expected: readonly (string | boolean)[];
  readonly why: string;
}

const TLS12 = ['TLS1_2', 'TLS1_3'];
const TLS12_DOTTED = ['1.2', '1.3'];

/** Secure settings per resource type (lower-case), each a literal the deployment cannot get wrong. */
const REQUIREMENTS: Readonly<Record<string, readonly Requirement[]>> = {
  'microsoft.storage/storageaccounts': [
    {
      rule: 'shared-key-access',
      path: ['properties', 'allowSharedKeyAccess'],
      expected: [false],
      why: 'account keys and key-signed SAS must be off: Entra ID only',
    },
    { rule: 'tls-version', path: ['properties', 'minimumTlsVersion'], expected: TLS12, why: 'TLS 1.2 minimum' },
    {
      rule: 'public-access',
      path: ['properties', 'allowBlobPublicAccess'],
      expected: [false],
      why: 'no anonymous blob access',
    },
  ],
  'microsoft.servicebus/namespaces': [
    {
      rule: 'local-auth',
      path: ['properties', 'disableLocalAuth'],
      expected: [true],
      why: 'SAS keys must be off: Entra ID only',
    },
    { rule: 'tls-version', path: ['properties', 'minimumTlsVersion'], expected: TLS12_DOTTED, why: 'TLS 1.2 minimum' },
  ],
  'microsoft.eventhub/namespaces': [
    {
      rule: 'local-auth',
      path: ['properties', 'disableLocalAuth'],
      expected: [true],
      why: 'SAS keys must be off: Entra ID only',
    },
    { rule: 'tls-version', path: ['properties', 'minimumTlsVersion'], expected: TLS12_DOTTED, why: 'TLS 1.2 minimum' },
  ],
  'microsoft.insights/components': [
    {
      rule: 'local-auth',
      path: ['properties', 'DisableLocalAuth'],
      expected: [true],
      why: 'instrumentation-key ingestion must be off: Entra ID only',
    },
  ],
  'microsoft.operationalinsights/workspaces': [
    {
      rule: 'local-auth',
      path: ['properties', 'features', 'disableLocalAuth'],
      expected: [true],
      why: 'shared-key ingestion must be off: Entra ID only',
    },
  ],
  'microsoft.containerregistry/registries': [
    {
      rule: 'registry-admin-user',
      path: ['properties', 'adminUserEnabled'],
      expected: [false],
      why: 'the admin user is a shared key',
    },
  ],
  'microsoft.containerservice/managedclusters': [
    {
      rule: 'local-auth',
      path: ['properties', 'disableLocalAccounts'],
      expected: [true],
      why: 'local cluster accounts bypass Entra ID',
    },
  ],
  'microsoft.web/sites': [
    { rule: 'https-only', path: ['properties', 'httpsOnly'], expected: [true], why: 'plain HTTP must be refused' },
    {
      rule: 'tls-version',
      path: ['properties', 'siteConfig', 'minTlsVersion'],
      expected: TLS12_DOTTED,
      why: 'TLS 1.2 minimum',
    },
  ],
};

function propertyAt(value: BicepValue | undefined, path: readonly string[]): BicepValue | undefined {
  let cur = value;
  for (const key of path) {
    if (cur?.kind !== 'object') return undefined;
    cur = cur.props.find((p) => p.key === key)?.value;
  }
  return cur;
}

function literal(v: BicepValue | undefined): string | boolean | undefined {
  if (v?.kind === 'bool') return v.value;
  if (v?.kind === 'string') return v.value;
  return undefined;
}

/** Secure-settings rules on the resources of one file. */
export function checkResourceSecurity(file: string, resources: readonly BicepResource[]): Finding[] {
  const findings: Finding[] = [];
  for (const r of resources) {
    if (r.existing) continue;
    for (const req of REQUIREMENTS[r.type.toLowerCase()] ?? []) {
      const v = propertyAt(r.body, req.path);
      const got = literal(v);
      if (got !== undefined && req.expected.includes(got)) continue;
      const setting = req.path.join('.');
      const detail =
        v === undefined
          ? 'is not set'
          : got === undefined
            ? 'is an expression (only a literal can be checked)'
            : `is ${JSON.stringify(got)}`;
      findings.push({
        severity: 'error',
        rule: req.rule,
        file,
        line: v?.line ?? r.line,
        resource: `${r.symbol} (${r.type})`,
        message: `${setting} must be ${req.expected.map((e) => JSON.stringify(e)).join(' or ')}: ${req.why}; it ${detail}`,
      });
    }
    if (r.type.toLowerCase() === 'microsoft.authorization/roleassignments')
      findings.push(...checkRoleAssignment(file, r));
  }
  return findings;
}

function checkRoleAssignment(file: string, r: BicepResource): Finding[] {
  const findings: Finding[] = [];
  const resource = `${r.symbol} (${r.type})`;
  const name = propertyAt(r.body, ['name']);
  if (!(
    name?.kind === 'expr' &&
    /^guid\(/.test(name.text) &&
    name.node.descendantsOfType('arguments')[0]?.namedChildCount === 3
  )) {
    findings.push({
      severity: 'error',
      rule: 'role-assignment-name',
      file,
      line: name?.line ?? r.line,
      resource,
      message: 'name a role assignment guid(scope, principal, role), so redeploying finds the same assignment',
    });
  }
  const scope = propertyAt(r.body, ['scope']);
  if (
    scope === undefined ||
    (scope.kind === 'expr' && /^(resourceGroup|subscription|managementGroup|tenant)\(/.test(scope.text))
  ) {
    findings.push({
      severity: 'error',
      rule: 'broad-scope',
      file,
      line: scope?.line ?? r.line,
      resource,
      message: 'a role assignment must be scoped to the resource it is for, not the resource group or subscription',
    });
  }
  const roleId = propertyAt(r.body, ['properties', 'roleDefinitionId']);
  if (roleId?.kind === 'string' && roleId.value !== undefined) {
    findings.push({
      severity: 'error',
      rule: 'role-by-name',
      file,
      line: roleId.line,
      resource,
      message: 'name the role through the role map (builtInRoles[...]), not a literal id',
    });
  }
  return findings;
}

/** File-wide rules: listKeys and friends, forbidden roles anywhere, secrets in outputs. */
export function checkFileSecurity(file: string, root: SyntaxNode, decls: readonly BicepDecl[]): Finding[] {
  const findings: Finding[] = [];
  for (const node of descendants(root)) {
    if (node.type === 'call_expression') {
      const fn = node.namedChildren[0];
      const fnName = fn?.type === 'member_expression' ? (fn.namedChildren[1]?.text ?? '') : (fn?.text ?? '');
      if (/^list[A-Z]/.test(fnName) || /^list(keys|secrets)$/i.test(fnName)) {
        findings.push({
          severity: 'error',
          rule: 'list-keys',
          file,
          line: node.startPosition.row + 1,
          message: `${fnName}() reads a key or secret: use Entra ID and managed identities instead`,
        });
      }
    }
    if (node.type === 'string') {
      const text = (stringLiteral(node) ?? node.text).toLowerCase();
      for (const [id, role] of Object.entries(FORBIDDEN_ROLES)) {
        if (text.includes(id))
          findings.push({
            severity: 'error',
            rule: 'broad-role',
            file,
            line: node.startPosition.row + 1,
            message: `grants ${role} (${id}): no Tessera component needs more than data-plane roles`,
          });
      }
      if (
        node.parent?.type === 'object_property' &&
        node.parent.namedChildren[0]?.id === node.id &&
        FORBIDDEN_ROLE_NAMES.has(text)
      ) {
        findings.push({
          severity: 'error',
          rule: 'broad-role',
          file,
          line: node.startPosition.row + 1,
          message: `the role map offers "${stringLiteral(node) ?? text}": no Tessera component needs it`,
        });
      }
    }
    if (
      node.type === 'identifier' &&
      node.parent?.type === 'object_property' &&
      node.parent.namedChildren[0]?.id === node.id &&
      FORBIDDEN_ROLE_NAMES.has(node.text.toLowerCase())
    ) {
      findings.push({
        severity: 'error',
        rule: 'broad-role',
        file,
        line: node.startPosition.row + 1,
        message: `the role map offers "${node.text}": no Tessera component needs it`,
      });
    }
  }
  for (const d of decls) {
    if (d.kind !== 'output') continue;
    const at = { severity: 'error' as const, rule: 'secret-output', file, line: d.line, resource: `output ${d.name}` };
    if (d.decorators.some((x) => x.name === 'secure'))
      findings.push({ ...at, message: 'a secure output is still a secret in the deployment: do not output secrets' });
    if (
      /(key|secret|password|connectionstring|sastoken|accesstoken)/i.test(d.name) &&
      !/(keyvault|clientid)/i.test(d.name)
    ) {
      findings.push({
        ...at,
        message: `output "${d.name}" looks like a secret by its name: outputs are stored in plain text in the deployment history`,
      });
    }
    const text = d.value?.text ?? '';
    if (
      /\b(connectionstring|primarykey|secondarykey|primaryconnectionstring|instrumentationkey|accesskey|password)\b/i.test(
        text,
      )
    ) {
      findings.push({
        ...at,
        message: `output "${d.name}" returns a key, a password or a connection string: outputs are stored in plain text in the deployment history`,
      });
    }
  }
  return findings;
}

/** AVM style: every param and output has @description; a param's says Required. or Optional. as its default says. */
export function checkDescriptions(file: string, decls: readonly BicepDecl[]): Finding[] {
  const findings: Finding[] = [];
  for (const d of decls) {
    if (d.kind !== 'param' && d.kind !== 'output') continue;
    const desc = d.decorators.find((x) => x.name === 'description');
    const text = desc?.args[0] ? stringLiteral(desc.args[0]) : undefined;
    const resource = `${d.kind} ${d.name}`;
    if (!desc || !text) {
      findings.push({
        severity: 'error',
        rule: 'description',
        file,
        line: d.line,
        resource,
        message: 'every param and output needs a literal @description(...)',
      });
      continue;
    }
    if (d.kind === 'param') {
      const want = d.hasDefault ? 'Optional.' : 'Required.';
      if (!text.startsWith(want))
        findings.push({
          severity: 'error',
          rule: 'description',
          file,
          line: d.line,
          resource,
          message: `the description must start with "${want}" (the param ${d.hasDefault ? 'has' : 'has no'} default)`,
        });
    }
  }
  return findings;
}
