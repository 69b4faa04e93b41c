#!/bin/sh
# azd predeploy hook of the scorer (predeploy-scorer.ps1 is the same for Windows). Two things, both
# needing what provisioning has just made:
#
# 1. The Application Insights connection string goes into the azd environment, from which azure.yaml
#    writes it into the scorer's ConfigMap (its telemetry goes to Azure Monitor, src/telemetry/setup.ts).
#    It is read here, not made a Bicep output: outputs stay in the deployment history in plain text,
#    and infra:check refuses connection strings there. It carries no credential anyway: the component
#    has local auth off, so ingestion needs the scorer's Entra identity (Monitoring Metrics Publisher).
#
# 2. The KEDA add-on's operator pods are restarted once per KEDA identity. The add-on starts them
#    with the cluster, before main.bicep creates the KEDA identity's federated credential
#    (kube-system:keda-operator); until they restart they cannot get its token, so the scorer never
#    scales from zero (learn.microsoft.com/azure/aks/keda-workload-identity restarts them the same way).
#    KEDA_OPERATOR_RESTARTED_FOR remembers the identity's client id in the azd environment, so later
#    deploys leave KEDA alone; a new identity (a new environment, a re-created cluster) restarts again.
#    kubectl uses a kubeconfig of its own (az aks get-credentials + kubelogin, Entra ID): the user's
#    ~/.kube/config is neither needed nor changed.
set -eu

: "${AZURE_RESOURCE_GROUP:?run through azd (azd up / azd deploy), or export the azd environment}"
: "${APPLICATIONINSIGHTS_NAME:?}" "${AZURE_AKS_CLUSTER_NAME:?}" "${KEDA_CLIENT_ID:?}"

value=$(az resource show -g "$AZURE_RESOURCE_GROUP" -n "$APPLICATIONINSIGHTS_NAME" \
  --resource-type Microsoft.Insights/components --query properties.ConnectionString -o tsv)
if [ -z "$value" ]; then
  echo "predeploy: Application Insights $APPLICATIONINSIGHTS_NAME has no connection string" >&2
  exit 1
fi
azd env set APPLICATIONINSIGHTS_CONNECTION_STRING "$value" >/dev/null
echo "predeploy: the scorer's telemetry goes to Application Insights $APPLICATIONINSIGHTS_NAME"

if [ "${KEDA_OPERATOR_RESTARTED_FOR:-}" = "$KEDA_CLIENT_ID" ]; then
  echo "predeploy: the KEDA operator already runs with identity $KEDA_CLIENT_ID"
  exit 0
fi
kubeconfig=$(mktemp)
trap 'rm -f "$kubeconfig"' EXIT
az aks get-credentials -g "$AZURE_RESOURCE_GROUP" -n "$AZURE_AKS_CLUSTER_NAME" --file "$kubeconfig" --overwrite-existing --only-show-errors
kubelogin convert-kubeconfig -l azurecli --kubeconfig "$kubeconfig"
kubectl --kubeconfig "$kubeconfig" -n kube-system rollout restart deployment/keda-operator
kubectl --kubeconfig "$kubeconfig" -n kube-system rollout status deployment/keda-operator --timeout=300s
azd env set KEDA_OPERATOR_RESTARTED_FOR "$KEDA_CLIENT_ID" >/dev/null
echo "predeploy: restarted the KEDA operator so it uses identity $KEDA_CLIENT_ID"
