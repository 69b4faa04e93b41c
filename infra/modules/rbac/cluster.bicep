// Role assignments on an AKS cluster (Azure RBAC for Kubernetes), by role name.

import { builtInRoles, roleRequest } from '../roles.bicep'

@description('Required. Name of the cluster.')
param clusterName string

@description('Required. The role requests.')
param roles roleRequest[]

resource cluster 'Microsoft.ContainerService/managedClusters@2026-05-01' existing = {
  name: clusterName
}

resource assignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for r in roles: {
    name: guid(cluster.id, r.principalId, builtInRoles[r.role])
    scope: cluster
    properties: {
      principalId: r.principalId
      principalType: r.principalType
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoles[r.role])
    }
  }
]

@description('How many role assignments this module made.')
output count int = length(roles)
