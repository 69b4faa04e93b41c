// An Event Hubs namespace that accepts Entra ID only, one hub with a configurable partition count,
// and its consumer groups.

@description('Required. Globally unique namespace name.')
param name string

@description('Optional. Location of the namespace.')
param location string = resourceGroup().location

@description('Optional. Tags for the namespace.')
param tags object = {}

@description('Optional. Tier. Basic has a single consumer group, so Standard is the minimum here.')
@allowed(['Standard', 'Premium'])
param skuName string = 'Standard'

@description('Optional. Disabled: reachable through private endpoints only.')
@allowed(['Enabled', 'Disabled'])
param publicNetworkAccess string = 'Enabled'

@description('Optional. Throughput units (Standard) or processing units (Premium).')
@minValue(1)
@maxValue(40)
param capacity int = 1

@description('Required. Name of the event hub.')
param hubName string

@description('Optional. Partitions of the hub: the most consumers that read it in parallel.')
@minValue(1)
@maxValue(32)
param partitionCount int = 4

@description('Optional. Days events are retained.')
@minValue(1)
@maxValue(7)
param messageRetentionInDays int = 1

@description('Optional. Resource id of the Log Analytics workspace that receives this resource\'s logs and metrics (diagnostic settings). Empty: none.')
param logAnalyticsWorkspaceId string = ''

@description('Required. Consumer groups to create on the hub.')
param consumerGroups string[]

resource namespace 'Microsoft.EventHub/namespaces@2026-01-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
    tier: skuName
    capacity: capacity
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: publicNetworkAccess
    isAutoInflateEnabled: false
  }
}

resource hub 'Microsoft.EventHub/namespaces/eventhubs@2026-01-01' = {
  parent: namespace
  name: hubName
  properties: {
    partitionCount: partitionCount
    messageRetentionInDays: messageRetentionInDays
  }
}

resource groups 'Microsoft.EventHub/namespaces/eventhubs/consumergroups@2026-01-01' = [
  for group in consumerGroups: {
    parent: hub
    name: group
    properties: {
      userMetadata: 'Tessera'
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
