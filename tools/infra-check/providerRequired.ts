import type { BicepValue } from './bicepModel.js';
import type { TypeProblem } from './typeCheck.js';

/**
 * Properties a resource provider refuses a new resource without, though its REST API spec (and so
 * the type definitions generated from it) marks them optional. Each is one of a list of paths; each
 * entry says where the requirement is documented.
 */
const PROVIDER_REQUIRED: Readonly<Record<string, readonly { anyOf: readonly string[][]; why: string }[]>> = {
  'microsoft.containerservice/managedclusters': [
    {
      anyOf: [
        ['properties', 'dnsPrefix'],
        ['properties', 'fqdnSubdomain'],
      ],
      // AKS REST reference (Managed Clusters - Create Or Update): a cluster takes dnsPrefix, or
      // fqdnSubdomain for a private cluster with a custom DNS zone; with neither, the create fails
      // with "Required parameter dnsPrefix is missing".
      why: 'AKS refuses a cluster with neither (the API server FQDN is built from it)',
    },
    {
      anyOf: [['properties', 'agentPoolProfiles']],
      why: 'AKS creates a cluster only with at least one (system) agent pool',
    },
  ],
};

function present(body: BicepValue, path: readonly string[]): boolean {
  let cur: BicepValue | undefined = body;
  for (const key of path) {
    if (cur?.kind !== 'object') return cur !== undefined && cur.kind !== 'null'; // an expression may hold it
    cur = cur.props.find((p) => p.key.toLowerCase() === key.toLowerCase())?.value;
  }
  return cur !== undefined && cur.kind !== 'null';
}

/** Provider-required properties missing from a (new) resource's evaluated body. */
export function checkProviderRequired(type: string, body: BicepValue): TypeProblem[] {
  if (body.kind !== 'object') return [];
  return (PROVIDER_REQUIRED[type.toLowerCase()] ?? [])
    .filter((r) => !r.anyOf.some((path) => present(body, path)))
    .map((r) => ({
      rule: 'missing-property' as const,
      line: body.line,
      message: `"${r.anyOf.map((p) => p.join('.')).join('" or "')}" is required: ${r.why}`,
    }));
}
