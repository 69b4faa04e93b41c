// Role assignments on a storage account, its containers, queues or tables, by role name.

import { builtInRoles, roleRequest } from '../roles.bicep'

@description('Required. Name of the storage account.')
param storageAccountName string

@description('Optional. Roles on the whole account.')
param accountRoles roleRequest[] = []

@description('Optional. Roles on single containers: the narrowest scope that works.')
param containerRoles {
  @description('Required. Container name.')
  container: string
  @description('Required. The role request.')
  request: roleRequest
}[] = []

@description('Optional. Roles on single queues.')
param queueRoles {
  @description('Required. Queue name.')
  queue: string
  @description('Required. The role request.')
  request: roleRequest
}[] = []

@description('Optional. Roles on single tables.')
param tableRoles {
  @description('Required. Table name.')
  table: string
  @description('Required. The role request.')
  request: roleRequest
}[] = []

resource account 'Microsoft.Storage/storageAccounts@2026-04-01' existing = {
  name: storageAccountName

  resource blobService 'blobServices' existing = {
    name: 'default'
  }

  resource queueService 'queueServices' existing = {
    name: 'default'
  }

  resource tableService 'tableServices' existing = {
    name: 'default'
  }
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2026-04-01' existing = [
  for entry in containerRoles: {
    parent: account::blobService
    name: entry.container
  }
]

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2026-04-01' existing = [
  for entry in queueRoles: {
    parent: account::queueService
    name: entry.queue
  }
]

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2026-04-01' existing = [
  for entry in tableRoles: {
    parent: account::tableService
    name: entry.table
  }
]

resource onAccount 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for r in accountRoles: {
    name: guid(account.id, r.principalId, builtInRoles[r.role])
    scope: account
    properties: {
      principalId: r.principalId
      principalType: r.principalType
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoles[r.role])
    }
  }
]

resource onContainer 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (entry, i) in containerRoles: {
    name: guid(containers[i].id, entry.request.principalId, builtInRoles[entry.request.role])
    scope: containers[i]
    properties: {
      principalId: entry.request.principalId
      principalType: entry.request.principalType
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoles[entry.request.role])
    }
  }
]

resource onQueue 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (entry, i) in queueRoles: {
    name: guid(queues[i].id, entry.request.principalId, builtInRoles[entry.request.role])
    scope: queues[i]
    properties: {
      principalId: entry.request.principalId
      principalType: entry.request.principalType
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoles[entry.request.role])
    }
  }
]

resource onTable 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (entry, i) in tableRoles: {
    name: guid(tables[i].id, entry.request.principalId, builtInRoles[entry.request.role])
    scope: tables[i]
    properties: {
      principalId: entry.request.principalId
      principalType: entry.request.principalType
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoles[entry.request.role])
    }
  }
]

@description('How many role assignments this module made.')
output count int = length(accountRoles) + length(containerRoles) + length(queueRoles) + length(tableRoles)
