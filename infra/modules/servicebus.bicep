// A Service Bus namespace that accepts Entra ID only, and its queues (the work queue `jobs` and the
// control queue `control`): peek-lock with a lock that fits the work (the worker renews it every
// third of its length while a shard runs), a bounded delivery count, duplicate detection on the
// deterministic message ids, dead-lettering on expiry.

@description('Required. Globally unique namespace name.')
param name string

@description('Optional. Location of the namespace.')
param location string = resourceGroup().location

@description('Optional. Tags for the namespace.')
param tags object = {}

@description('Optional. Tier. Standard is the cheapest with duplicate detection; Premium adds isolation and private endpoints.')
@allowed(['Standard', 'Premium'])
param skuName string = 'Standard'

@description('Optional. Disabled: reachable through private endpoints only (needs Premium).')
@allowed(['Enabled', 'Disabled'])
param publicNetworkAccess string = 'Enabled'

@description('Optional. Resource id of the Log Analytics workspace that receives this resource\'s logs and metrics (diagnostic settings). Empty: none.')
param logAnalyticsWorkspaceId string = ''

@description('Required. Queues to create.')
param queues {
  @description('Required. Queue name.')
  name: string
  @description('Required. Peek-lock duration in seconds (the Service Bus maximum is 300).')
  @minValue(5)
  @maxValue(300)
  lockDurationSeconds: int
  @description('Required. Deliveries before a message is dead-lettered.')
  @minValue(1)
  @maxValue(100)
  maxDeliveryCount: int
  @description('Optional. How long duplicate detection remembers a message id (ISO 8601). Default one day.')
  duplicateDetectionWindow: string?
  @description('Optional. Message time to live (ISO 8601). Default 14 days.')
  defaultMessageTimeToLive: string?
}[]

resource namespace 'Microsoft.ServiceBus/namespaces@2026-01-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
    tier: skuName
    capacity: skuName == 'Premium' ? 1 : null
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: publicNetworkAccess
  }
}

resource queue 'Microsoft.ServiceBus/namespaces/queues@2026-01-01' = [
  for q in queues: {
    parent: namespace
    name: q.name
    properties: {
      lockDuration: 'PT${q.lockDurationSeconds}S'
      maxDeliveryCount: q.maxDeliveryCount
      requiresDuplicateDetection: true
      duplicateDetectionHistoryTimeWindow: q.?duplicateDetectionWindow ?? 'P1D'
      defaultMessageTimeToLive: q.?defaultMessageTimeToLive ?? 'P14D'
      deadLetteringOnMessageExpiration: true
      requiresSession: false
      enableBatchedOperations: true
    }
  }
]

// Operational and runtime audit logs and metrics go to Log Analytics.
resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = if (!empty(logAnalyticsWorkspaceId)) {
  name: 'to-log-analytics'
  scope: namespace
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
        category: 'AllMetrics'
        enabled: true
      }
    ]
  }
}

@description('The namespace\'s resource id.')
output resourceId string = namespace.id

@description('The namespace\'s name.')
output name string = namespace.name

@description('The namespace host name, for `<Conn>__fullyQualifiedNamespace`.')
output fullyQualifiedNamespace string = '${namespace.name}.servicebus.windows.net'
