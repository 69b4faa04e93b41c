// Role assignments on a container registry, by role name.

import { builtInRoles, roleRequest } from '../roles.bicep'

@description('Required. Name of the registry.')
param registryName string

@description('Required. The role requests.')
param roles roleRequest[]

resource registry 'Microsoft.ContainerRegistry/registries@2025-11-01' existing = {
  name: registryName
}

resource assignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for r in roles: {
    name: guid(registry.id, r.principalId, builtInRoles[r.role])
    scope: registry
    properties: {
      principalId: r.principalId
      principalType: r.principalType
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoles[r.role])
    }
  }
]

@description('How many role assignments this module made.')
output count int = length(roles)
