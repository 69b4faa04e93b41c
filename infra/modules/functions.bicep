// A Flex Consumption Function App on Node 22 that runs as a user-assigned identity: its host storage,
// its deployment package and every binding connect with that identity; basic publishing
// credentials (FTP, SCM) are off, HTTPS only, TLS 1.2. The HTTP API requires an Entra ID token
// (App Service authentication) as well as a function key; logs and metrics go to Log Analytics.

@description('Required. Name of the Function App (globally unique host name).')
param name string

@description('Required. Name of the Flex Consumption plan.')
param planName string

@description('Optional. Location of the app and its plan.')
param location string = resourceGroup().location

@description('Optional. Tags for the app and its plan.')
param tags object = {}

@description('Required. Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('Required. Client id of that identity.')
param identityClientId string

@description('Required. Name of the host storage account (AzureWebJobsStorage and the deployment package).')
param hostStorageName string

@description('Required. Container in the host storage account that holds the deployment package.')
param deploymentContainer string

@description('Required. Name of the Application Insights component the app reports to (Entra ID ingestion).')
param applicationInsightsName string

@description('Optional. App settings beyond the host\'s own (identity-based connections, Tessera configuration). Values must not be secrets.')
param appSettings object = {}

@description('Optional. Node.js major version.')
@allowed(['20', '22'])
param nodeVersion string = '22'

@description('Optional. Most instances the app scales out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Optional. Client (application) id of the Entra ID app registration that represents the HTTP API: callers need a token for it (audience api://<id> or the id). Empty: authentication is still required, no identity provider is configured, so every API call is refused with 401 until one is set (TESSERA_API_CLIENT_ID).')
param apiClientId string = ''

@description('Optional. Client ids of the applications allowed to call the API (empty: any application of the tenant with a token for it).')
param apiAllowedClientApplications string[] = []

@description('Optional. Resource id of the Log Analytics workspace that receives the app\'s logs and metrics (diagnostic settings). Empty: none.')
param logAnalyticsWorkspaceId string = ''

@description('Optional. Resource id of the subnet (delegated to Microsoft.App/environments) the app\'s outbound traffic goes through: VNet integration. Empty: none.')
param virtualNetworkSubnetId string = ''

@description('Optional. Refuse the public network but for Event Grid (its webhook delivers inbox/ uploads): the API and deployments then come through the app\'s private endpoint (privateNetworking).')
param privateOnly bool = false

@description('Optional. Memory of one instance in MB.')
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

resource hostStorage 'Microsoft.Storage/storageAccounts@2026-04-01' existing = {
  name: hostStorageName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

var hostSettings = {
  AzureWebJobsStorage__accountName: hostStorage.name
  AzureWebJobsStorage__blobServiceUri: hostStorage.properties.primaryEndpoints.blob
  AzureWebJobsStorage__queueServiceUri: hostStorage.properties.primaryEndpoints.queue
  AzureWebJobsStorage__tableServiceUri: hostStorage.properties.primaryEndpoints.table
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  // The connection string only says where to send telemetry; with DisableLocalAuth the component
  // accepts nothing without the Entra ID token the authentication string asks for.
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  AZURE_CLIENT_ID: identityClientId
}

resource app 'Microsoft.Web/sites@2025-03-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'functions' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Enabled even when private: Event Grid's webhook is public, let in by its service tag below;
    // everything else comes through the private endpoint (access restrictions do not apply there).
    publicNetworkAccess: 'Enabled'
    virtualNetworkSubnetId: empty(virtualNetworkSubnetId) ? null : virtualNetworkSubnetId
    siteConfig: {
      ipSecurityRestrictionsDefaultAction: privateOnly ? 'Deny' : 'Allow'
      ipSecurityRestrictions: privateOnly
        ? [
            {
              name: 'event-grid'
              action: 'Allow'
              priority: 100
              tag: 'ServiceTag'
              ipAddress: 'AzureEventGrid'
            }
          ]
        : []
      scmIpSecurityRestrictionsDefaultAction: privateOnly ? 'Deny' : 'Allow'
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      appSettings: [
        for setting in items(union(hostSettings, appSettings)): {
          name: setting.key
          value: string(setting.value)
        }
      ]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${hostStorage.properties.primaryEndpoints.blob}${deploymentContainer}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'node'
        version: nodeVersion
      }
    }
  }
}

resource ftp 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2025-03-01' = {
  parent: app
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scm 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2025-03-01' = {
  parent: app
  name: 'scm'
  properties: {
    allow: false
  }
}

// App Service authentication (Easy Auth) in front of every HTTP function: a request without a valid
// Entra ID token for the API's registration is refused with 401 before any function runs; the
// function keys stay a second factor. The blob extension's webhook (Event Grid delivers inbox/
// uploads there with its system key) is excluded.
resource auth 'Microsoft.Web/sites/config@2025-03-01' = {
  parent: app
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'Return401'
      excludedPaths: ['/runtime/webhooks/blobs']
    }
    httpSettings: {
      requireHttps: true
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: !empty(apiClientId)
        registration: {
          clientId: empty(apiClientId) ? null : apiClientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
        }
        validation: {
          allowedAudiences: empty(apiClientId) ? [] : ['api://${apiClientId}', apiClientId]
          defaultAuthorizationPolicy: {
            allowedApplications: apiAllowedClientApplications
          }
        }
      }
    }
    login: {
      tokenStore: {
        enabled: false
      }
    }
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = if (!empty(logAnalyticsWorkspaceId)) {
  name: 'to-log-analytics'
  scope: app
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

@description('The app\'s resource id.')
output resourceId string = app.id

@description('The app\'s name.')
output name string = app.name

@description('The app\'s default host name.')
output defaultHostName string = app.properties.defaultHostName
