// Service Bus Standard (duplicate detection needs it), or Premium when private, with local (SAS)
// auth off, and the jobs queue.
import { principalsType, roleAssignmentName, roleAssignmentProperties, roleAssignmentType, rolesFor } from '../types.bicep'

@description('Required. Namespace name.')
param name string

@description('Required. Azure region.')
param location string

@description('Optional. Tags for every resource.')
param tags object = {}

@description('Required. Name of the queue that carries harvest jobs.')
param queueName string

@description('Optional. Days a job\'s MessageId is remembered so a re-sent job is dropped. Service Bus allows at most 7.')
@minValue(1)
@maxValue(7)
param duplicateDetectionDays int = 7

@description('Optional. Deliveries before a job that keeps failing is dead-lettered.')
@minValue(1)
@maxValue(100)
param maxDeliveryCount int = 10

@description('Optional. Lock of one delivery, in minutes (at most 5); the Functions host renews it while the harvest runs.')
@minValue(1)
@maxValue(5)
param lockDurationMinutes int = 5

// Re-read passes are sent at pass 0 and scheduled up to 20 days ahead (ARCHIVER_REREAD_OFFSETS).
// Counted from the send, as Service Bus's documentation words it, they must not expire before they
// are due: the settings keep every offset under 29 days, so 29 days is enough for any of them. A job
// that waits longer is dead-lettered and alerted on (stalled harvests have alerts of their own).
@description('Optional. Days a job may stay in the queue before it is dead-lettered; must exceed the longest re-read offset.')
@minValue(1)
@maxValue(365)
param messageTimeToLiveDays int = 29

@description('Optional. Reachable from the internet (default), or only through a private endpoint (vnetEnabled). Private endpoints need the Premium tier, so private means Premium.')
param publicNetworkAccess bool = true

@description('Optional. Log Analytics workspace for the namespace\'s operational logs; empty: none.')
param auditWorkspaceId string = ''

@description('Required. The deployment\'s roles; this module creates those that target the queue.')
param roleAssignments roleAssignmentType[]

@description('Required. Principals the roles go to.')
param principals principalsType

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: name
  location: location
  tags: tags
  // Standard is the least tier with duplicate detection; only Premium takes private endpoints.
  sku: publicNetworkAccess ? { name: 'Standard', tier: 'Standard' } : { name: 'Premium', tier: 'Premium', capacity: 1 }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: publicNetworkAccess ? 'Enabled' : 'Disabled'
  }
}

resource queue 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = {
  parent: namespace
  name: queueName
  properties: {
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: 'P${duplicateDetectionDays}D'
    maxDeliveryCount: maxDeliveryCount
    lockDuration: 'PT${lockDurationMinutes}M'
    defaultMessageTimeToLive: 'P${messageTimeToLiveDays}D'
    deadLetteringOnMessageExpiration: true
    enablePartitioning: false
    requiresSession: false
  }
}

resource queueRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for r in rolesFor(roleAssignments, principals, ['jobsQueue']): {
    name: roleAssignmentName(queue.id, r, principals)
    scope: queue
    properties: roleAssignmentProperties(r, principals)
  }
]

@description('Resource id of the namespace (the dead-letter alert\'s scope).')
output id string = namespace.id

@description('Namespace host, e.g. <name>.servicebus.windows.net (cloud-correct).')
// From the endpoint (https://<host>:443/) rather than a pasted suffix, so national clouds are right.
output fullyQualifiedNamespace string = split(split(namespace.properties.serviceBusEndpoint, '//')[1], ':')[0]

@description('Queue name.')
output queueName string = queue.name

resource audit 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = if (!empty(auditWorkspaceId)) {
  name: 'audit'
  scope: namespace
  properties: {
    workspaceId: auditWorkspaceId
    logs: [{ categoryGroup: 'allLogs', enabled: true }]
  }
}
