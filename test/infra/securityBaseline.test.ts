import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BicepFiles } from '../../tools/infra-check/bicepFiles.js';
import { evaluate, fileEnv } from '../../tools/infra-check/bicepEval.js';
import type { BicepValue } from '../../tools/infra-check/bicepModel.js';
import { BicepProgram } from '../../tools/infra-check/bicepProgram.js';
import { functionApps } from '../../tools/infra-check/triggerRoles.js';

// The security baseline of infra/main.bicep, read the way infra:check reads it: the deployment
// instantiated module by module, values evaluated as far as they can be before deploying.
const repo = resolve(import.meta.dirname, '..', '..');
const mainPath = join(repo, 'infra', 'main.bicep');
const files = new BicepFiles();
const program = BicepProgram.load(mainPath, files)!;

function at(v: BicepValue | undefined, ...path: string[]): BicepValue | undefined {
  let cur = v;
  for (const key of path) cur = cur?.kind === 'object' ? cur.props.find((p) => p.key === key)?.value : undefined;
  return cur;
}
const literal = (v: BicepValue | undefined) => (v?.kind === 'string' || v?.kind === 'bool' ? v.value : undefined);

describe('the HTTP API requires Entra ID (App Service authentication), in the IaC', () => {
  const [functions] = functionApps(program);
  const auth = program
    .resources()
    .find(
      (r) =>
        r.type === 'Microsoft.Web/sites/config' &&
        literal(program.prop(r, 'name')) === 'authsettingsV2' &&
        functions !== undefined &&
        program.parentOf(r)?.id === functions.app.id,
    );

  it('the Function App has authsettingsV2: authentication required, 401 without a token, HTTPS, no token store', () => {
    expect(functions, 'a Function App').toBeDefined();
    expect(auth, 'authsettingsV2 of the Function App').toBeDefined();
    expect(auth!.conditional).toBe(false);
    const props = at(program.body(auth!), 'properties');
    expect(literal(at(props, 'platform', 'enabled'))).toBe(true);
    expect(literal(at(props, 'globalValidation', 'requireAuthentication'))).toBe(true);
    expect(literal(at(props, 'globalValidation', 'unauthenticatedClientAction'))).toBe('Return401');
    expect(literal(at(props, 'httpSettings', 'requireHttps'))).toBe(true);
    expect(literal(at(props, 'login', 'tokenStore', 'enabled'))).toBe(false);
  });

  it("Entra ID is the identity provider, for the tenant's v2 issuer and the API's audience; Event Grid's webhook is excluded", () => {
    const props = at(program.body(auth!), 'properties');
    const aad = at(props, 'identityProviders', 'azureActiveDirectory');
    expect(at(aad, 'registration', 'openIdIssuer')).toMatchObject({ kind: 'string' });
    expect(at(aad, 'registration', 'clientId')?.kind).toBe('either'); // the apiClientId param, when set
    expect(at(aad, 'validation', 'allowedAudiences')?.kind).toBe('either');
    const excluded = at(props, 'globalValidation', 'excludedPaths');
    expect(excluded?.kind === 'array' ? excluded.items.map(literal) : []).toEqual(['/runtime/webhooks/blobs']);
  });
});

describe('AKS: Standard tier, zones where the region has them', () => {
  const main = files.get(mainPath)!;
  const zonesFor = (location: string, aksZoneRedundant: boolean) => {
    const params = new Map<string, BicepValue>([
      ['location', { kind: 'string', line: 0, value: location }],
      ['aksZoneRedundant', { kind: 'bool', line: 0, value: aksZoneRedundant }],
    ]);
    const v = evaluate(main.decls.get('systemPoolZones')!.value!, fileEnv(main, files, params));
    return v.kind === 'array' ? v.items.map(literal) : v.kind;
  };

  it('Standard is the default tier, in main.bicep and in the cluster module', () => {
    expect(literal(evaluate(main.decls.get('aksTier')!.value!, fileEnv(main, files)))).toBe('Standard');
    const aks = files.get(join(repo, 'infra', 'modules', 'aks.bicep'))!;
    expect(literal(evaluate(aks.decls.get('tier')!.value!, fileEnv(aks, files)))).toBe('Standard');
  });

  it('the system pool spans zones 1-3 in a region with zones, none in one without, none when turned off', () => {
    expect(zonesFor('westeurope', true)).toEqual(['1', '2', '3']);
    expect(zonesFor('WestEurope', true)).toEqual(['1', '2', '3']);
    expect(zonesFor('westcentralus', true)).toEqual([]);
    expect(zonesFor('westeurope', false)).toEqual([]);
  });

  it('the cluster gets those zones on its system pool', () => {
    const cluster = program
      .resources()
      .find((r) => r.type === 'Microsoft.ContainerService/managedClusters' && !r.existing)!;
    const pools = at(program.body(cluster), 'properties', 'agentPoolProfiles');
    const system = pools?.kind === 'array' ? pools.items.find((p) => literal(at(p, 'name')) === 'system') : undefined;
    // empty(systemZones) ? null : systemZones, with systemZones main.bicep's choice by region: the
    // outcomes are no zones, or zones 1, 2 and 3.
    const outcomes = (v: BicepValue | undefined): unknown[] =>
      v?.kind === 'either' ? v.options.flatMap(outcomes) : [v?.kind === 'array' ? v.items.map(literal) : v?.kind];
    expect(outcomes(at(system, 'availabilityZones'))).toEqual(expect.arrayContaining(['null', ['1', '2', '3']]));
  });
});
