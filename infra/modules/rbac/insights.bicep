// Role assignments on an Application Insights component, by role name.

import { builtInRoles, roleRequest } from '../roles.bicep'

@description('Required. Name of the Application Insights component.')
param applicationInsightsName string

@description('Required. The role requests.')
param roles roleRequest[]

resource component 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource assignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for r in roles: {
    name: guid(component.id, r.principalId, builtInRoles[r.role])
    scope: component
    properties: {
      principalId: r.principalId
      principalType: r.principalType
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoles[r.role])
    }
  }
]

@description('How many role assignments this module made.')
output count int = length(roles)
