#!/bin/sh
# azd postdeploy hook: subscribes the Functions blob trigger to BlobCreated events under inbox/.
# It runs after `azd deploy` because Event Grid validates a webhook when the subscription is made
# (the function must be running) and the webhook URL carries the blob extension's system key, which
# the Functions host creates. The key goes from `az` straight into a secure deployment parameter:
# never echoed, never written to a file, never a Bicep output.
set -eu

: "${AZURE_RESOURCE_GROUP:?run through azd (azd up / azd deploy), or export the azd environment}"
: "${AZURE_FUNCTION_APP_NAME:?}" "${AZURE_FUNCTION_APP_HOST:?}" "${AZURE_EVENTGRID_SYSTEM_TOPIC:?}" "${AZURE_STORAGE_ACCOUNT_ID:?}"
FUNCTION_NAME="${TESSERA_INBOX_FUNCTION:-inboxBlobCreated}"

here=$(dirname "$0")
tries=0
key=""
while [ -z "$key" ] && [ "$tries" -lt 12 ]; do
  key=$(az functionapp keys list -g "$AZURE_RESOURCE_GROUP" -n "$AZURE_FUNCTION_APP_NAME" \
    --query "systemKeys.blobs_extension" -o tsv 2>/dev/null || true)
  if [ -z "$key" ]; then tries=$((tries + 1)); sleep 10; fi
done
if [ -z "$key" ]; then
  echo "postdeploy: the blobs_extension key did not appear; is a blob trigger with source EventGrid deployed?" >&2
  exit 1
fi

az deployment group create \
  --resource-group "$AZURE_RESOURCE_GROUP" \
  --name inbox-subscription \
  --template-file "$here/../modules/inbox-subscription.bicep" \
  --parameters systemTopicName="$AZURE_EVENTGRID_SYSTEM_TOPIC" \
               functionAppHostName="$AZURE_FUNCTION_APP_HOST" \
               functionName="$FUNCTION_NAME" \
               storageAccountId="$AZURE_STORAGE_ACCOUNT_ID" \
               blobsExtensionKey="$key" \
  --only-show-errors --output none
echo "postdeploy: inbox/ BlobCreated events now reach function $FUNCTION_NAME"
