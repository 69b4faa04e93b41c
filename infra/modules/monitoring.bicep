// Log Analytics and workspace-based Application Insights; both accept Entra ID ingestion only.

@description('Required. Name of the Log Analytics workspace.')
param logAnalyticsName string

@description('Required. Name of the Application Insights component.')
param applicationInsightsName string

@description('Optional. Location of both resources.')
param location string = resourceGroup().location

@description('Optional. Tags for both resources.')
param tags object = {}

@description('Optional. Days logs are kept.')
@minValue(30)
@maxValue(730)
param retentionInDays int = 30

@description('Optional. Daily ingestion cap in GB (-1: none). A cap keeps a runaway log loop from running up a bill.')
param dailyQuotaGb int = 5

resource workspace 'Microsoft.OperationalInsights/workspaces@2026-03-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    workspaceCapping: {
      dailyQuotaGb: dailyQuotaGb
    }
    features: {
      disableLocalAuth: true
      enableLogAccessUsingOnlyResourcePermissions: true
    }
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true
    IngestionMode: 'LogAnalytics'
  }
}

@description('The Log Analytics workspace\'s resource id.')
output logAnalyticsWorkspaceId string = workspace.id

@description('The Application Insights component\'s resource id.')
output applicationInsightsId string = appInsights.id

@description('The Application Insights component\'s name.')
output applicationInsightsName string = appInsights.name
