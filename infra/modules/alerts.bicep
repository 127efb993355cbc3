// The three things an operator must hear about before Graph's 30 days run out: jobs that failed for
// good, harvests that stopped, and a watermark falling behind.

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

@description('Optional. Hours without one successful harvest before alerting. Harvests run at least hourly.')
@minValue(2)
@maxValue(48)
param noHarvestHours int = 6

@description('Optional. Hours the watermark may trail now before alerting; far inside Graph\'s 30 days so there is time to act.')
@minValue(2)
@maxValue(240)
param watermarkLagHours int = 24

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

var actions = empty(alertEmail) ? [] : [{ actionGroupId: actionGroup.id }]

resource deadLettered 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: '${namePrefix}-dead-lettered-jobs'
  location: 'global'
  tags: tags
  properties: {
    description: 'A harvest job was dead-lettered (malformed, or failed on every delivery). Its window is not archived until the job is resubmitted.'
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

// The plan function logs "plan: … watermark advanced to|stays at <instant>" on every tick.
resource watermarkLag 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-watermark-lag'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    description: 'The watermark trails now by more than ${watermarkLagHours} hours; Graph deletes records after 30 days.'
    severity: 1
    enabled: true
    scopes: [appInsightsId]
    evaluationFrequency: 'PT1H'
    windowSize: 'PT1H'
    criteria: {
      allOf: [
        {
          query: join(
            [
              'traces'
              '| where operation_Name == "plan" and message startswith "plan: "'
              '| extend watermark = todatetime(extract(@"watermark (?:advanced to|stays at) (\\S+)", 1, message))'
              '| summarize watermark = max(watermark)'
              '| extend lagHours = datetime_diff("hour", now(), watermark)'
            ],
            '\n'
          )
          timeAggregation: 'Maximum'
          metricMeasureColumn: 'lagHours'
          operator: 'GreaterThan'
          threshold: watermarkLagHours
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    actions: { actionGroups: map(actions, a => a.actionGroupId) }
  }
}

@description('Names of the alert rules.')
output alertRuleNames string[] = [deadLettered.name, noHarvest.name, watermarkLag.name]
