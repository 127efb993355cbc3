// What an operator must hear about before Graph's 30 days run out, each watched by something the
// failure cannot silence: dead letters (any pass), a plan function that fails or stops running, a
// window the coverage sweep finds missing for too long, a watermark falling behind, harvests
// that stopped, and records still incomplete after their window's last re-read. Log alerts read the JSON fields of the functions' event lines
// (functions/logEvents.ts), not prose; a test holds the field names to the code.

@description('Required. Name prefix of the alert rules.')
param namePrefix string

@description('Required. Azure region (log alerts are regional).')
param location string

@description('Optional. Tags for every resource.')
param tags object = {}

@description('Required. Resource id of the Service Bus namespace.')
param serviceBusNamespaceId string

@description('Required. Name of the jobs queue.')
param queueName string

@description('Required. Resource id of Application Insights.')
param appInsightsId string

@description('Optional. E-mail address the alerts go to; empty: the alerts fire in the portal only.')
param alertEmail string = ''

@description('Optional. Hours without one successful harvest before alerting; a log alert window: 2, 3, 4, 5, 6, 24 or 48.')
param noHarvestHours 2 | 3 | 4 | 5 | 6 | 24 | 48 = 6

@description('Optional. Hours a window may stay missing (from its start) before alerting, as the plan function\'s coverage sweep reports it.')
@minValue(8)
@maxValue(600)
param missingWindowHours int = 24

@description('Optional. Hours the watermark may trail now before alerting; far inside Graph\'s 30 days so there is time to act.')
@minValue(2)
@maxValue(240)
param watermarkLagHours int = 24

@description('Optional. Log Analytics workspace holding the storage audit log; empty: no delete alert.')
param auditWorkspaceId string = ''

@description('Optional. The archive container, whose deletes are alerted.')
param archiveContainerName string = 'archive'

@description('Required. Object id of the archiver\'s identity: its writes to the archive are creates, so they are not alerted.')
param archiverPrincipalId string

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: '${namePrefix}-ag'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'archiver'
    enabled: true
    emailReceivers: [{ name: 'operator', emailAddress: alertEmail, useCommonAlertSchema: true }]
  }
}

// Azure validates a log alert's query when the rule is created, against the tables as they are
// then: in a new workspace StorageBlobLogs has no rows yet and creation fails with SEM0100 "Failed
// to resolve table or column" (Azure/bicep issue 11378), failing the first `azd up`. Every query
// here is checked instead by Microsoft's Kusto language service against the documented columns, in
// npm test (test/infra/infra.test.ts), so creation need not check it again.
var skipQueryValidation = true

var actions = empty(alertEmail) ? [] : [{ actionGroupId: actionGroup.id }]

resource deadLettered 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: '${namePrefix}-dead-lettered-jobs'
  location: 'global'
  tags: tags
  properties: {
    description: 'A harvest job was dead-lettered: a permanent failure (its reason says which: GraphForbidden, ConfigurationError, …) or retries that ran out near Graph\'s horizon. The coverage sweep re-sends the window; `npm run replay` sends the dead letters again once the cause is fixed.'
    severity: 1
    enabled: true
    scopes: [serviceBusNamespaceId]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'DeadletteredMessages'
          metricNamespace: 'Microsoft.ServiceBus/namespaces'
          metricName: 'DeadletteredMessages'
          dimensions: [{ name: 'EntityName', operator: 'Include', values: [queueName] }]
          operator: 'GreaterThan'
          threshold: 0
          timeAggregation: 'Maximum'
        }
      ]
    }
    actions: actions
  }
}

// Every invocation is a `requests` row (host.json keeps Request out of sampling, so none is lost).
resource noHarvest 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-no-harvest'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    skipQueryValidation: skipQueryValidation
    description: 'No harvest succeeded for ${noHarvestHours} hours.'
    severity: 2
    enabled: true
    scopes: [appInsightsId]
    evaluationFrequency: 'PT1H'
    windowSize: 'PT${noHarvestHours}H'
    criteria: {
      allOf: [
        {
          query: 'requests | where operation_Name == "harvest" and success == true'
          timeAggregation: 'Count'
          operator: 'LessThan'
          threshold: 1
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    actions: { actionGroups: map(actions, a => a.actionGroupId) }
  }
}

// The latest event line of a kind, `<name> {json}`, with one of its fields as the measure. Every
// rule reads a window of several ticks (the plan function runs every 15 minutes) and fires on a
// missing line too: a measure that cannot be read counts as past the threshold (absentMeasure),
// so neither a stopped plan function nor a lost line keeps these alerts quiet. (host.json keeps
// traces out of sampling, so a lost line is rare; plan-silent says which of the two happened.)
var absentMeasure = 100000

// Per tenant: each tenant's latest line (lines from before tenants, with no tenant field, are the
// home tenant's), so one lagging tenant is not hidden behind another's newer line, and the alert
// names it (a dimension). The home tenant plans on every tick, so `print`'s fallback row, kept only
// where no home line arrived in the window, is the answer exactly when the function fell silent.
// A paused or removed tenant plans nothing and so alerts nothing here (the tenant alert says why).
var latestOrAbsent = '''
traces
| where operation_Name == "plan" and message startswith "{event} {"
| extend f = parse_json(substring(message, indexof(message, "{")))
| extend tenant = iff(isempty(tostring(f.tenant)), "home", tostring(f.tenant))
| summarize arg_max(timestamp, f) by tenant
| project tenant, {measure} = todouble(f.{field}), present = 1
| union (print tenant = "home", {measure} = todouble({absent}), present = 0)
| summarize arg_max(present, {measure}) by tenant
| project tenant, {measure}
'''

func latestOrAbsentOf(template string, event string, measure string, field string, absent int) string =>
  replace(replace(replace(replace(template, '{event}', event), '{measure}', measure), '{field}', field), '{absent}', string(absent))

var latestPlanLag = latestOrAbsentOf(latestOrAbsent, 'plan', 'lagHours', 'watermarkLagHours', absentMeasure)
var latestSweepMissing = latestOrAbsentOf(latestOrAbsent, 'sweep', 'oldestMissingAgeHours', 'oldestMissingAgeHours', absentMeasure)

// Records archived incomplete (a paging loop, an answer over the body cap, a record Graph kept
// failing) are read again by every re-read pass; after a window's last one they stay incomplete.
var incompleteAfterLastPass = '''
traces
| where operation_Name == "harvest" and message startswith "harvest {"
| extend f = parse_json(substring(message, indexof(message, "{")))
| where tobool(f.lastPass) and toint(f.incomplete) > 0
| summarize incomplete = sum(toint(f.incomplete))
'''

resource incompleteRecords 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-incomplete-records'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    skipQueryValidation: skipQueryValidation
    description: 'Records stay incomplete after their window\'s last re-read pass: archived as far as Graph let them be read (_archive.incomplete in the lake says why, the manifest lists them). Graph no longer serves them whole; report the record ids to Microsoft if the reason is pagingLoop or answerTooLarge.'
    severity: 2
    enabled: true
    scopes: [appInsightsId]
    evaluationFrequency: 'PT1H'
    windowSize: 'PT1H'
    criteria: {
      allOf: [
        {
          query: incompleteAfterLastPass
          timeAggregation: 'Total'
          metricMeasureColumn: 'incomplete'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    actions: { actionGroups: map(actions, a => a.actionGroupId) }
  }
}

resource watermarkLag 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-watermark-lag'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    skipQueryValidation: skipQueryValidation
    description: 'The watermark trails now by more than ${watermarkLagHours} hours; Graph deletes records after 30 days.'
    severity: 1
    enabled: true
    scopes: [appInsightsId]
    evaluationFrequency: 'PT1H'
    windowSize: 'PT1H'
    criteria: {
      allOf: [
        {
          query: latestPlanLag
          timeAggregation: 'Maximum'
          metricMeasureColumn: 'lagHours'
          dimensions: [{ name: 'tenant', operator: 'Include', values: ['*'] }]
          operator: 'GreaterThan'
          threshold: watermarkLagHours
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    actions: { actionGroups: map(actions, a => a.actionGroupId) }
  }
}

resource missingWindow 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-missing-window'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    skipQueryValidation: skipQueryValidation
    description: 'The coverage sweep finds a (window, pass) missing that started more than ${missingWindowHours} hours ago. It re-sends it; if this persists, look at the dead letters and the harvest logs.'
    severity: 1
    enabled: true
    scopes: [appInsightsId]
    evaluationFrequency: 'PT1H'
    windowSize: 'PT1H'
    criteria: {
      allOf: [
        {
          query: latestSweepMissing
          timeAggregation: 'Maximum'
          metricMeasureColumn: 'oldestMissingAgeHours'
          dimensions: [{ name: 'tenant', operator: 'Include', values: ['*'] }]
          operator: 'GreaterThan'
          threshold: missingWindowHours
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    actions: { actionGroups: map(actions, a => a.actionGroupId) }
  }
}

// A telephony log whose planning failed (its own watermark unreadable), or whose sweep finds a
// (day, pass) missing within a week of the log's horizon. A tenant without the log alerts nothing:
// its days are settled as such (docs/telephony-logs.md).
var telephonyLogProblems = '''
traces
| where operation_Name == "plan" and (message startswith "planLogFailed {" or message startswith "sweepLog {")
| extend f = parse_json(substring(message, indexof(message, "{")))
| summarize problems = countif(message startswith "planLogFailed {") + countif(message startswith "sweepLog {" and todouble(f.oldestMissingMarginHours) < 168)
'''

resource telephonyLog 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-telephony-log'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    skipQueryValidation: skipQueryValidation
    description: 'A telephony log (PSTN or Direct Routing calls) could not be planned (planLogFailed names why), or its coverage sweep finds a (day, pass) missing within a week of the log\'s horizon. It re-sends it; if this persists, look at the dead letters and the harvest logs.'
    severity: 2
    enabled: true
    scopes: [appInsightsId]
    evaluationFrequency: 'PT1H'
    windowSize: 'PT1H'
    criteria: {
      allOf: [
        {
          query: telephonyLogProblems
          timeAggregation: 'Total'
          metricMeasureColumn: 'problems'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    actions: { actionGroups: map(actions, a => a.actionGroupId) }
  }
}

// Another tenant that refused the app (consent revoked: paused automatically), whose planning
// failed, whose retention recorded is not deployed, or a registry that could not be read
// (docs/tenants.md). One alert per tenant.
var tenantProblems = '''
traces
| where operation_Name in ("plan", "harvest") and (message startswith "tenantPaused {" or message startswith "planTenantFailed {" or message startswith "tenantRegistryFailed {" or message startswith "tenantRetentionNotDeployed {")
| extend f = parse_json(substring(message, indexof(message, "{")))
| summarize problems = count() by tenant = tostring(f.tenant)
'''

resource tenantAlert 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-tenant'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    skipQueryValidation: skipQueryValidation
    description: 'Another tenant refused the app (its consent was revoked or the permission removed: it is paused, tenantPaused names why), its planning failed (planTenantFailed), or the tenant registry could not be read (tenantRegistryFailed), or its retention in the registry is not the one deployed (tenantRetentionNotDeployed: deploy the value it names as TENANT_RETENTION). Once its admin consents again: npm run tenants -- check, resume, and npm run replay.'
    severity: 2
    enabled: true
    scopes: [appInsightsId]
    evaluationFrequency: 'PT1H'
    windowSize: 'PT1H'
    criteria: {
      allOf: [
        {
          query: tenantProblems
          timeAggregation: 'Total'
          metricMeasureColumn: 'problems'
          dimensions: [{ name: 'tenant', operator: 'Include', values: ['*'] }]
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    actions: { actionGroups: map(actions, a => a.actionGroupId) }
  }
}

// A plan function that throws (an unreadable watermark, storage refused) is a failed request; one
// that no longer runs at all (the app stopped, a bad schedule) leaves no request: both alert.
resource planFailed 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-plan-failed'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    skipQueryValidation: skipQueryValidation
    description: 'The plan function failed; no window is planned and no missing window is re-sent until it succeeds. Its exception says why (a watermark error names the blob).'
    severity: 1
    enabled: true
    scopes: [appInsightsId]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT1H'
    criteria: {
      allOf: [
        {
          query: 'requests | where operation_Name == "plan" and success == false'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    actions: { actionGroups: map(actions, a => a.actionGroupId) }
  }
}

// The curated layer is rebuilt from the raw archive at any time, so a failure costs no record:
// severity 3, and every failure in a day counted once a day.
resource curateFailed 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-curate-failed'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    skipQueryValidation: skipQueryValidation
    description: 'The curate function failed: final days are not written as Parquet (curated/v2/) until it succeeds. The raw archive is unaffected. Its exception says why.'
    severity: 3
    enabled: true
    scopes: [appInsightsId]
    evaluationFrequency: 'PT1H'
    windowSize: 'P1D'
    criteria: {
      allOf: [
        {
          query: 'requests | where operation_Name == "curate" and success == false'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    actions: { actionGroups: map(actions, a => a.actionGroupId) }
  }
}

resource planSilent 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-plan-silent'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    skipQueryValidation: skipQueryValidation
    description: 'The plan function has not run for an hour (it runs every 15 minutes): the app is stopped, its timer is not firing, or the host cannot start. Read from requests, which host.json keeps out of sampling.'
    severity: 1
    enabled: true
    scopes: [appInsightsId]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT1H'
    criteria: {
      allOf: [
        {
          query: 'requests | where operation_Name == "plan"'
          timeAggregation: 'Count'
          operator: 'LessThan'
          threshold: 1
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    actions: { actionGroups: map(actions, a => a.actionGroupId) }
  }
}

@description('Names of the alert rules.')
output alertRuleNames string[] = [deadLettered.name, noHarvest.name, watermarkLag.name, missingWindow.name, planFailed.name, planSilent.name, curateFailed.name, incompleteRecords.name]

// The archive is the only copy once Graph forgets. Alerted, by anyone: a delete, a rename (on a
// hierarchical-namespace account it moves whole directories), an expiry set on a blob, a change of
// the container's immutability policy or legal hold; and by anyone but the archiver, any write that
// can replace or alter a blob (the archiver's own writes are creates, `If-None-Match: *`, which
// test/archive/writePattern.test.ts holds it to; WORM refuses an overwrite only while a blob's
// period lasts). Operation names are StorageBlobLogs' documented ones (npm test checks each
// against Microsoft's list): KQL's `has` matches whole terms, so `has "Rename"` never matched
// RenamePathFile. Deletes by the lifecycle rule of archiveRetentionDays (only without WORM: see
// the README) are the storage service's own and carry no requester identity; every other caller
// is an Entra identity (shared keys are off).
var archiveChanged = '''
let removing = dynamic(["DeleteBlob", "DeleteFile", "DeleteDirectory", "DeleteContainer", "DeleteFilesystem", "RenamePathFile", "RenamePathDir", "SetBlobExpiry", "SetContainerServiceMetadata"]);
let altering = dynamic(["PutBlob", "PutBlockList", "PutBlobFromURL", "CopyBlob", "CopyBlobFromURL", "IncrementalCopyBlob", "AppendBlock", "AppendBlockThroughCopy", "SealBlob", "CreatePathFile", "AppendFile", "FlushFile", "SetBlobMetadata", "SetBlobProperties", "SetBlobTags", "SetFileProperties", "SetPathAccessControl", "SetPathAccessControlRecursive"]);
StorageBlobLogs
| where tostring(split(ObjectKey, "/")[2]) == "{container}"
| where (OperationName in (removing) and isnotempty(RequesterObjectId))
    or (OperationName in (altering) and RequesterObjectId != "{archiver}")
'''

resource archiveDeleted 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = if (!empty(auditWorkspaceId)) {
  // The name predates the writes it also watches; kept so an upgrade updates this rule in place
  // instead of leaving the old one beside a new one (incremental deployments never delete).
  name: '${namePrefix}-archive-deleted'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    skipQueryValidation: skipQueryValidation
    description: 'A blob or directory in the archive container was deleted, renamed, given an expiry or overwritten, or the container\'s immutability policy changed. StorageBlobLogs names who (RequesterObjectId, RequesterUpn), from where (CallerIpAddress), what (ObjectKey) and how (OperationName, StatusCode).'
    severity: 1
    enabled: true
    scopes: [auditWorkspaceId]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    criteria: {
      allOf: [
        {
          query: replace(replace(archiveChanged, '{container}', archiveContainerName), '{archiver}', archiverPrincipalId)
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    actions: { actionGroups: map(actions, a => a.actionGroupId) }
  }
}
