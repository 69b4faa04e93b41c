// The BlobCreated subscription that delivers inbox/ uploads to the Functions blob trigger
// (`source: 'EventGrid'`). Deployed by infra/hooks/postdeploy.sh, after `azd deploy` has put the
// function there: the webhook handshake needs a running function, and its URL needs the blob
// extension's system key, which only the Functions host knows. The hook passes that key as a
// secure parameter; it is never written to a file, an output or the deployment history.

@description('Required. Name of the Event Grid system topic on the data storage account.')
param systemTopicName string

@description('Required. Default host name of the Function App.')
param functionAppHostName string

@description('Required. Name of the blob-triggered function.')
param functionName string

@description('Required. The blob extension\'s system key (`blobs_extension`).')
@secure()
param blobsExtensionKey string

@description('Required. Resource id of the data storage account (undeliverable events go to its rejected container).')
param storageAccountId string

@description('Optional. Container that receives undeliverable events.')
param deadLetterContainer string = 'rejected'

@description('Optional. Container whose uploads start jobs.')
param inboxContainer string = 'inbox'

resource topic 'Microsoft.EventGrid/systemTopics@2025-02-15' existing = {
  name: systemTopicName
}

resource subscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = {
  parent: topic
  name: 'inbox-blob-created'
  properties: {
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: 'https://${functionAppHostName}/runtime/webhooks/blobs?functionName=Host.Functions.${functionName}&code=${blobsExtensionKey}'
        maxEventsPerBatch: 1
      }
    }
    filter: {
      includedEventTypes: ['Microsoft.Storage.BlobCreated']
      subjectBeginsWith: '/blobServices/default/containers/${inboxContainer}/'
    }
    eventDeliverySchema: 'EventGridSchema'
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'SystemAssigned'
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: storageAccountId
          blobContainerName: deadLetterContainer
        }
      }
    }
  }
}

@description('The subscription\'s name.')
output name string = subscription.name
