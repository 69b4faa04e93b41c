# azd postdeploy hook on Windows: the same as postdeploy.sh (read that file for why): subscribes the
# Functions blob trigger to BlobCreated events under inbox/, handing the blob extension's system key
# from az straight to a secure deployment parameter (never echoed, never a file, never an output).
$ErrorActionPreference = 'Stop'
$PSNativeCommandUseErrorActionPreference = $true

foreach ($name in 'AZURE_RESOURCE_GROUP', 'AZURE_FUNCTION_APP_NAME', 'AZURE_FUNCTION_APP_HOST', 'AZURE_EVENTGRID_SYSTEM_TOPIC', 'AZURE_STORAGE_ACCOUNT_ID') {
  if (-not [Environment]::GetEnvironmentVariable($name)) {
    throw "postdeploy: $name is not set: run through azd (azd up / azd deploy), or export the azd environment"
  }
}
$functionName = if ($env:TESSERA_INBOX_FUNCTION) { $env:TESSERA_INBOX_FUNCTION } else { 'inboxBlobCreated' }

$key = ''
for ($tries = 0; -not $key -and $tries -lt 12; $tries++) {
  try {
    $key = az functionapp keys list -g $env:AZURE_RESOURCE_GROUP -n $env:AZURE_FUNCTION_APP_NAME `
      --query 'systemKeys.blobs_extension' -o tsv 2>$null
  } catch {
    $key = ''
  }
  if (-not $key) { Start-Sleep -Seconds 10 }
}
if (-not $key) {
  throw 'postdeploy: the blobs_extension key did not appear; is a blob trigger with source EventGrid deployed?'
}

az deployment group create `
  --resource-group $env:AZURE_RESOURCE_GROUP `
  --name inbox-subscription `
  --template-file (Join-Path $PSScriptRoot '..' 'modules' 'inbox-subscription.bicep') `
  --parameters "systemTopicName=$($env:AZURE_EVENTGRID_SYSTEM_TOPIC)" `
  "functionAppHostName=$($env:AZURE_FUNCTION_APP_HOST)" `
  "functionName=$functionName" `
  "storageAccountId=$($env:AZURE_STORAGE_ACCOUNT_ID)" `
  "blobsExtensionKey=$key" `
  --only-show-errors --output none
Write-Output "postdeploy: inbox/ BlobCreated events now reach function $functionName"
