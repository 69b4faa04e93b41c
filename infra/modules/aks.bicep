// AKS: a small system pool and a GPU user pool that autoscales from 0 (tainted, optionally spot),
// Entra ID-only access with Azure RBAC (local accounts off), OIDC issuer and workload identity,
// the KEDA add-on, and Container Insights that sends with the cluster's identity, not a workspace key.

@description('Required. Name of the cluster.')
param name string

@description('Optional. Location of the cluster.')
param location string = resourceGroup().location

@description('Optional. Tags for the cluster.')
param tags object = {}

@description('Optional. Kubernetes version; empty takes the region\'s default.')
param kubernetesVersion string = ''

@description('Optional. Standard has the uptime SLA (and a fixed hourly fee); Free has none.')
@allowed(['Free', 'Standard'])
param tier string = 'Standard'

@description('Optional. Availability zones of the system pool (empty: none); the GPU pool is zone-less.')
param systemZones string[] = []

@description('Optional. VM size of the system pool.')
param systemVmSize string = 'Standard_D4ds_v5'

@description('Optional. Most nodes of the system pool.')
@minValue(1)
@maxValue(10)
param systemMaxCount int = 3

@description('Optional. VM size of the GPU pool: an H100 (NCads H100 v5) or A100 (NC A100 v4) size.')
@allowed([
  'Standard_NC40ads_H100_v5'
  'Standard_NC80adis_H100_v5'
  'Standard_NC24ads_A100_v4'
  'Standard_NC48ads_A100_v4'
  'Standard_NC96ads_A100_v4'
])
param gpuVmSize string = 'Standard_NC24ads_A100_v4'

@description('Optional. Most nodes of the GPU pool. It scales from 0, so it costs nothing while idle.')
@minValue(1)
@maxValue(100)
param gpuMaxCount int = 4

@description('Optional. Run the GPU pool on spot VMs (evictable, much cheaper). Shards on an evicted node are redelivered after their lock expires.')
param gpuSpot bool = false

@description('Optional. Resource id of the subnet both node pools join (privateNetworking: the nodes reach the private endpoints). Empty: AKS creates its own VNet.')
param nodeSubnetId string = ''

@description('Optional. Resource id of a user-assigned identity for the control plane (with Network Contributor on nodeSubnetId before the cluster is created). Empty: a system-assigned one.')
param controlPlaneIdentityId string = ''

@description('Required. Resource id of the Log Analytics workspace for Container Insights.')
param logAnalyticsWorkspaceId string

var gpuTaint = 'nvidia.com/gpu=present:NoSchedule'
var spotTaint = 'kubernetes.azure.com/scalesetpriority=spot:NoSchedule'

resource aks 'Microsoft.ContainerService/managedClusters@2026-05-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Base'
    tier: tier
  }
  identity: empty(controlPlaneIdentityId)
    ? {
        type: 'SystemAssigned'
      }
    : {
        type: 'UserAssigned'
        userAssignedIdentities: {
          '${controlPlaneIdentityId}': {}
        }
      }
  properties: {
    kubernetesVersion: empty(kubernetesVersion) ? null : kubernetesVersion
    dnsPrefix: name
    enableRBAC: true
    disableLocalAccounts: true
    aadProfile: {
      managed: true
      enableAzureRBAC: true
    }
    oidcIssuerProfile: {
      enabled: true
    }
    securityProfile: {
      workloadIdentity: {
        enabled: true
      }
    }
    workloadAutoScalerProfile: {
      keda: {
        enabled: true
      }
    }
    addonProfiles: {
      omsagent: {
        enabled: true
        config: {
          logAnalyticsWorkspaceResourceID: logAnalyticsWorkspaceId
          useAADAuth: 'true'
        }
      }
    }
    autoUpgradeProfile: {
      upgradeChannel: 'patch'
      nodeOSUpgradeChannel: 'NodeImage'
    }
    autoScalerProfile: {
      'scale-down-unneeded-time': '10m'
      'scale-down-delay-after-add': '10m'
      expander: 'least-waste'
    }
    networkProfile: {
      networkPlugin: 'azure'
      networkPluginMode: 'overlay'
      networkDataplane: 'cilium'
      networkPolicy: 'cilium'
    }
    agentPoolProfiles: [
      {
        name: 'system'
        mode: 'System'
        vmSize: systemVmSize
        osType: 'Linux'
        osSKU: 'AzureLinux'
        type: 'VirtualMachineScaleSets'
        enableAutoScaling: true
        count: 1
        minCount: 1
        maxCount: systemMaxCount
        availabilityZones: empty(systemZones) ? null : systemZones
        vnetSubnetID: empty(nodeSubnetId) ? null : nodeSubnetId
        nodeTaints: ['CriticalAddonsOnly=true:NoSchedule']
      }
      {
        name: 'gpu'
        mode: 'User'
        vmSize: gpuVmSize
        osType: 'Linux'
        osSKU: 'Ubuntu'
        type: 'VirtualMachineScaleSets'
        enableAutoScaling: true
        count: 0
        minCount: 0
        maxCount: gpuMaxCount
        vnetSubnetID: empty(nodeSubnetId) ? null : nodeSubnetId
        scaleSetPriority: gpuSpot ? 'Spot' : 'Regular'
        scaleSetEvictionPolicy: gpuSpot ? 'Delete' : null
        spotMaxPrice: gpuSpot ? -1 : null
        nodeTaints: gpuSpot ? [gpuTaint, spotTaint] : [gpuTaint]
        nodeLabels: {
          'tessera.io/pool': 'gpu'
        }
        gpuProfile: {
          driver: 'Install'
        }
      }
    ]
  }
}

// Container Insights with managed identity authentication: the add-on sends through this rule.
resource containerInsightsRule 'Microsoft.Insights/dataCollectionRules@2024-03-11' = {
  name: 'MSCI-${location}-${name}'
  location: location
  tags: tags
  kind: 'Linux'
  properties: {
    dataSources: {
      extensions: [
        {
          name: 'ContainerInsightsExtension'
          extensionName: 'ContainerInsights'
          streams: ['Microsoft-ContainerInsights-Group-Default']
          extensionSettings: {
            dataCollectionSettings: {
              interval: '1m'
              namespaceFilteringMode: 'Off'
              enableContainerLogV2: true
            }
          }
        }
      ]
    }
    destinations: {
      logAnalytics: [
        {
          name: 'ciworkspace'
          workspaceResourceId: logAnalyticsWorkspaceId
        }
      ]
    }
    dataFlows: [
      {
        streams: ['Microsoft-ContainerInsights-Group-Default']
        destinations: ['ciworkspace']
      }
    ]
  }
}

resource containerInsightsAssociation 'Microsoft.Insights/dataCollectionRuleAssociations@2024-03-11' = {
  name: 'ContainerInsightsExtension'
  scope: aks
  properties: {
    dataCollectionRuleId: containerInsightsRule.id
    description: 'Container Insights for the Tessera cluster.'
  }
}

@description('The cluster\'s resource id.')
output resourceId string = aks.id

@description('The cluster\'s name.')
output name string = aks.name

@description('The OIDC issuer URL, for federated credentials.')
output oidcIssuerUrl string = aks.properties.oidcIssuerProfile.issuerURL

@description('Object id of the kubelet identity: the identity that pulls images (AcrPull).')
output kubeletObjectId string = aks.properties.identityProfile.kubeletidentity.objectId
