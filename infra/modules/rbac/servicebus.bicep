// Role assignments on one Service Bus queue (not the namespace), by role name.

import { builtInRoles, roleRequest } from '../roles.bicep'

@description('Required. Name of the Service Bus namespace.')
param namespaceName string

@description('Required. Name of the queue the roles apply to.')
param queueName string

@description('Required. The role requests.')
param roles roleRequest[]

resource namespace 'Microsoft.ServiceBus/namespaces@2026-01-01' existing = {
  name: namespaceName

  resource queue 'queues' existing = {
    name: queueName
  }
}

resource assignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for r in roles: {
    name: guid(namespace::queue.id, r.principalId, builtInRoles[r.role])
    scope: namespace::queue
    properties: {
      principalId: r.principalId
      principalType: r.principalType
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoles[r.role])
    }
  }
]

@description('How many role assignments this module made.')
output count int = length(roles)
