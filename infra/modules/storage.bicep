// A StorageV2 account that only accepts Entra ID (no shared keys, no SAS signed by keys), TLS 1.2,
// no anonymous blob access; blob soft delete and versioning so no input is ever lost, containers,
// tables, and lifecycle rules for intermediate outputs.

@description('Required. Globally unique account name, 3 to 24 lower-case letters and digits.')
@minLength(3)
@maxLength(24)
param name string

@description('Optional. Location of the account.')
param location string = resourceGroup().location

@description('Optional. Tags for the account.')
param tags object = {}

@description('Optional. Replication SKU.')
@allowed(['Standard_LRS', 'Standard_ZRS', 'Standard_GRS', 'Standard_GZRS'])
param skuName string = 'Standard_LRS'

@description('Optional. Refuse the public network but for trusted Azure services (Event Grid\'s dead-lettering, with its identity): data then flows through private endpoints (privateNetworking).')
param privateOnly bool = false

@description('Optional. Blob containers to create (private).')
param containers string[] = []

@description('Optional. Tables to create.')
param tables string[] = []

@description('Optional. Queues to create (so that a role can be scoped to one queue).')
param queues string[] = []

@description('Optional. Keep previous versions of every blob, so an overwrite never loses an input.')
param enableVersioning bool = true

@description('Optional. Days deleted blobs and containers stay recoverable (soft delete). 0 turns soft delete off.')
@minValue(0)
@maxValue(365)
param softDeleteRetentionDays int = 14

@description('Optional. Lifecycle rules: each deletes blobs under a prefix ("container/path") some days after their last modification.')
param lifecycleRules {
  @description('Required. Rule name.')
  name: string
  @description('Required. Blob name prefixes, starting with the container name.')
  prefixes: string[]
  @description('Required. Days after last modification before a blob is deleted.')
  deleteAfterDays: int
}[] = []

@description('Optional. Resource id of the Log Analytics workspace that receives this resource\'s logs and metrics (diagnostic settings). Empty: none.')
param logAnalyticsWorkspaceId string = ''

@description('Optional. Days after which previous blob versions are deleted (0: kept). Bounds what versioning costs.')
@minValue(0)
param deletePreviousVersionsAfterDays int = 30

resource account 'Microsoft.Storage/storageAccounts@2026-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    // publicNetworkAccess stays Enabled even when private: with Disabled, Azure ignores the trusted
    // services bypass, and Event Grid could no longer dead-letter into the account.
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: privateOnly ? 'Deny' : 'Allow'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2026-04-01' = {
  parent: account
  name: 'default'
  properties: {
    isVersioningEnabled: enableVersioning
    deleteRetentionPolicy: {
      enabled: softDeleteRetentionDays > 0
      days: softDeleteRetentionDays > 0 ? softDeleteRetentionDays : null
    }
    containerDeleteRetentionPolicy: {
      enabled: softDeleteRetentionDays > 0
      days: softDeleteRetentionDays > 0 ? softDeleteRetentionDays : null
    }
  }
}

resource blobContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2026-04-01' = [
  for container in containers: {
    parent: blobService
    name: container
    properties: {
      publicAccess: 'None'
    }
  }
]

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2026-04-01' = {
  parent: account
  name: 'default'
}

resource storageTables 'Microsoft.Storage/storageAccounts/tableServices/tables@2026-04-01' = [
  for table in tables: {
    parent: tableService
    name: table
  }
]

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2026-04-01' = {
  parent: account
  name: 'default'
}

resource storageQueues 'Microsoft.Storage/storageAccounts/queueServices/queues@2026-04-01' = [
  for queue in queues: {
    parent: queueService
    name: queue
  }
]

var expiryRules = [
  for rule in lifecycleRules: {
    name: rule.name
    enabled: true
    type: 'Lifecycle'
    definition: {
      filters: {
        blobTypes: ['blockBlob']
        prefixMatch: rule.prefixes
      }
      actions: {
        baseBlob: {
          delete: {
            daysAfterModificationGreaterThan: rule.deleteAfterDays
          }
        }
        version: {
          delete: {
            daysAfterCreationGreaterThan: 1
          }
        }
      }
    }
  }
]

var versionRules = enableVersioning && deletePreviousVersionsAfterDays > 0
  ? [
      {
        name: 'delete-previous-versions'
        enabled: true
        type: 'Lifecycle'
        definition: {
          filters: {
            blobTypes: ['blockBlob']
          }
          actions: {
            version: {
              delete: {
                daysAfterCreationGreaterThan: deletePreviousVersionsAfterDays
              }
            }
          }
        }
      }
    ]
  : []

resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2026-04-01' = if (!empty(lifecycleRules) || !empty(versionRules)) {
  parent: account
  name: 'default'
  properties: {
    policy: {
      rules: concat(expiryRules, versionRules)
    }
  }
  dependsOn: [blobContainers]
}

// Diagnostic settings: the account takes metrics only; each service's reads, writes and deletes are
// logs of that service (which is why the queue and table services are declared even without queues
// or tables: every account has them).
resource accountDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = if (!empty(logAnalyticsWorkspaceId)) {
  name: 'to-log-analytics'
  scope: account
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    metrics: [
      {
        category: 'Transaction'
        enabled: true
      }
    ]
  }
}

resource blobDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = if (!empty(logAnalyticsWorkspaceId)) {
  name: 'to-log-analytics'
  scope: blobService
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [
      {
        categoryGroup: 'allLogs'
        enabled: true
      }
    ]
    metrics: [
      {
        category: 'Transaction'
        enabled: true
      }
    ]
  }
}

resource queueDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = if (!empty(logAnalyticsWorkspaceId)) {
  name: 'to-log-analytics'
  scope: queueService
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [
      {
        categoryGroup: 'allLogs'
        enabled: true
      }
    ]
    metrics: [
      {
        category: 'Transaction'
        enabled: true
      }
    ]
  }
}

resource tableDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = if (!empty(logAnalyticsWorkspaceId)) {
  name: 'to-log-analytics'
  scope: tableService
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [
      {
        categoryGroup: 'allLogs'
        enabled: true
      }
    ]
    metrics: [
      {
        category: 'Transaction'
        enabled: true
      }
    ]
  }
}

@description('The account\'s resource id.')
output resourceId string = account.id

@description('The account\'s name.')
output name string = account.name

@description('The blob endpoint, e.g. https://NAME.blob.core.windows.net/.')
output blobEndpoint string = account.properties.primaryEndpoints.blob

@description('The queue endpoint.')
output queueEndpoint string = account.properties.primaryEndpoints.queue

@description('The table endpoint.')
output tableEndpoint string = account.properties.primaryEndpoints.table
