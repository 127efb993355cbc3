// A storage account with no shared key, its containers, soft delete, an optional lifecycle policy,
// and the data-plane roles scoped to the containers (or the account) that need them.
import { containerType, principalsType, roleAssignmentName, roleAssignmentProperties, roleAssignmentType, roleTarget, rolesFor } from '../types.bicep'

@description('Required. Storage account name (3-24 lowercase letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Required. Azure region.')
param location string

@description('Optional. Tags for every resource.')
param tags object = {}

@description('Optional. Redundancy of the account.')
param skuName 'Standard_LRS' | 'Standard_ZRS' | 'Standard_GRS' | 'Standard_GZRS' | 'Standard_RAGRS' | 'Standard_RAGZRS' = 'Standard_LRS'

@description('Required. Hierarchical namespace (ADLS Gen2), what Synapse reads best. Off for the Functions runtime account, which needs none.')
param hierarchicalNamespace bool

@description('Required. Containers to create.')
param containers containerType[]

@description('Optional. Days deleted blobs and containers can be restored.')
@minValue(1)
@maxValue(365)
param softDeleteDays int = 14

@description('Optional. Lifecycle tiering of the named container: blobs move to cool, then cold, this many days after they are written. 0 turns a step off.')
param tiering {
  @description('Required. Container whose blobs are tiered; empty for no lifecycle policy.')
  container: string
  @description('Required. Days after writing before Cool; 0 for never.')
  coolAfterDays: int
  @description('Required. Days after writing before Cold; 0 for never.')
  coldAfterDays: int
} = { container: '', coolAfterDays: 0, coldAfterDays: 0 }

@description('Optional. Retention end: lifecycle rules that delete blobs of the container under their prefixes this many days after they are written (personal data has an end); an empty container or no rules: none.')
param retention {
  @description('Required. Container whose blobs expire; empty for none.')
  container: string
  @description('Required. One rule per scope (every tenant, one tenant): its name, prefixes inside the container, and days after writing before deletion.')
  rules: { name: string, prefixes: string[], deleteAfterDays: int }[]
} = { container: '', rules: [] }

@description('Optional. Log Analytics workspace for an audit trail of every blob read, write and delete; empty: none.')
param auditWorkspaceId string = ''

@description('Optional. Which blob operations the audit trail records.')
param auditCategories ('StorageRead' | 'StorageWrite' | 'StorageDelete')[] = ['StorageRead', 'StorageWrite', 'StorageDelete']

@description('Optional. A CanNotDelete lock on the account, so deleting the resource group (azd down) stops at it.')
param deleteLock bool = false

@description('Optional. Reachable from the internet (default), or only through private endpoints (vnetEnabled).')
param publicNetworkAccess bool = true

@description('Optional. Role target that means this whole account; absent: roles go to containers only.')
param accountTarget roleTarget?

@description('Required. The deployment\'s roles; this module creates those that target its account or containers.')
param roleAssignments roleAssignmentType[]

@description('Required. Principals the roles go to.')
param principals principalsType

resource account 'Microsoft.Storage/storageAccounts@2024-01-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: skuName }
  properties: {
    isHnsEnabled: hierarchicalNamespace
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: publicNetworkAccess ? 'Enabled' : 'Disabled'
    networkAcls: { defaultAction: publicNetworkAccess ? 'Allow' : 'Deny', bypass: 'AzureServices' }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2024-01-01' = {
  parent: account
  name: 'default'
  properties: {
    deleteRetentionPolicy: { enabled: true, days: softDeleteDays }
    containerDeleteRetentionPolicy: { enabled: true, days: softDeleteDays }
  }
}

resource containerResources 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' = [
  for c in containers: {
    parent: blobService
    name: c.name
    properties: { publicAccess: 'None' }
  }
]

// Unlocked on purpose: a locked policy cannot be shortened or removed, so locking is the owner's
// explicit step after checking the period (see README "Deploy").
resource immutability 'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies@2024-01-01' = [
  for (c, i) in containers: if ((c.?immutabilityDays ?? 0) > 0) {
    parent: containerResources[i]
    name: 'default'
    properties: {
      immutabilityPeriodSinceCreationInDays: c.?immutabilityDays ?? 0
      allowProtectedAppendWrites: false
    }
  }
]

var tierActions = union(
  tiering.coolAfterDays > 0 ? { tierToCool: { daysAfterModificationGreaterThan: tiering.coolAfterDays } } : {},
  tiering.coldAfterDays > 0 ? { tierToCold: { daysAfterModificationGreaterThan: tiering.coldAfterDays } } : {}
)

var tierRules = !empty(tiering.container) && !empty(tierActions)
  ? [
      {
        name: 'tier-${tiering.container}'
        enabled: true
        type: 'Lifecycle'
        definition: {
          filters: { blobTypes: ['blockBlob'], prefixMatch: ['${tiering.container}/'] }
          actions: { baseBlob: tierActions }
        }
      }
    ]
  : []

// A lifecycle rule matches at most 10 prefixes: a longer list is split into rules of 10.
var retentionRules = empty(retention.container)
  ? []
  : flatten(map(retention.rules, r => map(range(0, (length(r.prefixes) + 9) / 10), i => {
      name: i == 0 ? r.name : '${r.name}${i + 1}'
      enabled: true
      type: 'Lifecycle'
      definition: {
        filters: { blobTypes: ['blockBlob'], prefixMatch: map(take(skip(r.prefixes, i * 10), 10), p => '${retention.container}/${p}') }
        actions: { baseBlob: { delete: { daysAfterModificationGreaterThan: r.deleteAfterDays } } }
      }
    })))

resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2024-01-01' = if (!empty(concat(tierRules, retentionRules))) {
  parent: account
  name: 'default'
  properties: {
    policy: { rules: concat(tierRules, retentionRules) }
  }
  dependsOn: [containerResources]
}

// Who read, wrote or deleted which call records, and when: the archive holds personal data for years.
resource blobAudit 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = if (!empty(auditWorkspaceId)) {
  name: 'audit'
  scope: blobService
  properties: {
    workspaceId: auditWorkspaceId
    logs: [for category in auditCategories: { category: category, enabled: true }]
  }
}

resource lock 'Microsoft.Authorization/locks@2020-05-01' = if (deleteLock) {
  name: 'keep-the-archive'
  scope: account
  properties: {
    level: 'CanNotDelete'
    notes: 'The call-record archive: Graph keeps these records for 30 days only. Remove this lock deliberately before deleting the account.'
  }
}

var containerTargets = map(containers, c => c.target)
var containerRoles = rolesFor(roleAssignments, principals, containerTargets)
var accountRoles = rolesFor(roleAssignments, principals, empty(accountTarget) ? [] : [accountTarget!])

resource roleContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' existing = [
  for r in containerRoles: {
    parent: blobService
    name: containers[indexOf(containerTargets, r.target)].name
  }
]

resource containerRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (r, i) in containerRoles: {
    name: roleAssignmentName(roleContainers[i].id, r, principals)
    scope: roleContainers[i]
    properties: roleAssignmentProperties(r, principals)
    dependsOn: [containerResources]
  }
]

resource accountRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for r in accountRoles: {
    name: roleAssignmentName(account.id, r, principals)
    scope: account
    properties: roleAssignmentProperties(r, principals)
  }
]

@description('Resource id of the account.')
output id string = account.id

@description('Name of the account.')
output name string = account.name

@description('Blob endpoint, e.g. https://<name>.blob.core.windows.net/ (cloud-correct).')
output blobEndpoint string = account.properties.primaryEndpoints.blob

@description('Data Lake (dfs) endpoint, e.g. https://<name>.dfs.core.windows.net/, what Synapse reads.')
output dfsEndpoint string = account.properties.primaryEndpoints.dfs
