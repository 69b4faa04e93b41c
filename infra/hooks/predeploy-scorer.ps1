# azd predeploy hook of the scorer on Windows: the same steps as predeploy-scorer.sh (read that file
# for why): the Application Insights connection string into the azd environment, then the KEDA
# operator restarted once per KEDA identity, with a kubeconfig of its own.
$ErrorActionPreference = 'Stop'
$PSNativeCommandUseErrorActionPreference = $true

foreach ($name in 'AZURE_RESOURCE_GROUP', 'APPLICATIONINSIGHTS_NAME', 'AZURE_AKS_CLUSTER_NAME', 'KEDA_CLIENT_ID') {
  if (-not [Environment]::GetEnvironmentVariable($name)) {
    throw "predeploy: $name is not set: run through azd (azd up / azd deploy), or export the azd environment"
  }
}
$group = $env:AZURE_RESOURCE_GROUP

$value = az resource show -g $group -n $env:APPLICATIONINSIGHTS_NAME `
  --resource-type Microsoft.Insights/components --query properties.ConnectionString -o tsv
if (-not $value) { throw "predeploy: Application Insights $($env:APPLICATIONINSIGHTS_NAME) has no connection string" }
azd env set APPLICATIONINSIGHTS_CONNECTION_STRING $value | Out-Null
Write-Output "predeploy: the scorer's telemetry goes to Application Insights $($env:APPLICATIONINSIGHTS_NAME)"

if ($env:KEDA_OPERATOR_RESTARTED_FOR -eq $env:KEDA_CLIENT_ID) {
  Write-Output "predeploy: the KEDA operator already runs with identity $($env:KEDA_CLIENT_ID)"
  exit 0
}
$kubeconfig = New-TemporaryFile
try {
  az aks get-credentials -g $group -n $env:AZURE_AKS_CLUSTER_NAME --file $kubeconfig.FullName --overwrite-existing --only-show-errors
  kubelogin convert-kubeconfig -l azurecli --kubeconfig $kubeconfig.FullName
  kubectl --kubeconfig $kubeconfig.FullName -n kube-system rollout restart deployment/keda-operator
  kubectl --kubeconfig $kubeconfig.FullName -n kube-system rollout status deployment/keda-operator --timeout=300s
} finally {
  Remove-Item -Force $kubeconfig.FullName
}
azd env set KEDA_OPERATOR_RESTARTED_FOR $env:KEDA_CLIENT_ID | Out-Null
Write-Output "predeploy: restarted the KEDA operator so it uses identity $($env:KEDA_CLIENT_ID)"
