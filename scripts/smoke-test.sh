#!/usr/bin/env bash
# Post-deploy smoke test: drops a CSV into the deployed inbox container and waits for its job's
# summary.json in results/. Entra ID only (az login; --auth-mode login): no keys.
#
#   scripts/smoke-test.sh [CSV] [--timeout MINUTES]
#
# Reads AZURE_STORAGE_ACCOUNT_NAME from the environment or from `azd env get-values`. The deployer
# (azd's principal) has Blob Data Contributor on inbox and Reader on results (infra/main.bicep).
# The first run includes a GPU node's cold start: allow 20 minutes. Models for the file's series must
# be registered in the models container first, or its rows are rejected as "no model".
# Exit: 0 the job succeeded; 1 it failed (summary printed); 2 bad usage or setup; 3 timed out.
set -euo pipefail

csv="samples/sensor_data.csv"
timeout_min=20
while [ $# -gt 0 ]; do
  case "$1" in
    --timeout) timeout_min="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) csv="$1"; shift ;;
  esac
done

command -v az >/dev/null || { echo "smoke-test: the Azure CLI (az) is required" >&2; exit 2; }
[ -f "$csv" ] || { echo "smoke-test: $csv does not exist" >&2; exit 2; }
if [ -z "${AZURE_STORAGE_ACCOUNT_NAME:-}" ] && command -v azd >/dev/null; then
  AZURE_STORAGE_ACCOUNT_NAME=$(azd env get-value AZURE_STORAGE_ACCOUNT_NAME 2>/dev/null || true)
fi
account="${AZURE_STORAGE_ACCOUNT_NAME:?set AZURE_STORAGE_ACCOUNT_NAME or run inside an azd environment}"

name="smoke/$(date -u +%Y%m%dT%H%M%SZ)-$(basename "$csv")"
echo "smoke-test: uploading $csv to $account/inbox/$name"
az storage blob upload --auth-mode login --account-name "$account" --container-name inbox \
  --name "$name" --file "$csv" --content-type text/csv --only-show-errors --output none
etag=$(az storage blob show --auth-mode login --account-name "$account" --container-name inbox \
  --name "$name" --query properties.etag --output tsv)

# The job id is derived exactly as src/core/jobNaming.ts jobIdFor does: sha256 of container, name, ETag.
job_id() { printf 'inbox\n%s\n%s' "$name" "$1" | sha256sum | cut -c1-20 | sed 's/^/j/'; }
bare="${etag//\"/}"
candidates="$(job_id "\"$bare\"") $(job_id "$bare")"
echo "smoke-test: waiting up to ${timeout_min} min for results/<job>/summary.json (job $candidates)"

deadline=$(( $(date +%s) + timeout_min * 60 ))
while [ "$(date +%s)" -lt "$deadline" ]; do
  for id in $candidates; do
    exists=$(az storage blob exists --auth-mode login --account-name "$account" --container-name results \
      --name "$id/summary.json" --query exists --output tsv 2>/dev/null || echo false)
    if [ "$exists" = "true" ]; then
      summary=$(az storage blob download --auth-mode login --account-name "$account" --container-name results \
        --name "$id/summary.json" --file /dev/stdout --only-show-errors 2>/dev/null)
      echo "$summary"
      if printf '%s' "$summary" | grep -q '"state": *"succeeded"'; then
        echo "smoke-test: job $id succeeded"
        exit 0
      fi
      echo "smoke-test: job $id finished but did not succeed" >&2
      exit 1
    fi
  done
  sleep 15
done
echo "smoke-test: no result after ${timeout_min} min: check the Functions logs (Application Insights) and 'kubectl -n tessera get pods,scaledobject'" >&2
exit 3
