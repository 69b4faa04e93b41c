#!/bin/sh
# azd predeploy hook of the scorer: puts the Application Insights connection string into the azd
# environment, from which azure.yaml writes it into the scorer's ConfigMap (its telemetry goes to
# Azure Monitor, src/telemetry/setup.ts). It is read here, not made a Bicep output: outputs stay in
# the deployment history in plain text, and infra:check refuses connection strings there. It carries
# no credential anyway: the component has local auth off, so ingestion needs the scorer's Entra
# identity (Monitoring Metrics Publisher, infra/main.bicep).
set -eu

: "${AZURE_RESOURCE_GROUP:?run through azd (azd up / azd deploy), or export the azd environment}"
: "${APPLICATIONINSIGHTS_NAME:?}"

value=$(az resource show -g "$AZURE_RESOURCE_GROUP" -n "$APPLICATIONINSIGHTS_NAME" \
  --resource-type Microsoft.Insights/components --query properties.ConnectionString -o tsv)
if [ -z "$value" ]; then
  echo "predeploy: Application Insights $APPLICATIONINSIGHTS_NAME has no connection string" >&2
  exit 1
fi
azd env set APPLICATIONINSIGHTS_CONNECTION_STRING "$value" >/dev/null
echo "predeploy: the scorer's telemetry goes to Application Insights $APPLICATIONINSIGHTS_NAME"
