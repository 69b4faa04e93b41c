// Tessera on Azure: storage, Event Grid, Event Hubs, Service Bus, a Flex Consumption Function App,
// monitoring, a container registry and an AKS cluster whose GPU pool scales from zero, all with
// Entra ID-only access and least-privilege role assignments. Deploy with `azd up`, or
// `az deployment sub create --location L --template-file infra/main.bicep --parameters environmentName=E location=L`.
// Names must agree with the code: containers (src/core/jobNaming.ts CONTAINERS), the work queue
// (src/composition/local/localContext.ts), the work and control queues and the ledger table
// (src/composition/azure/azureConfig.ts AZURE_DEFAULTS) and TESSERA_* settings (src/config/config.ts); test/infra checks it.

targetScope = 'subscription'

@description('Required. Name of the environment (azd): prefixes the resource group and seeds unique names.')
@minLength(1)
@maxLength(64)
param environmentName string

@description('Required. Azure region for every resource.')
param location string

@description('Optional. Resource group to create; default rg-<environmentName>.')
param resourceGroupName string = ''

@description('Optional. Object id of the person or pipeline deploying (azd sets it): gets cluster admin, image push, inbox upload and results read, so deploy and smoke test work without keys. Empty: none.')
param principalId string = ''

@description('Optional. Type of principalId.')
@allowed(['User', 'ServicePrincipal', 'Group'])
param principalType string = 'User'

@description('Optional. GPU VM size of the scorer pool (H100 or A100 NC series).')
@allowed([
  'Standard_NC40ads_H100_v5'
  'Standard_NC80adis_H100_v5'
  'Standard_NC24ads_A100_v4'
  'Standard_NC48ads_A100_v4'
  'Standard_NC96ads_A100_v4'
])
param gpuVmSize string = 'Standard_NC24ads_A100_v4'

@description('Optional. Most GPU nodes. The pool scales from 0.')
@minValue(1)
@maxValue(100)
param gpuMaxCount int = 4

@description('Optional. Run the GPU pool on spot VMs.')
param gpuSpot bool = false

@description('Optional. AKS tier: Standard (the uptime SLA, about $73 a month) by default; Free has no SLA, for experiments.')
@allowed(['Free', 'Standard'])
param aksTier string = 'Standard'

@description('Optional. Spread the AKS system pool over availability zones 1, 2 and 3 when the region has them (regionsWithZones); false: no zones. The GPU pool stays zone-less: GPU sizes are often offered in one or two zones of a region only.')
param aksZoneRedundant bool = true

@description('Optional. Client (application) id of the Entra ID app registration for the HTTP API (see functions/README.md, Authentication). Empty: the API requires authentication and refuses every call (401) until one is set.')
param apiClientId string = ''

@description('Optional. Client ids of the applications allowed to call the HTTP API; empty: any application of the tenant with a token for it.')
param apiAllowedClientApplications string[] = []

@description('Optional. Peek-lock duration of the work and control queues in seconds. The worker renews the lock every third of it while a shard runs (the Functions host renews control messages likewise); a crashed worker\'s shard is redelivered after it. Sets TESSERA_LOCK_MS.')
@minValue(5)
@maxValue(300)
param queueLockDurationSeconds int = 60

@description('Optional. Deliveries before a work or control message is dead-lettered. Sets TESSERA_MAX_DELIVERIES.')
@minValue(1)
@maxValue(100)
param queueMaxDeliveryCount int = 5

@description('Optional. Partitions of the readings event hub.')
@minValue(1)
@maxValue(32)
param eventHubPartitionCount int = 4

@description('Optional. Days intermediate parts and shard outputs stay in the work container.')
@minValue(1)
@maxValue(365)
param workRetentionDays int = 7

@description('Optional. Days rejected and dead-lettered blobs are kept.')
@minValue(1)
@maxValue(3650)
param rejectedRetentionDays int = 90

@description('Optional. Let the Function App receive from the work queue\'s dead-letter subqueue (the dlq inspect and re-drive endpoints). Off: it can only send.')
param functionsCanRedrive bool = true

@description('Optional. Log level of the Functions and the scorer (TESSERA_LOG_LEVEL).')
@allowed(['debug', 'info', 'warn', 'error'])
param logLevel string = 'info'

@description('Optional. Put storage, Service Bus, Event Hubs, the registry and the Function App behind private endpoints in a VNet that the Function App (VNet integration) and the AKS nodes join. Raises the idle cost (Service Bus and the registry must be Premium; see infra/README.md, Private networking) and deploying then needs a machine inside the VNet.')
param privateNetworking bool = false

@description('Optional. Tags for every resource.')
param tags object = {}

var abbrs = loadJsonContent('abbreviations.json')
// Regions with availability zones (learn.microsoft.com/azure/reliability/availability-zones-region-support,
// the list as of 2025; a region that gains zones is added here).
var regionsWithZones = [
  'australiaeast'
  'austriaeast'
  'brazilsouth'
  'canadacentral'
  'centralindia'
  'centralus'
  'chilecentral'
  'eastasia'
  'eastus'
  'eastus2'
  'francecentral'
  'germanywestcentral'
  'indonesiacentral'
  'israelcentral'
  'italynorth'
  'japaneast'
  'japanwest'
  'koreacentral'
  'malaysiawest'
  'mexicocentral'
  'newzealandnorth'
  'northeurope'
  'norwayeast'
  'polandcentral'
  'qatarcentral'
  'southafricanorth'
  'southcentralus'
  'southeastasia'
  'spaincentral'
  'swedencentral'
  'switzerlandnorth'
  'uaenorth'
  'uksouth'
  'westeurope'
  'westus2'
  'westus3'
]
// privateNetworking: the private DNS zones, by the endpoint kind that uses each.
var privateDnsZones = {
  blob: 'privatelink.blob.${environment().suffixes.storage}'
  queue: 'privatelink.queue.${environment().suffixes.storage}'
  table: 'privatelink.table.${environment().suffixes.storage}'
  servicebus: 'privatelink.servicebus.windows.net'
  registry: 'privatelink.azurecr.io'
  sites: 'privatelink.azurewebsites.net'
}
var systemPoolZones = aksZoneRedundant && contains(regionsWithZones, toLower(location)) ? ['1', '2', '3'] : []
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var allTags = union(tags, { 'azd-env-name': environmentName, application: 'tessera' })

// Names the code uses. Containers mirror CONTAINERS in src/core/jobNaming.ts, plus `rejected`.
var containers = {
  inbox: 'inbox'
  work: 'work'
  results: 'results'
  models: 'models'
  // Stream windows by date and hour, the aggregator's snapshots and dead-lettered events: kept (no lifecycle rule).
  windows: 'windows'
  rejected: 'rejected'
  // The Event Hubs event log's checkpoints (the aggregator's position per partition): kept.
  // AZURE_DEFAULTS.checkpointContainer in src/composition/azure/azureConfig.ts (TESSERA_EVENTHUBS_CHECKPOINT_CONTAINER).
  checkpoints: 'checkpoints'
}
var workQueueName = 'jobs'
// Plan and finish messages: consumed by the Function App, so GPU workers only ever receive shards.
var controlQueueName = 'control'
var eventHubName = 'readings'
var aggregatorConsumerGroup = 'aggregator'
var ledgerTable = 'jobledger'
// The blob extension parks a blob whose function keeps failing here, on the trigger's own account
// (the data account): created up front so the Functions identity's queue role can be scoped to it.
var blobTriggerPoisonQueue = 'webjobs-blobtrigger-poison'
var deploymentContainer = 'app-package'
// GPUs on one node of each allowed GPU size: a scorer takes one, so the pool holds at most
// gpuMaxCount times this many scorers (the KEDA ScaledObject's maxReplicaCount, SCORER_MAX_REPLICAS).
var gpusPerNode = {
  Standard_NC40ads_H100_v5: 1
  Standard_NC80adis_H100_v5: 2
  Standard_NC24ads_A100_v4: 1
  Standard_NC48ads_A100_v4: 2
  Standard_NC96ads_A100_v4: 4
}
var scorerNamespace = 'tessera'
var scorerServiceAccount = 'tessera-scorer'

resource rg 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: empty(resourceGroupName) ? '${abbrs.resourcesResourceGroups}${environmentName}' : resourceGroupName
  location: location
  tags: allTags
}

module network 'modules/network.bicep' = if (privateNetworking) {
  name: 'network'
  scope: rg
  params: {
    name: '${abbrs.networkVirtualNetworks}${resourceToken}'
    location: location
    tags: allTags
    privateDnsZoneNames: [
      privateDnsZones.blob
      privateDnsZones.queue
      privateDnsZones.table
      privateDnsZones.servicebus
      privateDnsZones.registry
      privateDnsZones.sites
    ]
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: allTags
  }
}

module dataStorage 'modules/storage.bicep' = {
  name: 'data-storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    location: location
    tags: allTags
    containers: [containers.inbox, containers.work, containers.results, containers.models, containers.windows, containers.rejected, containers.checkpoints]
    tables: [ledgerTable]
    queues: [blobTriggerPoisonQueue]
    privateOnly: privateNetworking
    enableVersioning: true
    softDeleteRetentionDays: 14
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
    lifecycleRules: [
      {
        name: 'expire-intermediate-work'
        prefixes: ['${containers.work}/']
        deleteAfterDays: workRetentionDays
      }
      {
        name: 'expire-rejected'
        prefixes: ['${containers.rejected}/']
        deleteAfterDays: rejectedRetentionDays
      }
    ]
  }
}

module hostStorage 'modules/storage.bicep' = {
  name: 'host-storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}h${resourceToken}'
    location: location
    tags: allTags
    containers: [deploymentContainer]
    privateOnly: privateNetworking
    enableVersioning: false
    softDeleteRetentionDays: 7
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
  }
}

module serviceBus 'modules/servicebus.bicep' = {
  name: 'service-bus'
  scope: rg
  params: {
    name: '${abbrs.serviceBusNamespaces}${resourceToken}'
    location: location
    tags: allTags
    // Private endpoints need Premium.
    skuName: privateNetworking ? 'Premium' : 'Standard'
    publicNetworkAccess: privateNetworking ? 'Disabled' : 'Enabled'
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
    queues: [
      {
        name: workQueueName
        lockDurationSeconds: queueLockDurationSeconds
        maxDeliveryCount: queueMaxDeliveryCount
        duplicateDetectionWindow: 'P1D'
        defaultMessageTimeToLive: 'P14D'
      }
      {
        name: controlQueueName
        lockDurationSeconds: queueLockDurationSeconds
        maxDeliveryCount: queueMaxDeliveryCount
        duplicateDetectionWindow: 'P1D'
        defaultMessageTimeToLive: 'P14D'
      }
    ]
  }
}

module eventHubs 'modules/eventhubs.bicep' = {
  name: 'event-hubs'
  scope: rg
  params: {
    name: '${abbrs.eventHubNamespaces}${resourceToken}'
    location: location
    tags: allTags
    publicNetworkAccess: privateNetworking ? 'Disabled' : 'Enabled'
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
    hubName: eventHubName
    partitionCount: eventHubPartitionCount
    consumerGroups: [aggregatorConsumerGroup]
  }
}

module registry 'modules/registry.bicep' = {
  name: 'registry'
  scope: rg
  params: {
    name: '${abbrs.containerRegistryRegistries}${resourceToken}'
    location: location
    tags: allTags
    // Private endpoints need Premium.
    skuName: privateNetworking ? 'Premium' : 'Basic'
    publicNetworkAccess: privateNetworking ? 'Disabled' : 'Enabled'
  }
}

// privateNetworking: AKS joins a subnet it did not create, so its control plane runs as an identity
// that already has Network Contributor on that one subnet when the cluster is created (a
// system-assigned identity would exist only afterwards).
module clusterIdentity 'modules/identity.bicep' = if (privateNetworking) {
  name: 'identity-cluster'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}aks-${resourceToken}'
    location: location
    tags: allTags
  }
}

module nodeSubnetRoles 'modules/rbac/subnet.bicep' = if (privateNetworking) {
  name: 'rbac-node-subnet'
  scope: rg
  params: {
    virtualNetworkName: privateNetworking ? network.outputs.name : ''
    subnetName: 'aks'
    roles: [
      { principalId: privateNetworking ? clusterIdentity.outputs.principalId : '', principalType: 'ServicePrincipal', role: 'Network Contributor' }
    ]
  }
}

module cluster 'modules/aks.bicep' = {
  name: 'aks'
  scope: rg
  params: {
    name: '${abbrs.containerServiceManagedClusters}${resourceToken}'
    location: location
    tags: allTags
    tier: aksTier
    systemZones: systemPoolZones
    gpuVmSize: gpuVmSize
    gpuMaxCount: gpuMaxCount
    gpuSpot: gpuSpot
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
    nodeSubnetId: privateNetworking ? network.outputs.aksSubnetId : ''
    controlPlaneIdentityId: privateNetworking ? clusterIdentity.outputs.resourceId : ''
  }
  dependsOn: [nodeSubnetRoles]
}

module functionsIdentity 'modules/identity.bicep' = {
  name: 'identity-functions'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}func-${resourceToken}'
    location: location
    tags: allTags
  }
}

module scorerIdentity 'modules/identity.bicep' = {
  name: 'identity-scorer'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}scorer-${resourceToken}'
    location: location
    tags: allTags
    oidcIssuerUrl: cluster.outputs.oidcIssuerUrl
    serviceAccounts: ['${scorerNamespace}:${scorerServiceAccount}']
  }
}

// The KEDA add-on's operator reads the queue's message count with this identity.
module kedaIdentity 'modules/identity.bicep' = {
  name: 'identity-keda'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}keda-${resourceToken}'
    location: location
    tags: allTags
    oidcIssuerUrl: cluster.outputs.oidcIssuerUrl
    serviceAccounts: ['kube-system:keda-operator']
  }
}

module eventGrid 'modules/eventgrid.bicep' = {
  name: 'event-grid'
  scope: rg
  params: {
    name: '${abbrs.eventGridSystemTopics}${resourceToken}'
    location: location
    tags: allTags
    storageAccountId: dataStorage.outputs.resourceId
  }
}

var identityCredential = 'managedidentity'

// App settings: identity-based connections (Functions style) and the TESSERA_* configuration the
// code parses (src/config/config.ts). No value here is a secret.
var functionsSettings = {
  TESSERA_STORAGE__blobServiceUri: dataStorage.outputs.blobEndpoint
  TESSERA_STORAGE__queueServiceUri: dataStorage.outputs.queueEndpoint
  TESSERA_STORAGE__tableServiceUri: dataStorage.outputs.tableEndpoint
  TESSERA_STORAGE__credential: identityCredential
  TESSERA_STORAGE__clientId: functionsIdentity.outputs.clientId
  TESSERA_SERVICEBUS__fullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
  TESSERA_SERVICEBUS__credential: identityCredential
  TESSERA_SERVICEBUS__clientId: functionsIdentity.outputs.clientId
  TESSERA_EVENTHUBS__fullyQualifiedNamespace: eventHubs.outputs.fullyQualifiedNamespace
  TESSERA_EVENTHUBS__credential: identityCredential
  TESSERA_EVENTHUBS__clientId: functionsIdentity.outputs.clientId
  TESSERA_WORK_QUEUE: workQueueName
  TESSERA_CONTROL_QUEUE: controlQueueName
  TESSERA_EVENTHUB_NAME: eventHubName
  TESSERA_EVENTHUB_CONSUMER_GROUP: aggregatorConsumerGroup
  TESSERA_EVENTHUBS_CHECKPOINT_CONTAINER: containers.checkpoints
  TESSERA_LEDGER_TABLE: ledgerTable
  TESSERA_LOCK_MS: string(queueLockDurationSeconds * 1000)
  TESSERA_MAX_DELIVERIES: string(queueMaxDeliveryCount)
  TESSERA_LOG_LEVEL: logLevel
}

module functionApp 'modules/functions.bicep' = {
  name: 'functions'
  scope: rg
  params: {
    name: '${abbrs.webSitesFunctions}${resourceToken}'
    planName: '${abbrs.webServerFarms}${resourceToken}'
    location: location
    tags: allTags
    identityId: functionsIdentity.outputs.resourceId
    identityClientId: functionsIdentity.outputs.clientId
    hostStorageName: hostStorage.outputs.name
    deploymentContainer: deploymentContainer
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    appSettings: functionsSettings
    apiClientId: apiClientId
    apiAllowedClientApplications: apiAllowedClientApplications
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
    virtualNetworkSubnetId: privateNetworking ? network.outputs.functionsSubnetId : ''
    privateOnly: privateNetworking
  }
}

// ---- privateNetworking: one private endpoint per service sub-resource, its DNS in the linked zone. ----

// The for-expression needs names known at the start of the deployment; the targets are looked up by them.
var privateEndpointNames = privateNetworking
  ? ['data-blob', 'data-queue', 'data-table', 'host-blob', 'host-queue', 'host-table', 'servicebus', 'eventhubs', 'registry', 'functions']
  : []
var privateEndpointTargets = {
  'data-blob': { id: dataStorage.outputs.resourceId, group: 'blob', zone: privateDnsZones.blob }
  'data-queue': { id: dataStorage.outputs.resourceId, group: 'queue', zone: privateDnsZones.queue }
  'data-table': { id: dataStorage.outputs.resourceId, group: 'table', zone: privateDnsZones.table }
  'host-blob': { id: hostStorage.outputs.resourceId, group: 'blob', zone: privateDnsZones.blob }
  'host-queue': { id: hostStorage.outputs.resourceId, group: 'queue', zone: privateDnsZones.queue }
  'host-table': { id: hostStorage.outputs.resourceId, group: 'table', zone: privateDnsZones.table }
  servicebus: { id: serviceBus.outputs.resourceId, group: 'namespace', zone: privateDnsZones.servicebus }
  eventhubs: { id: eventHubs.outputs.resourceId, group: 'namespace', zone: privateDnsZones.servicebus }
  registry: { id: registry.outputs.resourceId, group: 'registry', zone: privateDnsZones.registry }
  functions: { id: functionApp.outputs.resourceId, group: 'sites', zone: privateDnsZones.sites }
}

module privateEndpoints 'modules/private-endpoint.bicep' = [
  for endpoint in privateEndpointNames: {
    name: 'pep-${endpoint}'
    scope: rg
    params: {
      name: '${abbrs.networkPrivateEndpoints}${endpoint}-${resourceToken}'
      location: location
      tags: allTags
      subnetId: network.outputs.endpointSubnetId
      targetId: privateEndpointTargets[endpoint].id
      groupId: privateEndpointTargets[endpoint].group
      privateDnsZoneName: privateEndpointTargets[endpoint].zone
    }
  }
]

// ---- Role assignments: least privilege per component, by role name (modules/roles.bicep). ----

var funcPrincipal = functionsIdentity.outputs.principalId
var scorerPrincipal = scorerIdentity.outputs.principalId
var hasDeployer = !empty(principalId)

module functionsHostRoles 'modules/rbac/storage.bicep' = {
  name: 'rbac-functions-host-storage'
  scope: rg
  params: {
    storageAccountName: hostStorage.outputs.name
    // AzureWebJobsStorage: the host keeps leases, keys and Event Hubs checkpoints in blobs and
    // uses queues and tables of its own account: Blob Data Owner, Queue Data Contributor and Table
    // Data Contributor, the roles the Functions documentation lists for an identity-based host
    // storage connection.
    accountRoles: [
      { principalId: funcPrincipal, principalType: 'ServicePrincipal', role: 'Storage Blob Data Owner' }
      { principalId: funcPrincipal, principalType: 'ServicePrincipal', role: 'Storage Queue Data Contributor' }
      { principalId: funcPrincipal, principalType: 'ServicePrincipal', role: 'Storage Table Data Contributor' }
    ]
  }
}

module dataRoles 'modules/rbac/storage.bicep' = {
  name: 'rbac-data-storage'
  scope: rg
  params: {
    storageAccountName: dataStorage.outputs.name
    containerRoles: concat(
      [
        // Functions: the blob trigger on inbox needs Blob Data Owner there (its documented role; it
        // covers submit's writes too), plan writes parts to work, finish results, dead letters rejected.
        { container: containers.inbox, request: { principalId: funcPrincipal, principalType: 'ServicePrincipal', role: 'Storage Blob Data Owner' } }
        { container: containers.work, request: { principalId: funcPrincipal, principalType: 'ServicePrincipal', role: 'Storage Blob Data Contributor' } }
        { container: containers.results, request: { principalId: funcPrincipal, principalType: 'ServicePrincipal', role: 'Storage Blob Data Contributor' } }
        { container: containers.rejected, request: { principalId: funcPrincipal, principalType: 'ServicePrincipal', role: 'Storage Blob Data Contributor' } }
        { container: containers.models, request: { principalId: funcPrincipal, principalType: 'ServicePrincipal', role: 'Storage Blob Data Reader' } }
        // Functions: the Event Hubs aggregator writes window batches, snapshots and dead-lettered events; stream runs read them.
        { container: containers.windows, request: { principalId: funcPrincipal, principalType: 'ServicePrincipal', role: 'Storage Blob Data Contributor' } }
        // Functions: the Event Hubs event log reads and writes the aggregator's checkpoints.
        { container: containers.checkpoints, request: { principalId: funcPrincipal, principalType: 'ServicePrincipal', role: 'Storage Blob Data Contributor' } }
        // Scorer: reads parts and writes shard outputs (work), writes results, reads inputs and models.
        { container: containers.work, request: { principalId: scorerPrincipal, principalType: 'ServicePrincipal', role: 'Storage Blob Data Contributor' } }
        { container: containers.results, request: { principalId: scorerPrincipal, principalType: 'ServicePrincipal', role: 'Storage Blob Data Contributor' } }
        { container: containers.inbox, request: { principalId: scorerPrincipal, principalType: 'ServicePrincipal', role: 'Storage Blob Data Reader' } }
        { container: containers.models, request: { principalId: scorerPrincipal, principalType: 'ServicePrincipal', role: 'Storage Blob Data Reader' } }
        // Event Grid dead-letters undeliverable BlobCreated events here.
        { container: containers.rejected, request: { principalId: eventGrid.outputs.principalId, principalType: 'ServicePrincipal', role: 'Storage Blob Data Contributor' } }
      ],
      hasDeployer
        ? [
            // The deployer: the smoke test uploads to inbox and reads results; models are registered from a workstation.
            { container: containers.inbox, request: { principalId: principalId, principalType: principalType, role: 'Storage Blob Data Contributor' } }
            { container: containers.results, request: { principalId: principalId, principalType: principalType, role: 'Storage Blob Data Reader' } }
            { container: containers.models, request: { principalId: principalId, principalType: principalType, role: 'Storage Blob Data Contributor' } }
          ]
        : []
    )
    queueRoles: [
      // The blob trigger parks a poison blob's message in this queue of the trigger's account.
      { queue: blobTriggerPoisonQueue, request: { principalId: funcPrincipal, principalType: 'ServicePrincipal', role: 'Storage Queue Data Contributor' } }
    ]
    tableRoles: [
      { table: ledgerTable, request: { principalId: funcPrincipal, principalType: 'ServicePrincipal', role: 'Storage Table Data Contributor' } }
      { table: ledgerTable, request: { principalId: scorerPrincipal, principalType: 'ServicePrincipal', role: 'Storage Table Data Contributor' } }
    ]
  }
}

module queueRoles 'modules/rbac/servicebus.bicep' = {
  name: 'rbac-work-queue'
  scope: rg
  params: {
    namespaceName: serviceBus.outputs.name
    queueName: workQueueName
    roles: concat(
      [
        { principalId: funcPrincipal, principalType: 'ServicePrincipal', role: 'Azure Service Bus Data Sender' }
        { principalId: scorerPrincipal, principalType: 'ServicePrincipal', role: 'Azure Service Bus Data Receiver' }
        { principalId: scorerPrincipal, principalType: 'ServicePrincipal', role: 'Azure Service Bus Data Sender' }
        // KEDA reads the queue's message count through the management API, which needs Manage
        // rights: Owner, but on this one queue only.
        { principalId: kedaIdentity.outputs.principalId, principalType: 'ServicePrincipal', role: 'Azure Service Bus Data Owner' }
      ],
      functionsCanRedrive
        ? [{ principalId: funcPrincipal, principalType: 'ServicePrincipal', role: 'Azure Service Bus Data Receiver' }]
        : []
    )
  }
}

module controlQueueRoles 'modules/rbac/servicebus.bicep' = {
  name: 'rbac-control-queue'
  scope: rg
  params: {
    namespaceName: serviceBus.outputs.name
    queueName: controlQueueName
    roles: [
      // Functions: its trigger receives plan and finish messages; submit and re-drive send them.
      { principalId: funcPrincipal, principalType: 'ServicePrincipal', role: 'Azure Service Bus Data Receiver' }
      { principalId: funcPrincipal, principalType: 'ServicePrincipal', role: 'Azure Service Bus Data Sender' }
      // The Service Bus trigger's scale controller reads the queue's message count through the
      // management API, which needs Manage rights: Data Owner, on this one queue only.
      { principalId: funcPrincipal, principalType: 'ServicePrincipal', role: 'Azure Service Bus Data Owner' }
      // Scorer: the fan-in after a job's last shard sends its finish message.
      { principalId: scorerPrincipal, principalType: 'ServicePrincipal', role: 'Azure Service Bus Data Sender' }
    ]
  }
}

module hubRoles 'modules/rbac/eventhubs.bicep' = {
  name: 'rbac-readings-hub'
  scope: rg
  params: {
    namespaceName: eventHubs.outputs.name
    hubName: eventHubName
    roles: [
      // The Event Hubs trigger's documented roles: Data Receiver and Data Owner (the scale controller
      // reads the hub's partitions and the trigger manages its consumer's position), on this one hub.
      { principalId: funcPrincipal, principalType: 'ServicePrincipal', role: 'Azure Event Hubs Data Receiver' }
      { principalId: funcPrincipal, principalType: 'ServicePrincipal', role: 'Azure Event Hubs Data Owner' }
    ]
  }
}

module registryRoles 'modules/rbac/registry.bicep' = {
  name: 'rbac-registry'
  scope: rg
  params: {
    registryName: registry.outputs.name
    roles: concat(
      [
        // The kubelet pulls the scorer's image; the scorer's own identity never needs the registry.
        { principalId: cluster.outputs.kubeletObjectId, principalType: 'ServicePrincipal', role: 'AcrPull' }
      ],
      hasDeployer ? [{ principalId: principalId, principalType: principalType, role: 'AcrPush' }] : []
    )
  }
}

module insightsRoles 'modules/rbac/insights.bicep' = {
  name: 'rbac-app-insights'
  scope: rg
  params: {
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    roles: [
      { principalId: funcPrincipal, principalType: 'ServicePrincipal', role: 'Monitoring Metrics Publisher' }
      // The scorer sends its traces and metrics with its own identity (src/telemetry/setup.ts, Azure Monitor).
      { principalId: scorerPrincipal, principalType: 'ServicePrincipal', role: 'Monitoring Metrics Publisher' }
    ]
  }
}

module clusterRoles 'modules/rbac/cluster.bicep' = if (hasDeployer) {
  name: 'rbac-cluster'
  scope: rg
  params: {
    clusterName: cluster.outputs.name
    roles: [
      { principalId: principalId, principalType: principalType, role: 'Azure Kubernetes Service RBAC Cluster Admin' }
    ]
  }
}

// ---- Outputs: azd stores them in the environment; the hooks and the k8s overlays read them. ----

@description('The region.')
output AZURE_LOCATION string = location

@description('The tenant.')
output AZURE_TENANT_ID string = tenant().tenantId

@description('The resource group.')
output AZURE_RESOURCE_GROUP string = rg.name

@description('The registry login server (azd pushes the scorer image there).')
output AZURE_CONTAINER_REGISTRY_ENDPOINT string = registry.outputs.loginServer

@description('The registry name.')
output AZURE_CONTAINER_REGISTRY_NAME string = registry.outputs.name

@description('The AKS cluster name (azd deploys the scorer there).')
output AZURE_AKS_CLUSTER_NAME string = cluster.outputs.name

@description('The Function App name.')
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name

@description('The Function App host name.')
output AZURE_FUNCTION_APP_HOST string = functionApp.outputs.defaultHostName

@description('The data storage account name.')
output AZURE_STORAGE_ACCOUNT_NAME string = dataStorage.outputs.name

@description('The data storage account resource id.')
output AZURE_STORAGE_ACCOUNT_ID string = dataStorage.outputs.resourceId

@description('The Event Grid system topic of the data storage account.')
output AZURE_EVENTGRID_SYSTEM_TOPIC string = eventGrid.outputs.name

@description('Client id of the scorer\'s workload identity (ServiceAccount annotation).')
output SCORER_CLIENT_ID string = scorerIdentity.outputs.clientId

@description('Client id of the identity KEDA uses to read the queue length.')
output KEDA_CLIENT_ID string = kedaIdentity.outputs.clientId

@description('The Service Bus namespace name (KEDA trigger metadata).')
output SERVICEBUS_NAMESPACE string = serviceBus.outputs.name

@description('The Service Bus namespace host name.')
output SERVICEBUS_FQDN string = serviceBus.outputs.fullyQualifiedNamespace

@description('The Event Hubs namespace host name.')
output EVENTHUBS_FQDN string = eventHubs.outputs.fullyQualifiedNamespace

@description('The data account blob endpoint.')
output STORAGE_BLOB_ENDPOINT string = dataStorage.outputs.blobEndpoint

@description('The data account table endpoint.')
output STORAGE_TABLE_ENDPOINT string = dataStorage.outputs.tableEndpoint

@description('The work queue name.')
output WORK_QUEUE_NAME string = workQueueName

@description('The control queue name (plan and finish messages).')
output CONTROL_QUEUE_NAME string = controlQueueName

@description('The job ledger table name.')
output LEDGER_TABLE string = ledgerTable

@description('TESSERA_LOCK_MS: the work and control queues\' lock duration in milliseconds.')
output TESSERA_LOCK_MS string = string(queueLockDurationSeconds * 1000)

@description('TESSERA_MAX_DELIVERIES: the work and control queues\' maxDeliveryCount.')
output TESSERA_MAX_DELIVERIES string = string(queueMaxDeliveryCount)

@description('TESSERA_LOG_LEVEL for the scorer.')
output TESSERA_LOG_LEVEL string = logLevel

@description('The most scorer replicas KEDA may ask for: the GPU pool\'s gpuMaxCount nodes times the GPUs of one node (one GPU per scorer).')
output SCORER_MAX_REPLICAS string = string(gpuMaxCount * gpusPerNode[gpuVmSize])

@description('The Application Insights component: the scorer\'s predeploy hook reads its connection string into the azd environment (never a deployment output).')
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
