// The Event Grid system topic of the data storage account. Its BlobCreated subscription is
// modules/inbox-subscription.bicep, deployed by the postdeploy hook once the Functions code is there.

@description('Required. Name of the system topic.')
param name string

@description('Optional. Location (the storage account\'s).')
param location string = resourceGroup().location

@description('Optional. Tags for the topic.')
param tags object = {}

@description('Required. Resource id of the storage account whose events the topic carries.')
param storageAccountId string

resource topic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: name
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: storageAccountId
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

@description('The topic\'s name.')
output name string = topic.name

@description('The topic\'s principal id: it dead-letters undeliverable events into the rejected container.')
output principalId string = topic.identity.principalId
