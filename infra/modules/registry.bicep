// Azure Container Registry with the admin user (a shared key) disabled and no anonymous pull:
// images are pushed with `az acr login` (Entra ID) and pulled by the AKS kubelet identity (AcrPull).

@description('Required. Globally unique registry name, 5 to 50 letters and digits.')
@minLength(5)
@maxLength(50)
param name string

@description('Optional. Location of the registry.')
param location string = resourceGroup().location

@description('Optional. Tags for the registry.')
param tags object = {}

@description('Optional. Tier. Private endpoints need Premium.')
@allowed(['Basic', 'Standard', 'Premium'])
param skuName string = 'Basic'

@description('Optional. Disabled: reachable through private endpoints only (needs Premium).')
@allowed(['Enabled', 'Disabled'])
param publicNetworkAccess string = 'Enabled'

resource registry 'Microsoft.ContainerRegistry/registries@2025-11-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
  }
  properties: {
    adminUserEnabled: false
    anonymousPullEnabled: false
    publicNetworkAccess: publicNetworkAccess
    networkRuleBypassOptions: 'AzureServices'
    policies: {
      azureADAuthenticationAsArmPolicy: {
        status: 'enabled'
      }
    }
  }
}

@description('The registry\'s resource id.')
output resourceId string = registry.id

@description('The registry\'s name.')
output name string = registry.name

@description('The registry\'s login server, e.g. NAME.azurecr.io.')
output loginServer string = registry.properties.loginServer
