// Role assignments on one subnet of a virtual network, by role name.

import { builtInRoles, roleRequest } from '../roles.bicep'

@description('Required. Name of the virtual network.')
param virtualNetworkName string

@description('Required. Name of the subnet the roles apply to.')
param subnetName string

@description('Required. The role requests.')
param roles roleRequest[]

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' existing = {
  name: virtualNetworkName

  resource subnet 'subnets' existing = {
    name: subnetName
  }
}

resource assignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for r in roles: {
    name: guid(vnet::subnet.id, r.principalId, builtInRoles[r.role])
    scope: vnet::subnet
    properties: {
      principalId: r.principalId
      principalType: r.principalType
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoles[r.role])
    }
  }
]

@description('How many role assignments this module made.')
output count int = length(roles)
