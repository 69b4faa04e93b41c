// A user-assigned managed identity, with optional federated credentials for Kubernetes
// service accounts (AKS workload identity).

@description('Required. Name of the identity.')
param name string

@description('Optional. Location of the identity.')
param location string = resourceGroup().location

@description('Optional. Tags for the identity.')
param tags object = {}

@description('Optional. OIDC issuer URL of the cluster whose service accounts may use this identity. Empty: no federation.')
param oidcIssuerUrl string = ''

@description('Optional. Kubernetes service accounts allowed to use this identity, as "namespace:name".')
param serviceAccounts string[] = []

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: name
  location: location
  tags: tags
}

@batchSize(1) // federated credentials of one identity cannot be written concurrently
resource federation 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2024-11-30' = [
  for sa in (empty(oidcIssuerUrl) ? [] : serviceAccounts): {
    parent: identity
    name: replace(sa, ':', '-')
    properties: {
      issuer: oidcIssuerUrl
      subject: 'system:serviceaccount:${sa}'
      audiences: ['api://AzureADTokenExchange']
    }
  }
]

@description('The identity\'s resource id.')
output resourceId string = identity.id

@description('The identity\'s client id (not a secret: an application id).')
output clientId string = identity.properties.clientId

@description('The identity\'s principal (object) id, for role assignments.')
output principalId string = identity.properties.principalId

@description('The identity\'s name.')
output name string = identity.name
