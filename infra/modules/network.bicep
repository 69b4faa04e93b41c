// The private network of `privateNetworking`: one VNet with a subnet for the AKS nodes, one for
// private endpoints and one delegated to the Flex Consumption Function App's VNet integration, and
// the private DNS zones (linked to the VNet) that make the services' public names resolve to their
// private endpoints inside it.

@description('Required. Name of the virtual network.')
param name string

@description('Optional. Location of the virtual network.')
param location string = resourceGroup().location

@description('Optional. Tags for the network resources.')
param tags object = {}

@description('Optional. Address space of the VNet. It must not overlap AKS\'s pod (10.244.0.0/16) and service (10.0.0.0/16) ranges.')
param addressPrefix string = '10.240.0.0/16'

@description('Optional. Subnet of the AKS nodes (overlay networking: pods take no VNet addresses).')
param aksSubnetPrefix string = '10.240.0.0/20'

@description('Optional. Subnet of the private endpoints.')
param endpointSubnetPrefix string = '10.240.16.0/24'

@description('Optional. Subnet delegated to the Function App\'s VNet integration (Microsoft.App/environments, as Flex Consumption requires).')
param functionsSubnetPrefix string = '10.240.17.0/24'

@description('Required. Private DNS zones to create and link, e.g. privatelink.blob.core.windows.net.')
param privateDnsZoneNames string[]

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [addressPrefix]
    }
    subnets: [
      {
        name: 'aks'
        properties: {
          addressPrefix: aksSubnetPrefix
        }
      }
      {
        name: 'endpoints'
        properties: {
          addressPrefix: endpointSubnetPrefix
          privateEndpointNetworkPolicies: 'Disabled'
        }
      }
      {
        name: 'functions'
        properties: {
          addressPrefix: functionsSubnetPrefix
          delegations: [
            {
              name: 'flex-consumption'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
    ]
  }
}

resource zones 'Microsoft.Network/privateDnsZones@2024-06-01' = [
  for zone in privateDnsZoneNames: {
    name: zone
    location: 'global'
    tags: tags
  }
]

resource links 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = [
  for (zone, i) in privateDnsZoneNames: {
    parent: zones[i]
    name: name
    location: 'global'
    tags: tags
    properties: {
      registrationEnabled: false
      virtualNetwork: {
        id: vnet.id
      }
    }
  }
]

@description('The VNet\'s name.')
output name string = vnet.name

@description('The AKS node subnet\'s resource id.')
output aksSubnetId string = '${vnet.id}/subnets/aks'

@description('The private endpoint subnet\'s resource id.')
output endpointSubnetId string = '${vnet.id}/subnets/endpoints'

@description('The Function App integration subnet\'s resource id.')
output functionsSubnetId string = '${vnet.id}/subnets/functions'
