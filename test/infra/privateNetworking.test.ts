import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BicepFiles } from '../../tools/infra-check/bicepFiles.js';
import type { BicepValue } from '../../tools/infra-check/bicepModel.js';
import { BicepProgram, type ResourceInstance } from '../../tools/infra-check/bicepProgram.js';

// infra/main.bicep deployed with privateNetworking on and off (a what-if of infra:check's evaluator:
// the other params take their defaults), resource by resource.
const repo = resolve(import.meta.dirname, '..', '..');
const str = (value: string): BicepValue => ({ kind: 'string', line: 0, value });
function deploy(privateNetworking: boolean): BicepProgram {
  const params = new Map<string, BicepValue>([
    ['environmentName', str('test')],
    ['location', str('westeurope')],
    ['privateNetworking', { kind: 'bool', line: 0, value: privateNetworking }],
  ]);
  return BicepProgram.load(join(repo, 'infra', 'main.bicep'), new BicepFiles(), params)!;
}
const on = deploy(true);
const off = deploy(false);

function at(v: BicepValue | undefined, ...path: string[]): BicepValue | undefined {
  let cur = v;
  for (const key of path) cur = cur?.kind === 'object' ? cur.props.find((p) => p.key === key)?.value : undefined;
  return cur;
}
const literal = (v: BicepValue | undefined) => (v?.kind === 'string' || v?.kind === 'bool' ? v.value : v?.kind);
const created = (p: BicepProgram, type: string): ResourceInstance[] =>
  p.resources().filter((r) => !r.existing && r.type.toLowerCase() === type.toLowerCase());
const one = (p: BicepProgram, type: string) => {
  const [r, ...rest] = created(p, type);
  expect(rest, type).toEqual([]);
  return p.body(r!);
};

describe('privateNetworking', () => {
  it('on: one private endpoint per service sub-resource, each to the resource it names, with its DNS zone', () => {
    const endpoints = created(on, 'Microsoft.Network/privateEndpoints').map((r) => {
      const props = at(on.body(r), 'properties');
      const link = at(props, 'privateLinkServiceConnections');
      const conn = link?.kind === 'array' ? link.items[0] : undefined;
      const target = at(conn, 'properties', 'privateLinkServiceId');
      const group = at(conn, 'properties', 'groupIds');
      const resource = target?.kind === 'ref' ? on.resource(target.target.id) : undefined;
      return `${resource ? on.canonical(resource).type : '?'}:${group?.kind === 'array' ? literal(group.items[0]) : '?'}`;
    });
    expect(endpoints.sort()).toEqual(
      [
        ...['blob', 'queue', 'table'].flatMap((g) => [
          `Microsoft.Storage/storageAccounts:${g}`,
          `Microsoft.Storage/storageAccounts:${g}`,
        ]),
        'Microsoft.ServiceBus/namespaces:namespace',
        'Microsoft.EventHub/namespaces:namespace',
        'Microsoft.ContainerRegistry/registries:registry',
        'Microsoft.Web/sites:sites',
      ].sort(),
    );
    expect(created(on, 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups')).toHaveLength(10);
    // The storage zones' names end in the cloud's storage suffix (environment()), known only at deployment.
    const zones = created(on, 'Microsoft.Network/privateDnsZones').map((r) => on.prop(r, 'name'));
    expect(
      zones.map((z) => (z?.kind === 'string' ? (z.value ?? 'privatelink.<service>.<storage suffix>') : z?.kind)).sort(),
    ).toEqual([
      'privatelink.<service>.<storage suffix>',
      'privatelink.<service>.<storage suffix>',
      'privatelink.<service>.<storage suffix>',
      'privatelink.azurecr.io',
      'privatelink.azurewebsites.net',
      'privatelink.servicebus.windows.net',
    ]);
  });

  it('on: the services refuse the public network (storage but for trusted Azure services), Premium where private endpoints need it', () => {
    for (const r of created(on, 'Microsoft.Storage/storageAccounts'))
      expect(literal(at(on.body(r), 'properties', 'networkAcls', 'defaultAction')), r.id).toBe('Deny');
    const bus = one(on, 'Microsoft.ServiceBus/namespaces');
    expect([literal(at(bus, 'sku', 'name')), literal(at(bus, 'properties', 'publicNetworkAccess'))]).toEqual([
      'Premium',
      'Disabled',
    ]);
    expect(literal(at(one(on, 'Microsoft.EventHub/namespaces'), 'properties', 'publicNetworkAccess'))).toBe('Disabled');
    const acr = one(on, 'Microsoft.ContainerRegistry/registries');
    expect([literal(at(acr, 'sku', 'name')), literal(at(acr, 'properties', 'publicNetworkAccess'))]).toEqual([
      'Premium',
      'Disabled',
    ]);
  });

  it('on: the Function App joins the VNet and lets in only Event Grid from outside; the AKS nodes join it with a control-plane identity that may', () => {
    const site = at(one(on, 'Microsoft.Web/sites'), 'properties');
    expect(at(site, 'virtualNetworkSubnetId')).toMatchObject({
      kind: 'string',
      refs: [expect.objectContaining({ kind: 'ref' })],
    });
    expect(literal(at(site, 'siteConfig', 'ipSecurityRestrictionsDefaultAction'))).toBe('Deny');
    expect(literal(at(site, 'siteConfig', 'scmIpSecurityRestrictionsDefaultAction'))).toBe('Deny');
    const rules = at(site, 'siteConfig', 'ipSecurityRestrictions');
    expect(
      rules?.kind === 'array' ? rules.items.map((r) => `${literal(at(r, 'tag'))}:${literal(at(r, 'ipAddress'))}`) : [],
    ).toEqual(['ServiceTag:AzureEventGrid']);
    const aks = one(on, 'Microsoft.ContainerService/managedClusters');
    expect(literal(at(aks, 'identity', 'type'))).toBe('UserAssigned');
    const pools = at(aks, 'properties', 'agentPoolProfiles');
    for (const pool of pools?.kind === 'array' ? pools.items : [])
      expect(at(pool, 'vnetSubnetID'), literal(at(pool, 'name')) as string).toMatchObject({ kind: 'string' });
    const grants = created(on, 'Microsoft.Authorization/roleAssignments').filter(
      (r) =>
        on.canonical(on.resource((at(on.body(r), 'scope') as BicepValue & { kind: 'ref' }).target.id)!).type ===
        'Microsoft.Network/virtualNetworks/subnets',
    );
    expect(grants).toHaveLength(1);
  });

  it('off (the default): no network, no endpoints, public services as before', () => {
    expect(created(off, 'Microsoft.Network/virtualNetworks')).toEqual([]);
    expect(created(off, 'Microsoft.Network/privateEndpoints')).toEqual([]);
    for (const r of created(off, 'Microsoft.Storage/storageAccounts'))
      expect(literal(at(off.body(r), 'properties', 'networkAcls', 'defaultAction'))).toBe('Allow');
    expect(literal(at(one(off, 'Microsoft.ServiceBus/namespaces'), 'sku', 'name'))).toBe('Standard');
    expect(literal(at(one(off, 'Microsoft.ContainerRegistry/registries'), 'sku', 'name'))).toBe('Basic');
    expect(literal(at(one(off, 'Microsoft.ContainerService/managedClusters'), 'identity', 'type'))).toBe(
      'SystemAssigned',
    );
  });
});
