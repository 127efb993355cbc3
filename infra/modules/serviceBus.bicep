// Service Bus Basic by default (no base charge: the archiver relies on no feature above it), Standard
// on request (duplicate detection as a second guard), or Premium when private, with local (SAS)
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

@description('Required. Basic (billed per operation, no base charge), Standard (adds duplicate detection) or Premium (private endpoints; needed when publicNetworkAccess is false).')
param tier ('Basic' | 'Standard' | 'Premium')

@description('Optional. Days a job\'s MessageId is remembered so a re-sent job is dropped (Standard and Premium). Service Bus allows at most 7.')
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

// Re-read passes are sent at pass 0 and scheduled up to 20 days ahead (ARCHIVER_REREAD_OFFSETS). A
// scheduled message's time-to-live counts from the time it is scheduled for, not from the send
// ("expires-at-utc is still enqueued time + time-to-live", Service Bus's message expiration page), so
// a job expires this long after it fell due unread. 14 days is Basic's maximum (the same page), and
// more than a job can use: by then Graph has forgotten most of its window. An expired job is
// dead-lettered, alerted on, and sent again by the coverage sweep while Graph still holds the window.
@description('Optional. Days a job may wait in the queue after it falls due before it is dead-lettered; at most 14 on Basic.')
@minValue(1)
@maxValue(365)
param messageTimeToLiveDays int = 14

@description('Optional. Reachable from the internet (default), or only through a private endpoint (vnetEnabled), which needs tier Premium.')
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
  // Only Premium takes private endpoints (main.bicep picks it with vnetEnabled).
  sku: tier == 'Premium' ? { name: 'Premium', tier: 'Premium', capacity: 1 } : { name: tier, tier: tier }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: publicNetworkAccess ? 'Enabled' : 'Disabled'
  }
}

resource queue 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = {
  parent: namespace
  name: queueName
  // Basic has no duplicate detection; the archiver does not need it (a repeated job finds its
  // manifest and does nothing; the sweep remembers what it re-sent), Standard adds it as a second guard.
  properties: union(
    {
      requiresDuplicateDetection: tier != 'Basic'
      maxDeliveryCount: maxDeliveryCount
      lockDuration: 'PT${lockDurationMinutes}M'
      defaultMessageTimeToLive: 'P${tier == 'Basic' ? min(messageTimeToLiveDays, 14) : messageTimeToLiveDays}D'
      deadLetteringOnMessageExpiration: true
      enablePartitioning: false
      requiresSession: false
    },
    tier == 'Basic' ? {} : { duplicateDetectionHistoryTimeWindow: 'P${duplicateDetectionDays}D' }
  )
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
