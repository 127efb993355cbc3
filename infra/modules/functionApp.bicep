// The Functions app that runs the archiver: Flex Consumption (Node 22) by default, or Linux
// Consumption where Flex is not offered. Every connection uses the user-assigned identity.

@description('Required. Function app name.')
param name string

@description('Required. Hosting plan name.')
param planName string

@description('Required. Azure region.')
param location string

@description('Optional. Tags for every resource.')
param tags object = {}

@description('Required. Flex Consumption, or Linux Consumption where Flex is not offered (5-10 minute runs: the harvest time budget is lowered to fit).')
param hostingPlan 'FlexConsumption' | 'Consumption'

@description('Required. Resource id of the user-assigned managed identity.')
param identityId string

@description('Required. Client id of the user-assigned managed identity.')
param identityClientId string

@description('Required. Blob endpoint of the runtime account (host storage and deployment package).')
param runtimeBlobEndpoint string

@description('Required. Container of the deployment package in the runtime account.')
param deploymentContainer string

@description('Required. Application Insights connection string (no secret: local auth is off).')
param appInsightsConnectionString string

@description('Required. The archiver\'s own settings (names from shared/config/settings.ts).')
param archiverSettings object

@description('Optional. Settings of the app-registration Graph identity (ARCHIVER_GRAPH_APP_CLIENT_ID, AZURE_TENANT_ID).')
param graphAppSettings object = {}

@description('Optional. What the lifecycle rules of retention hold (ARCHIVER_TENANT_RETENTION); none under WORM.')
param retentionSettings object = {}

@description('Optional. Most instances the app scales to; Graph\'s rate limit is per app and tenant, so the per-instance request budget is divided by this.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 4

@description('Optional. Memory of one Flex instance, in MB.')
param instanceMemoryMB 512 | 2048 | 4096 = 2048

@description('Optional. Subnet (delegated to Microsoft.App/environments) the app sends its traffic through, to reach private endpoints; empty: none.')
param virtualNetworkSubnetId string = ''

var isFlex = hostingPlan == 'FlexConsumption'

// Package blob for Linux Consumption, which mounts it with the identity (WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID).
var consumptionPackageUrl = '${runtimeBlobEndpoint}${deploymentContainer}/archiver.zip'

@description('Optional. Log Analytics workspace for the app\'s function logs; empty: none.')
param auditWorkspaceId string = ''

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: isFlex ? 'functionapp' : 'linux'
  sku: isFlex ? { name: 'FC1', tier: 'FlexConsumption' } : { name: 'Y1', tier: 'Dynamic' }
  properties: { reserved: true }
}

// The worker's heap: a quarter of the instance's memory (Linux Consumption's is 1.5 GB), which is
// what V8 picks on a machine of that size, set so it holds however much memory the worker process
// is shown. A harvest's memory is bounded by its records in flight, not its window; `npm run bench`
// measures a 100,000-record window under this heap.
var workerHeapMB = (isFlex ? instanceMemoryMB : 1536) / 4

var hostSettings = {
  // As the worker's own arguments, not NODE_OPTIONS: the host keeps the Node worker it started in
  // placeholder mode and only sends it the app's environment, which a running V8 ignores for its
  // heap. When languageWorkers:node:arguments is set, the host does not reuse the placeholder worker
  // and starts a new one with these arguments (azure-functions-host,
  // WebHostRpcWorkerChannelManager.UsePlaceholderChannel): one worker restart on a cold start.
  languageWorkers__node__arguments: '--max-old-space-size=${workerHeapMB}'
  // Host storage (timer schedule status, leases) by identity: no AzureWebJobsStorage connection string.
  AzureWebJobsStorage__blobServiceUri: runtimeBlobEndpoint
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  // The Service Bus trigger's connection (prefix ARCHIVER_SERVICEBUS; the namespace is in archiverSettings).
  ARCHIVER_SERVICEBUS__credential: 'managedidentity'
  ARCHIVER_SERVICEBUS__clientId: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
}

// Linux Consumption caps a run at 10 minutes: override host.json's 30 and keep the harvest's time
// budget (after which it splits its window) well inside it. Flex takes runtime and scale from
// functionAppConfig instead, and refuses these settings.
var consumptionSettings = isFlex
  ? {}
  : {
      FUNCTIONS_EXTENSION_VERSION: '~4'
      FUNCTIONS_WORKER_RUNTIME: 'node'
      WEBSITE_RUN_FROM_PACKAGE: consumptionPackageUrl
      WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID: identityId
      WEBSITE_MAX_DYNAMIC_APPLICATION_SCALE_OUT: string(maximumInstanceCount)
      AzureFunctionsJobHost__functionTimeout: '00:10:00'
      AzureFunctionsJobHost__extensions__serviceBus__maxAutoLockRenewalDuration: '00:12:00'
      ARCHIVER_TIME_BUDGET_SECONDS: '420'
    }

var appSettings = union(archiverSettings, graphAppSettings, retentionSettings, hostSettings, consumptionSettings)

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'archiver' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    virtualNetworkSubnetId: empty(virtualNetworkSubnetId) ? null : virtualNetworkSubnetId
    siteConfig: {
      minTlsVersion: '1.2'
      // FTPS is deprecated on Flex Consumption (not a setting it takes); on Consumption, off.
      ftpsState: isFlex ? null : 'Disabled'
      http20Enabled: true
      linuxFxVersion: isFlex ? null : 'Node|22'
      appSettings: [for s in items(appSettings): { name: s.key, value: s.value }]
    }
    functionAppConfig: isFlex
      ? {
          deployment: {
            storage: {
              type: 'blobContainer'
              value: '${runtimeBlobEndpoint}${deploymentContainer}'
              authentication: { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: identityId }
            }
          }
          scaleAndConcurrency: { maximumInstanceCount: maximumInstanceCount, instanceMemoryMB: instanceMemoryMB }
          runtime: { name: 'node', version: '22' }
        }
      : null
  }
}

resource audit 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = if (!empty(auditWorkspaceId)) {
  name: 'audit'
  scope: site
  properties: {
    workspaceId: auditWorkspaceId
    logs: [{ category: 'FunctionAppLogs', enabled: true }]
  }
}

// Publishing credentials (basic auth) off: deployments authenticate with Entra ID.
resource ftpPolicy 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: { allow: false }
}

resource scmPolicy 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: { allow: false }
}

@description('Function app name.')
output name string = site.name

@description('Default host name.')
output defaultHostName string = site.properties.defaultHostName

@description('Blob URL Linux Consumption runs the package from (upload archiver.zip there); empty on Flex.')
output consumptionPackageUrl string = isFlex ? '' : consumptionPackageUrl
