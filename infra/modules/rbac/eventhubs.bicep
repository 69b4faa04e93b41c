// Role assignments on one event hub (not the namespace), by role name.

import { builtInRoles, roleRequest } from '../roles.bicep'

@description('Required. Name of the Event Hubs namespace.')
param namespaceName string

@description('Required. Name of the event hub the roles apply to.')
param hubName string

@description('Required. The role requests.')
param roles roleRequest[]

resource namespace 'Microsoft.EventHub/namespaces@2026-01-01' existing = {
  name: namespaceName

  resource hub 'eventhubs' existing = {
    name: hubName
  }
}

resource assignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for r in roles: {
    name: guid(namespace::hub.id, r.principalId, builtInRoles[r.role])
    scope: namespace::hub
    properties: {
      principalId: r.principalId
      principalType: r.principalType
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoles[r.role])
    }
  }
]

@description('How many role assignments this module made.')
output count int = length(roles)
