// Log Analytics and Application Insights, both with local (key) auth off: the app sends telemetry
// with its managed identity, which needs Monitoring Metrics Publisher on the component.
import { principalsType, roleAssignmentName, roleAssignmentProperties, roleAssignmentType, rolesFor } from '../types.bicep'

@description('Required. Log Analytics workspace name.')
param workspaceName string

@description('Required. Application Insights component name.')
param appInsightsName string

@description('Required. Azure region.')
param location string

@description('Optional. Tags for every resource.')
param tags object = {}

@description('Optional. Days logs are kept.')
@minValue(30)
@maxValue(730)
param retentionDays int = 30

@description('Optional. Days the storage audit log (StorageBlobLogs: who read, wrote or deleted which blob) is kept; 30 keeps the workspace\'s default.')
@minValue(30)
@maxValue(4383)
param auditRetentionDays int = 30

@description('Required. The deployment\'s roles; this module creates those that target Application Insights.')
param roleAssignments roleAssignmentType[]

@description('Required. Principals the roles go to.')
param principals principalsType

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: workspaceName
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: retentionDays
    features: { disableLocalAuth: true }
  }
}

// The archive is kept for years: who read or deleted it is kept at least a year, in this table only
// (the rest of the workspace keeps its 30 days).
resource blobAuditTable 'Microsoft.OperationalInsights/workspaces/tables@2022-10-01' = if (auditRetentionDays > retentionDays) {
  parent: workspace
  name: 'StorageBlobLogs'
  properties: {
    // Interactive queries reach back at most two years; the rest stays as long-term retention.
    retentionInDays: min(auditRetentionDays, 730)
    totalRetentionInDays: auditRetentionDays
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true
  }
}

resource insightsRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for r in rolesFor(roleAssignments, principals, ['appInsights']): {
    name: roleAssignmentName(appInsights.id, r, principals)
    scope: appInsights
    properties: roleAssignmentProperties(r, principals)
  }
]

@description('Resource id of the Application Insights component (the log alerts\' scope).')
output appInsightsId string = appInsights.id

@description('Resource id of the Log Analytics workspace (audit logs go here).')
output workspaceId string = workspace.id

@description('Application Insights name.')
output appInsightsName string = appInsights.name

// Not a secret: with local auth off, the instrumentation key alone cannot send telemetry; the
// Functions host needs it to find the ingestion endpoint, and authenticates with Entra ID.
@description('Application Insights connection string (endpoint and instrumentation key; useless without Entra auth).')
output appInsightsConnectionString string = appInsights.properties.ConnectionString
