#!/usr/bin/env bash
# Grants Microsoft Graph's CallRecords.Read.All to the archiver where the Microsoft Graph Bicep
# extension cannot deploy (national clouds), making what infra/modules/graphGrant.bicep makes:
#   - with --principal-id only: the grant to the managed identity itself;
#   - with --app-registration NAME: an app registration, a federated credential that trusts the
#     managed identity (no secret), its service principal, and the grant to that.
# Runs with the Azure CLI signed in to the target cloud (`az cloud set`, `az login`) as someone who
# may grant app roles (Privileged Role Administrator, or AppRoleAssignment.ReadWrite.All +
# Application.ReadWrite.OwnedBy). Safe to run again: it creates only what is missing.
set -euo pipefail

usage() {
  echo "usage: $0 --principal-id MANAGED_IDENTITY_PRINCIPAL_ID [--app-registration DISPLAY_NAME] [--graph-url https://dod-graph.microsoft.us/]" >&2
  exit 2
}

principal_id=""
app_name=""
graph_url=""
while [ $# -gt 0 ]; do
  case "$1" in
    --principal-id) principal_id="${2:-}"; shift 2 ;;
    --app-registration) app_name="${2:-}"; shift 2 ;;
    --graph-url) graph_url="${2:-}"; shift 2 ;;
    *) usage ;;
  esac
done
[ -n "$principal_id" ] || usage

graph_app_id="00000003-0000-0000-c000-000000000000" # Microsoft Graph, the same in every tenant
permission="CallRecords.Read.All"
cloud="$(az cloud show --query name -o tsv)"
# The cloud's Graph, unless given (US Gov DoD tenants use dod-graph.microsoft.us).
graph_url="${graph_url:-$(az cloud show --query endpoints.microsoftGraphResourceId -o tsv)}"
graph_url="${graph_url%/}"

graph_sp_id="$(az ad sp show --id "$graph_app_id" --query id -o tsv)"
# Picked by value, as the Bicep module does, never a pasted GUID.
role_id="$(az ad sp show --id "$graph_app_id" --query "appRoles[?value=='$permission'].id | [0]" -o tsv)"
[ -n "$role_id" ] || { echo "grant-graph: Graph has no app role $permission in this cloud" >&2; exit 1; }

assignee="$principal_id"
if [ -n "$app_name" ]; then
  case "$cloud" in
    AzureUSGovernment) audience="api://AzureADTokenExchangeUSGov" ;;
    AzureChinaCloud) audience="api://AzureADTokenExchangeChina" ;;
    *) audience="api://AzureADTokenExchange" ;;
  esac
  tenant_id="$(az account show --query tenantId -o tsv)"
  authority="$(az cloud show --query endpoints.activeDirectory -o tsv)"
  app_id="$(az ad app list --display-name "$app_name" --query "[0].appId" -o tsv)"
  if [ -z "$app_id" ]; then
    app_id="$(az ad app create --display-name "$app_name" --sign-in-audience AzureADMyOrg --query appId -o tsv)"
    echo "created app registration $app_name ($app_id)"
  fi
  if [ -z "$(az ad app federated-credential list --id "$app_id" --query "[?subject=='$principal_id'].name | [0]" -o tsv)" ]; then
    az ad app federated-credential create --id "$app_id" --parameters "{
      \"name\": \"archiver-managed-identity\",
      \"issuer\": \"${authority%/}/$tenant_id/v2.0\",
      \"subject\": \"$principal_id\",
      \"audiences\": [\"$audience\"],
      \"description\": \"The archiver's managed identity signs in as this app, with no secret.\"
    }" >/dev/null
    echo "added a federated credential trusting $principal_id"
  fi
  assignee="$(az ad sp show --id "$app_id" --query id -o tsv 2>/dev/null || true)"
  [ -n "$assignee" ] || assignee="$(az ad sp create --id "$app_id" --query id -o tsv)"
fi

# The assignee's own assignments: a short list, unlike everything granted on Graph.
existing="$(az rest --method GET --url "$graph_url/v1.0/servicePrincipals/$assignee/appRoleAssignments" \
  --query "value[?appRoleId=='$role_id' && resourceId=='$graph_sp_id'] | length(@)" -o tsv)"
if [ "$existing" = "0" ]; then
  az rest --method POST --url "$graph_url/v1.0/servicePrincipals/$graph_sp_id/appRoleAssignedTo" \
    --headers "Content-Type=application/json" \
    --body "{\"principalId\": \"$assignee\", \"resourceId\": \"$graph_sp_id\", \"appRoleId\": \"$role_id\"}" >/dev/null
  echo "granted $permission to $assignee"
else
  echo "$permission was already granted to $assignee"
fi

if [ -n "$app_name" ]; then
  echo "Next: set the app's client id and deploy again, so the archiver signs in as the app:"
  echo "  azd env set GRAPH_APP_CLIENT_ID $app_id && azd env set GRAPH_IDENTITY appRegistration && azd provision"
  echo "  (or: az deployment group create ... --parameters graphIdentity=appRegistration graphAppClientId=$app_id)"
fi
