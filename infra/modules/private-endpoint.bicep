// One private endpoint: a service's sub-resource (blob, queue, table, namespace, registry, sites)
// given an address in the endpoint subnet, with its DNS records in the matching private DNS zone
// (created and linked by network.bicep).

@description('Required. Name of the private endpoint.')
param name string

@description('Optional. Location of the endpoint (the VNet\'s).')
param location string = resourceGroup().location

@description('Optional. Tags for the endpoint.')
param tags object = {}

@description('Required. Resource id of the subnet the endpoint takes an address in.')
param subnetId string

@description('Required. Resource id of the service the endpoint reaches.')
param targetId string

@description('Required. The service\'s sub-resource (private link group id), e.g. blob or namespace.')
param groupId string

@description('Required. Name of the private DNS zone that gets the endpoint\'s records.')
param privateDnsZoneName string

resource zone 'Microsoft.Network/privateDnsZones@2024-06-01' existing = {
  name: privateDnsZoneName
}

resource endpoint 'Microsoft.Network/privateEndpoints@2024-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    subnet: {
      id: subnetId
    }
    privateLinkServiceConnections: [
      {
        name: name
        properties: {
          privateLinkServiceId: targetId
          groupIds: [groupId]
        }
      }
    ]
  }
}

resource records 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = {
  parent: endpoint
  name: 'default'
  properties: {
    privateDnsZoneConfigs: [
      {
        name: replace(privateDnsZoneName, '.', '-')
        properties: {
          privateDnsZoneId: zone.id
        }
      }
    ]
  }
}

@description('The endpoint\'s resource id.')
output resourceId string = endpoint.id
