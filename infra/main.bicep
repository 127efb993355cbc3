// callrecords-archiver: one resource group with everything the archiver needs, keyless throughout.
// azd conventions: environmentName + location in, UPPER_SNAKE outputs out (they become azd env vars).
targetScope = 'resourceGroup'

import { principalsType, privateEndpointType, roleAssignmentType } from 'types.bicep'
import { availabilityZoneRegions, flexConsumptionRegions } from 'regions.bicep'

@description('Required. Name of the azd environment; part of every resource name and the azd-env-name tag.')
@minLength(1)
@maxLength(64)
param environmentName string

// azd's location prompt offers only these (regions.bicep lists them with their reasons): every
// region with Flex Consumption, and the US Government and China regions, which run Consumption.
@description('Required. Region of every resource: one with Flex Consumption, or, with hostingPlan Consumption, a US Government or China region.')
@allowed([
  'australiaeast'
  'australiasoutheast'
  'brazilsouth'
  'canadacentral'
  'centralindia'
  'centralus'
  'eastasia'
  'eastus'
  'eastus2'
  'francecentral'
  'germanywestcentral'
  'italynorth'
  'japaneast'
  'koreacentral'
  'northcentralus'
  'northeurope'
  'norwayeast'
  'southafricanorth'
  'southcentralus'
  'southeastasia'
  'southindia'
  'spaincentral'
  'swedencentral'
  'uaenorth'
  'uksouth'
  'ukwest'
  'westcentralus'
  'westeurope'
  'westus'
  'westus2'
  'westus3'
  'usgovvirginia'
  'usgovarizona'
  'usgovtexas'
  'usdodcentral'
  'usdodeast'
  'chinanorth3'
  'chinaeast3'
  'chinanorth2'
  'chinaeast2'
])
@metadata({ azd: { type: 'location' } })
param location string

@description('Optional. Object id of the deploying user or pipeline (azd sets AZURE_PRINCIPAL_ID); gets read access to the state container and the dead letters, and to upload the package. No standing access to the archive, which holds personal data: name readers with archiveReaderPrincipalId. Empty: none.')
param principalId string = ''

@description('Optional. Kind of principalId.')
param principalType 'User' | 'ServicePrincipal' | 'Group' = 'User'

@description('Optional. Object id of the identity that reads the archive, such as a Synapse workspace\'s managed identity; gets Storage Blob Data Reader on the archive container. Empty: none.')
param archiveReaderPrincipalId string = ''

@description('Optional. Kind of archiveReaderPrincipalId: a workspace identity (ServicePrincipal, default), a user or a group of analysts.')
param archiveReaderPrincipalType 'User' | 'ServicePrincipal' | 'Group' = 'ServicePrincipal'

@description('Optional. A CanNotDelete lock on the archive account, so `azd down` or deleting the resource group stops at it; remove the lock deliberately first.')
param archiveDeleteLock bool = true

@description('Optional. Send an audit trail (archive blob reads, writes and deletes; Service Bus; function logs) to the Log Analytics workspace.')
param auditLogs bool = true

@description('Optional. Flex Consumption (default); Consumption where Flex is not offered in the region or cloud.')
param hostingPlan 'FlexConsumption' | 'Consumption' = 'FlexConsumption'

// Each instance starts at 1,500 / this and the shared budget (state/instances/) moves it to its fair
// share, so more instances split Graph's budget rather than read faster. 40 is the lowest maximum
// the Flex Consumption documentation states ("The lowest maximum scale is currently 40"); lower
// values were a regional preview that ARM may refuse elsewhere. What bounds the instances actually
// busy is the queue: the planner sends at most ARCHIVER_MAX_WINDOWS_PER_TICK windows a tick, and the
// target-based scaler wants one instance per maxConcurrentCalls (host.json: 4) messages.
@description('Optional. Most instances of the app: 40 (the lowest maximum every Flex region accepts, per the Flex Consumption documentation), up to 1,000. Graph allows 1,500 requests per 20 s per app and tenant; the instances share it.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Optional. Who holds CallRecords.Read.All: the managed identity (default), or an app registration trusting it through a federated credential (lets other tenants consent).')
param graphIdentity 'managedIdentity' | 'appRegistration' = 'managedIdentity'

@description('Optional. Make the app registration multi-tenant (graphIdentity appRegistration only).')
param graphAppMultiTenant bool = false

@description('Optional. Grant the Graph permission here with the Microsoft Graph Bicep extension. It deploys in the public cloud only: elsewhere it is off and infra/scripts/grant-graph.sh makes the grant.')
param grantGraphInBicep bool = environment().name == 'AzureCloud'

@description('Optional. Client id of an app registration made outside Bicep (national clouds, by grant-graph.sh); used when graphIdentity is appRegistration and grantGraphInBicep is false.')
param graphAppClientId string = ''

@description('Optional. Microsoft cloud the archiver reads call records from (ARCHIVER_CLOUD). Default: the one this deployment runs in; GCC High and DoD both run in AzureUSGovernment, so pick USGovDoD by hand.')
param archiverCloud 'Global' | 'USGov' | 'USGovDoD' | 'China' = environment().name == 'AzureUSGovernment'
  ? 'USGov'
  : environment().name == 'AzureChinaCloud' ? 'China' : 'Global'

@description('Optional. NCRONTAB schedule of the planning timer (ARCHIVER_SCHEDULE).')
param schedule string = '0 */15 * * * *'

@description('Optional. NCRONTAB schedule of the curate timer, which writes final days as Parquet (ARCHIVER_CURATE_SCHEDULE).')
param curateSchedule string = '0 30 * * * *'

@description('Optional. Name of the jobs queue (ARCHIVER_QUEUE_NAME).')
param queueName string = 'harvest-jobs'

@description('Optional. Service Bus tier: Basic (default; billed per operation, no base charge) or Standard (a monthly base charge; adds duplicate detection, which the archiver does not rely on). vnetEnabled makes it Premium whatever this says.')
param serviceBusTier ('Basic' | 'Standard') = 'Basic'

@description('Optional. Days Service Bus remembers a job id to drop a re-sent job (at most 7; Standard and Premium).')
@minValue(1)
@maxValue(7)
param duplicateDetectionDays int = 7

@description('Optional. Deliveries before a failing job is dead-lettered.')
@minValue(1)
@maxValue(100)
param maxDeliveryCount int = 10

@description('Optional. Container of the archive (ARCHIVER_ARCHIVE_CONTAINER).')
param archiveContainerName string = 'archive'

@description('Optional. Container of the scheduler\'s watermark (ARCHIVER_STATE_CONTAINER).')
param stateContainerName string = 'state'

@description('Optional. Redundancy of the archive account; absent (default): zone-redundant (ZRS) where the region has availability zones, geo-redundant (GRS) where it has none.')
param archiveStorageSku ('Standard_LRS' | 'Standard_ZRS' | 'Standard_GRS' | 'Standard_GZRS' | 'Standard_RAGRS' | 'Standard_RAGZRS')?

@description('Optional. Days deleted blobs and containers can be restored.')
@minValue(1)
@maxValue(365)
param softDeleteDays int = 14

@description('Optional. Days after writing before archive blobs move to Cool; 0: never.')
@minValue(0)
param archiveCoolAfterDays int = 30

@description('Optional. Days after writing before archive blobs move to Cold; 0: never.')
@minValue(0)
param archiveColdAfterDays int = 180

@description('Optional. Time-based immutability (WORM) on the archive container: days each blob can be neither overwritten nor deleted after it is written; 0: none. Default 60: Graph\'s 30 days, the last re-read pass (20 days after a window), and 10 days to notice and replay, so every blob stays immutable as long as the archiver still writes beside it. Created unlocked; locking it is a deliberate step (README "The archive protects itself"). The archiver only creates new blobs, so it works under WORM.')
@minValue(0)
@maxValue(146000)
param archiveImmutabilityDays int = 60

@description('Optional. True once the archive container\'s immutability policy is locked (README "The archive protects itself"): provision then leaves the policy alone, since a locked policy accepts only an extension and refuses the template\'s PUT. The preprovision hook refuses a provision that would send it to a locked policy, naming this setting.')
param archiveImmutabilityLocked bool = false

@description('Optional. Days after which every tenant\'s raw and curated call records and telephony logs are deleted by a lifecycle rule (personal data has an end); 0 (default): kept until deleted by hand. Over 30, or the coverage sweep would harvest Graph\'s 30 days again. Needs archiveImmutabilityDays 0: lifecycle deletes do not work in a container with an immutability policy.')
@minValue(0)
@maxValue(146000)
param archiveRetentionDays int = 0

@description('Optional. Each tenant\'s own retention, as `<tenant>=<days>` separated by commas, `home` for the deployment\'s own tenant: `npm run tenants -- retention` prints it from the registry (docs/tenants.md). That tenant\'s raw and curated blobs are deleted that many days after they are written; a tenant not named keeps archiveRetentionDays. Each over 30, and under archiveRetentionDays where that is set (its rule deletes every tenant\'s blobs at its own age). Needs archiveImmutabilityDays 0, as archiveRetentionDays does.')
param tenantRetention string = ''

@description('Optional. Days the audit log (who read, wrote or deleted archive blobs) is kept in Log Analytics; at least a year, for an archive kept for years.')
@minValue(365)
@maxValue(4383)
param auditRetentionDays int = 365

@description('Optional. E-mail address for the alerts; empty: alerts show in the portal only.')
param alertEmail string = ''

@description('Optional. Hours without a successful harvest before alerting; a log alert window: 2, 3, 4, 5, 6, 24 or 48.')
param noHarvestAlertHours 2 | 3 | 4 | 5 | 6 | 24 | 48 = 6

@description('Optional. Hours a window may stay missing (counted from its start) before alerting.')
@minValue(8)
@maxValue(600)
param missingWindowAlertHours int = 24

@description('Optional. Hours the watermark may trail now before alerting (Graph keeps 30 days).')
@minValue(2)
@maxValue(240)
param watermarkLagAlertHours int = 24

@description('Optional. Private networking: storage and Service Bus only through private endpoints in a new virtual network, public access off, and the function app on VNet integration. Needs Flex Consumption, and makes Service Bus Premium (private endpoints need it).')
param vnetEnabled bool = false

@description('Optional. Address space of the virtual network (vnetEnabled); the app and private-endpoint subnets are its first two /24s.')
param vnetAddressPrefix string = '10.0.0.0/16'

@description('Optional. Name overrides; empty: an abbreviation plus a token unique to subscription, environment and region.')
param names {
  identity: string?
  archiveStorage: string?
  runtimeStorage: string?
  serviceBus: string?
  workspace: string?
  appInsights: string?
  plan: string?
  functionApp: string?
  vnet: string?
  graphApp: string?
} = {}

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))

// Refused by name before anything is created: combinations Azure would refuse halfway through.
var checkedHostingPlan = hostingPlan == 'FlexConsumption' && !contains(flexConsumptionRegions, location)
  ? fail('hostingPlan FlexConsumption is not offered in ${location}: choose a region from infra/regions.bicep, or set HOSTING_PLAN=Consumption (hostingPlan).')
  : vnetEnabled && hostingPlan == 'Consumption'
      ? fail('vnetEnabled needs hostingPlan FlexConsumption: the Consumption plan has no virtual network integration.')
      : hostingPlan

// An archive kept for years survives the loss of a datacenter: across zones where the region has
// them, otherwise in the paired region.
var archiveSku = archiveStorageSku ?? (contains(availabilityZoneRegions, location) ? 'Standard_ZRS' : 'Standard_GRS')
var tags = { 'azd-env-name': environmentName }
var archiveStorageName = names.?archiveStorage ?? 'starc${resourceToken}'
var runtimeStorageName = names.?runtimeStorage ?? 'stfn${resourceToken}'
var serviceBusName = names.?serviceBus ?? 'sb-${resourceToken}'
var deploymentContainerName = 'deployment-package'
// Busy instances announce their Graph use here every 2.5 s: in the runtime account, whose requests
// the archive's audit log does not record (a diagnostic setting cannot leave one container out).
var budgetContainerName = 'budget'

// Retention (personal data has an end): lifecycle rules that delete raw and curated blobs by age,
// one for every tenant (archiveRetentionDays) and one per tenant named in tenantRetention, over the
// folders infra/archiveFolders.json lists. A blob two rules match goes at the younger age, so a
// tenant's own retention can only be shorter than every tenant's. Only without WORM: lifecycle
// management's delete action does not work on any blob of an immutable container, not even past
// its period (lifecycle management, known issues), so a rule that would never delete is refused by
// name rather than promised. Over 30 days: the coverage sweep harvests again any window of Graph's
// 30 days whose manifest is gone.
var archiveFolders = loadJsonContent('archiveFolders.json')
// Each `<tenant>=<days>` as its trimmed parts.
var tenantRetentionPairs = map(filter(split(tenantRetention, ','), p => !empty(trim(p))), p => map(split(p, '='), part => trim(part)))
var tenantRetentionDays = map(tenantRetentionPairs, pair => {
  tenant: retentionTenant(pair, length(filter(tenantRetentionPairs, other => toLower(other[0]) == toLower(pair[0]))))
  days: retentionDays(pair, archiveRetentionDays)
})
var everyTenantRetention = archiveRetentionDays == 0
  ? []
  : [
      {
        name: 'expire-${archiveContainerName}'
        prefixes: archiveFolders.everyTenant
        deleteAfterDays: archiveRetentionDays > 30
          ? archiveRetentionDays
          : fail('archiveRetentionDays (${archiveRetentionDays}) must be over 30 days: the coverage sweep would harvest again every window of Graph\'s 30 days whose blobs it deleted.')
      }
    ]
var tenantRetentionRules = map(tenantRetentionDays, t => {
  name: 'expire${replace(t.tenant, '-', '')}'
  prefixes: t.tenant == 'home' ? archiveFolders.home : map(archiveFolders.otherTenant, f => replace(f, '{tenant}', t.tenant))
  deleteAfterDays: t.days
})
var retentionRules = empty(tenantRetentionDays) && archiveRetentionDays == 0
  ? []
  : archiveImmutabilityDays == 0 && !archiveImmutabilityLocked
      ? length(tenantRetentionDays) <= 90
          ? concat(everyTenantRetention, tenantRetentionRules)
          : fail('tenantRetention names ${length(tenantRetentionDays)} tenants: a storage account\'s lifecycle policy holds at most 100 rules, so at most 90 tenants can have their own retention.')
      : fail('${archiveRetentionDays == 0 ? 'tenantRetention' : 'archiveRetentionDays (${archiveRetentionDays})'} needs archiveImmutabilityDays 0: lifecycle management cannot delete any blob in a container with an immutability policy, even past its period. Keep WORM and end the retention with npm run purge (docs/tenants.md, "Retention per tenant"), or set archiveImmutabilityDays 0 and delete the unlocked policy (az storage container immutability-policy delete); a locked policy cannot be removed.')

// `home` or a tenant id (lower case), named once.
func retentionTenant(pair string[], named int) string =>
  named > 1
    ? fail('tenantRetention names tenant ${pair[0]} ${named} times.')
    : toLower(pair[0]) == 'home' || (length(pair[0]) == 36 && onlyOf(toLower(pair[0]), '0123456789abcdef-'))
        ? toLower(pair[0])
        : fail('tenantRetention: "${pair[0]}" is not a tenant id (a GUID) or home.')

// Whole days over 30, under every tenant's retention where that is set.
func retentionDays(pair string[], everyTenantDays int) int =>
  length(pair) != 2 || !onlyOf(pair[length(pair) - 1], '0123456789')
    ? fail('tenantRetention: "${join(pair, '=')}" is not <tenant>=<days>.')
    : int(pair[1]) <= 30
        ? fail('tenantRetention: ${pair[0]} keeps ${pair[1]} days; it must be over 30: the coverage sweep would harvest again every window of Graph\'s 30 days whose blobs it deleted.')
        : everyTenantDays > 0 && int(pair[1]) >= everyTenantDays
            ? fail('tenantRetention: ${pair[0]} keeps ${pair[1]} days, not less than archiveRetentionDays (${everyTenantDays}), whose rule deletes every tenant\'s blobs at that age: raise archiveRetentionDays, or set it to 0 and name each tenant\'s retention.')
            : int(pair[1])

func onlyOf(value string, allowed string) bool =>
  !empty(value) && empty(filter(range(0, length(value)), i => !contains(allowed, substring(value, i, 1))))

// The archiver's own role on the archive container: read, list and create blobs, and nothing that
// deletes, moves or renames them (no blobs/delete, move/action, deleteBlobVersion/action,
// permanentDelete/action, and no wildcard). Blob RBAC cannot tell creating a block blob from
// overwriting one, so write stays in; the container's WORM policy refuses the overwrite.
var archiveWriterDataActions = [
  'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'
  'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write'
  'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action'
]

// Role names and ids are both unique in a tenant, so both come from the resource group: the same
// environment deployed to a second resource group gets a role of its own instead of colliding on
// the name (resourceToken is per subscription, environment and region, not per resource group).
var archiveWriterRoleScope = resourceGroup().id

resource archiveWriterRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(archiveWriterRoleScope, 'callrecords-archive-writer')
  properties: {
    roleName: 'Call records archive writer (${uniqueString(archiveWriterRoleScope, 'callrecords-archive-writer')})'
    description: 'Read, list and create blobs in the call-record archive; never delete, move or rename them.'
    type: 'CustomRole'
    permissions: [{ actions: [], notActions: [], dataActions: archiveWriterDataActions, notDataActions: [] }]
    assignableScopes: [resourceGroup().id]
  }
}

var roleIds = {
  archiveWriter: archiveWriterRole.name
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageBlobDataReader: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'
  serviceBusDataOwner: '090c5cfd-751d-490a-894a-3ce6f1109419'
  serviceBusDataReceiver: '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'
  serviceBusDataSender: '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

// Every Azure role of the deployment, each at the narrowest scope that works. Each module creates
// the ones that target its resources.
var roleAssignments roleAssignmentType[] = [
  {
    principal: 'archiver'
    target: 'archiveContainer'
    roleDefinitionId: roleIds.archiveWriter
    reason: 'Create archive blobs and manifests; read and list earlier passes. No delete, move or rename.'
  }
  {
    principal: 'archiver'
    target: 'stateContainer'
    roleDefinitionId: roleIds.storageBlobDataContributor
    reason: 'Read and conditionally replace the scheduler watermark; announce and retire instances of the shared Graph budget.'
  }
  {
    principal: 'archiver'
    target: 'runtimeAccount'
    roleDefinitionId: roleIds.storageBlobDataOwner
    reason: 'Functions host storage (AzureWebJobsStorage) and the deployment package; the host creates its own containers.'
  }
  {
    // Not Sender + Receiver: Flex Consumption scales the harvest by the queue's active message
    // count, which the Service Bus extension's target-based scaler reads with the Manage claim and
    // cannot read without it. Owner of this one queue is the least that lets that scaler work.
    principal: 'archiver'
    target: 'jobsQueue'
    roleDefinitionId: roleIds.serviceBusDataOwner
    reason: 'Send jobs (timer, splits), receive and settle them (harvest), and read the queue length for target-based scaling.'
  }
  {
    principal: 'archiver'
    target: 'appInsights'
    roleDefinitionId: roleIds.monitoringMetricsPublisher
    reason: 'Send telemetry with Entra ID (local auth is off).'
  }
  {
    principal: 'deployer'
    target: 'stateContainer'
    roleDefinitionId: roleIds.storageBlobDataReader
    reason: 'Read the watermark.'
  }
  {
    principal: 'deployer'
    target: 'deploymentContainer'
    roleDefinitionId: roleIds.storageBlobDataContributor
    reason: 'Upload archiver.zip (the Consumption plan runs it from this container).'
  }
  {
    principal: 'deployer'
    target: 'jobsQueue'
    roleDefinitionId: roleIds.serviceBusDataReceiver
    reason: 'Read and settle dead-lettered jobs (npm run replay).'
  }
  {
    principal: 'deployer'
    target: 'jobsQueue'
    roleDefinitionId: roleIds.serviceBusDataSender
    reason: 'Send dead-lettered jobs again with fresh ids (npm run replay).'
  }
  {
    principal: 'reader'
    target: 'archiveContainer'
    roleDefinitionId: roleIds.storageBlobDataReader
    reason: 'Query the archive (Synapse serverless SQL or Spark).'
  }
]

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: names.?identity ?? 'id-${resourceToken}'
  location: location
  tags: tags
}

var principals principalsType = {
  archiver: { id: identity.properties.principalId, type: 'ServicePrincipal', granted: true }
  deployer: { id: principalId, type: principalType, granted: !empty(principalId) }
  reader: { id: archiveReaderPrincipalId, type: archiveReaderPrincipalType, granted: !empty(archiveReaderPrincipalId) }
}

module archiveStorage 'modules/storageAccount.bicep' = {
  name: 'archive-storage'
  params: {
    name: archiveStorageName
    location: location
    tags: tags
    skuName: archiveSku
    hierarchicalNamespace: true
    publicNetworkAccess: !vnetEnabled
    softDeleteDays: softDeleteDays
    auditWorkspaceId: auditLogs ? monitoring.outputs.workspaceId : ''
    deleteLock: archiveDeleteLock
    containers: [
      // Locked: the policy is no longer the template's to send (only `az storage container
      // immutability-policy extend` changes it).
      { name: archiveContainerName, target: 'archiveContainer', immutabilityDays: archiveImmutabilityLocked ? 0 : archiveImmutabilityDays }
      { name: stateContainerName, target: 'stateContainer' }
    ]
    tiering: {
      container: archiveContainerName
      coolAfterDays: archiveCoolAfterDays
      // Blobs move to Cold after Cool: a Cold day not after the Cool day is refused, by name.
      coldAfterDays: archiveColdAfterDays == 0 || archiveCoolAfterDays == 0 || archiveColdAfterDays > archiveCoolAfterDays
        ? archiveColdAfterDays
        : fail('archiveColdAfterDays (${archiveColdAfterDays}) must be later than archiveCoolAfterDays (${archiveCoolAfterDays}): archive blobs move to Cold after Cool.')
    }
    retention: {
      container: archiveContainerName
      rules: retentionRules
    }
    roleAssignments: roleAssignments
    principals: principals
  }
}

// A separate account for the Functions host and its deployment package: the host needs Blob Data
// Owner on its account (it makes its own containers), so sharing one account would give the
// archiver's identity an account-wide role on the archive, and put host containers in the lake.
module runtimeStorage 'modules/storageAccount.bicep' = {
  name: 'runtime-storage'
  params: {
    name: runtimeStorageName
    location: location
    tags: tags
    hierarchicalNamespace: false
    publicNetworkAccess: !vnetEnabled
    softDeleteDays: 7
    containers: [{ name: deploymentContainerName, target: 'deploymentContainer' }, { name: budgetContainerName, target: 'budgetContainer' }]
    // Who replaced the code package in deployment-package: writes and deletes only (the host's
    // reads are many and hold nothing to audit). Flex deploys upload with the app's own identity,
    // so a deploy and the archiver's code writing there look alike in these lines: match them with
    // the Activity log's deployment entries (README "The archive protects itself").
    auditWorkspaceId: auditLogs ? monitoring.outputs.workspaceId : ''
    auditCategories: ['StorageWrite', 'StorageDelete']
    accountTarget: 'runtimeAccount'
    roleAssignments: roleAssignments
    principals: principals
  }
}

module serviceBus 'modules/serviceBus.bicep' = {
  name: 'service-bus'
  params: {
    name: serviceBusName
    location: location
    tags: tags
    queueName: queueName
    // Private endpoints need Premium.
    tier: vnetEnabled ? 'Premium' : serviceBusTier
    duplicateDetectionDays: duplicateDetectionDays
    maxDeliveryCount: maxDeliveryCount
    publicNetworkAccess: !vnetEnabled
    auditWorkspaceId: auditLogs ? monitoring.outputs.workspaceId : ''
    roleAssignments: roleAssignments
    principals: principals
  }
}

// Blob for the archiver and the Functions host, dfs for lake readers inside the network (Synapse
// reaches the archive through a managed private endpoint of its own). Ids from names, not module
// outputs, so the network module's loops are counted before the deployment starts.
var privateEndpoints privateEndpointType[] = [
  { name: 'archive-blob', resourceId: resourceId('Microsoft.Storage/storageAccounts', archiveStorageName), groupId: 'blob' }
  { name: 'archive-dfs', resourceId: resourceId('Microsoft.Storage/storageAccounts', archiveStorageName), groupId: 'dfs' }
  { name: 'runtime-blob', resourceId: resourceId('Microsoft.Storage/storageAccounts', runtimeStorageName), groupId: 'blob' }
  { name: 'jobs', resourceId: resourceId('Microsoft.ServiceBus/namespaces', serviceBusName), groupId: 'namespace' }
]

module network 'modules/network.bicep' = if (vnetEnabled) {
  name: 'network'
  params: {
    name: names.?vnet ?? 'vnet-${resourceToken}'
    location: location
    tags: tags
    addressPrefix: vnetAddressPrefix
    appSubnetPrefix: cidrSubnet(vnetAddressPrefix, 24, 0)
    privateEndpointSubnetPrefix: cidrSubnet(vnetAddressPrefix, 24, 1)
    privateEndpoints: privateEndpoints
  }
  dependsOn: [archiveStorage, runtimeStorage, serviceBus]
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    workspaceName: names.?workspace ?? 'log-${resourceToken}'
    appInsightsName: names.?appInsights ?? 'appi-${resourceToken}'
    location: location
    tags: tags
    auditRetentionDays: auditLogs ? auditRetentionDays : 30
    roleAssignments: roleAssignments
    principals: principals
  }
}

module graphGrant 'modules/graphGrant.bicep' = if (grantGraphInBicep) {
  name: 'graph-grant'
  params: {
    managedIdentityPrincipalId: identity.properties.principalId
    graphIdentity: graphIdentity
    appUniqueName: names.?graphApp ?? 'callrecords-archiver-${resourceToken}'
    appDisplayName: 'callrecords-archiver (${environmentName})'
    multiTenant: graphAppMultiTenant
  }
  // Granting to a managed identity created seconds earlier fails now and then ("Not a valid
  // reference update", msgraph-bicep-types issue 193) while Entra replicates it. The grant waits
  // for the slowest resources that do not need it (a Service Bus namespace takes minutes), so the
  // identity has existed for a while by then. (The function app needs the grant's outputs.)
  dependsOn: [archiveStorage, runtimeStorage, serviceBus, monitoring]
}

var graphAppId = grantGraphInBicep ? graphGrant!.outputs.appClientId : graphAppClientId

// Settings the archiver reads (shared/config/settings.ts). Static keys, so test/infra/infra.test.ts can check that
// they cover every setting the code marks as required in Azure.
var archiverSettings = {
  ARCHIVER_CLOUD: archiverCloud
  ARCHIVER_MANAGED_IDENTITY_CLIENT_ID: identity.properties.clientId
  ARCHIVER_SCHEDULE: schedule
  ARCHIVER_CURATE_SCHEDULE: curateSchedule
  ARCHIVER_QUEUE_NAME: serviceBus.outputs.queueName
  ARCHIVER_SERVICEBUS__fullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
  ARCHIVER_STORAGE__blobServiceUri: archiveStorage.outputs.blobEndpoint
  ARCHIVER_ARCHIVE_CONTAINER: archiveContainerName
  ARCHIVER_STATE_CONTAINER: stateContainerName
  ARCHIVER_BUDGET_STORAGE__blobServiceUri: runtimeStorage.outputs.blobEndpoint
  ARCHIVER_BUDGET_CONTAINER: budgetContainerName
  // Graph's limit is per app and tenant: each instance starts at its share and climbs towards the
  // whole while Graph does not throttle the app (shared/graph/requestGovernor.ts).
  ARCHIVER_GRAPH_RATE_REQUESTS: string(1500 / maximumInstanceCount)
  ARCHIVER_GRAPH_CEILING_REQUESTS: '1500'
}
// What the lifecycle rules hold, for the plan function to compare with the tenant registry's; none
// under WORM, where no rule deletes and npm run purge reads the registry itself.
var retentionSettings = archiveImmutabilityDays == 0 && !archiveImmutabilityLocked ? { ARCHIVER_TENANT_RETENTION: tenantRetention } : {}

// With an app registration, Graph tokens are that app's, obtained with the identity's assertion.
var graphAppSettings = graphIdentity == 'appRegistration' && !empty(graphAppId)
  ? {
      ARCHIVER_GRAPH_APP_CLIENT_ID: graphAppId
      AZURE_TENANT_ID: tenant().tenantId
    }
  : {}

module functionApp 'modules/functionApp.bicep' = {
  name: 'function-app'
  params: {
    name: names.?functionApp ?? 'func-${resourceToken}'
    planName: names.?plan ?? 'plan-${resourceToken}'
    location: location
    tags: tags
    hostingPlan: checkedHostingPlan
    virtualNetworkSubnetId: vnetEnabled ? network!.outputs.appSubnetId : ''
    identityId: identity.id
    identityClientId: identity.properties.clientId
    runtimeBlobEndpoint: runtimeStorage.outputs.blobEndpoint
    deploymentContainer: deploymentContainerName
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    archiverSettings: archiverSettings
    retentionSettings: retentionSettings
    graphAppSettings: graphAppSettings
    maximumInstanceCount: maximumInstanceCount
    auditWorkspaceId: auditLogs ? monitoring.outputs.workspaceId : ''
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  params: {
    namePrefix: 'archiver-${resourceToken}'
    location: location
    tags: tags
    serviceBusNamespaceId: serviceBus.outputs.id
    queueName: serviceBus.outputs.queueName
    appInsightsId: monitoring.outputs.appInsightsId
    alertEmail: alertEmail
    noHarvestHours: noHarvestAlertHours
    missingWindowHours: missingWindowAlertHours
    watermarkLagHours: watermarkLagAlertHours
    auditWorkspaceId: auditLogs ? monitoring.outputs.workspaceId : ''
    archiveContainerName: archiveContainerName
    archiverPrincipalId: identity.properties.principalId
  }
}

module workbook 'modules/workbook.bicep' = {
  name: 'workbook'
  params: {
    displayName: 'callrecords-archiver (${environmentName})'
    location: location
    tags: tags
    appInsightsId: monitoring.outputs.appInsightsId
  }
}

@description('Region of the deployment.')
output AZURE_LOCATION string = location
@description('Tenant of the deployment (and of the Graph grant).')
output AZURE_TENANT_ID string = tenant().tenantId
@description('Resource group of the deployment.')
output AZURE_RESOURCE_GROUP string = resourceGroup().name
@description('Function app running plan and curate (timers) and harvest (Service Bus).')
output FUNCTION_APP_NAME string = functionApp.outputs.name
@description('Client id of the archiver\'s user-assigned identity.')
output MANAGED_IDENTITY_CLIENT_ID string = identity.properties.clientId
@description('Object id of that identity (for grant-graph.sh).')
output MANAGED_IDENTITY_PRINCIPAL_ID string = identity.properties.principalId
@description('ADLS Gen2 account holding the archive.')
output ARCHIVE_STORAGE_ACCOUNT string = archiveStorage.outputs.name
@description('Blob endpoint of the archive account.')
output ARCHIVE_BLOB_ENDPOINT string = archiveStorage.outputs.blobEndpoint
@description('Container of the JSON Lines archive and manifests.')
output ARCHIVE_CONTAINER string = archiveContainerName
@description('The archive container as Synapse reads it (lake/synapse/views.sql takes it as ArchiveUrl).')
output ARCHIVE_LAKE_URL string = '${archiveStorage.outputs.dfsEndpoint}${archiveContainerName}'
@description('Container of the scheduler watermark.')
output STATE_CONTAINER string = stateContainerName
@description('Account of the Functions host and deployment package.')
output RUNTIME_STORAGE_ACCOUNT string = runtimeStorage.outputs.name
@description('Service Bus namespace host.')
output SERVICEBUS_NAMESPACE string = serviceBus.outputs.fullyQualifiedNamespace
@description('Queue of harvest jobs.')
output SERVICEBUS_QUEUE string = serviceBus.outputs.queueName
@description('Application Insights component.')
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.appInsightsName
@description('Cloud the archiver reads call records from.')
output ARCHIVER_CLOUD string = archiverCloud
@description('Whether this deployment made the Graph grant (false: run infra/scripts/grant-graph.sh).')
output GRAPH_GRANT_IN_BICEP bool = grantGraphInBicep
@description('Client id of the Graph app registration; empty when the identity holds the permission.')
output GRAPH_APP_CLIENT_ID string = graphAppId
@description('Where to upload archiver.zip on the Consumption plan; empty on Flex.')
output CONSUMPTION_PACKAGE_URL string = functionApp.outputs.consumptionPackageUrl
@description('Names of the alert rules.')
output ALERT_RULES string[] = alerts.outputs.alertRuleNames
@description('The role assignments the template declares on the archive container; the postprovision hook removes the archiver\'s and the deployer\'s others there.')
output ARCHIVE_ROLE_ASSIGNMENTS array = map(
  filter(roleAssignments, a => a.target == 'archiveContainer' && principals[a.principal].granted),
  a => { principalId: principals[a.principal].id, roleDefinitionId: a.roleDefinitionId }
)
@description('Resource id of the Azure Monitor workbook (Monitor → Workbooks).')
output WORKBOOK_ID string = workbook.outputs.id
