// An Azure Monitor workbook over Application Insights: harvests per hour and their outcomes,
// records per hour, Graph requests against the ceiling, throttled seconds, retries by cause, dead
// letters by reason, and the coverage sweep's missing windows and the oldest one's age. Its queries
// read the JSON fields of the functions' event lines (functions/logEvents.ts); a test holds each
// field to the code that writes it.

@description('Required. Display name of the workbook.')
param displayName string

@description('Required. Azure region.')
param location string

@description('Optional. Tags for every resource.')
param tags object = {}

@description('Required. Resource id of Application Insights.')
param appInsightsId string

// Every query starts from the event lines of one kind and parses their JSON fields; each is a
// literal, so the compiled template holds it as written (and a test can read it). Names that are
// KQL keywords (kind, missing) are bracketed wherever they name a column or a field: Microsoft's
// Kusto language service, which npm test runs on every query here, refuses them bare. The lines
// are complete: host.json keeps traces out of sampling.
var queries = [
  {
    title: 'Harvests per hour, by outcome'
    query: 'traces | where message startswith "harvest {" | extend f = parse_json(substring(message, indexof(message, "{"))) | summarize count() by bin(timestamp, 1h), outcome = tostring(f.outcome) | render columnchart'
  }
  {
    title: 'Retried and dead-lettered jobs per hour, by reason'
    query: 'traces | where message startswith "harvestRetry {" or message startswith "harvestYielded {" or message startswith "harvestDeadLettered {" | extend [\'kind\'] = tostring(split(message, " ")[0]), f = parse_json(substring(message, indexof(message, "{"))) | summarize count() by bin(timestamp, 1h), reason = strcat([\'kind\'], ": ", tostring(f.reason)) | render columnchart'
  }
  {
    title: 'Call records archived per hour, by tenant'
    query: 'traces | where message startswith "harvest {" | extend f = parse_json(substring(message, indexof(message, "{"))) | where tostring(f.source) in ("", "callRecords") | extend tenant = iff(isempty(tostring(f.tenant)), "home", tostring(f.tenant)) | summarize records = sum(toint(f.records)) by bin(timestamp, 1h), tenant | render timechart'
  }
  {
    title: 'Graph requests per minute for call records, by tenant, against a tenant\'s ceiling (1,500 per 20 s)'
    query: 'traces | where message startswith "harvest {" | extend f = parse_json(substring(message, indexof(message, "{"))) | where tostring(f.source) in ("", "callRecords") | extend tenant = iff(isempty(tostring(f.tenant)), "home", tostring(f.tenant)) | summarize requests = sum(toint(f.graphRequests)) by bin(timestamp, 1m), tenant | extend ceiling = 4500 | render timechart'
  }
  {
    title: 'Seconds throttled per hour, by tenant'
    query: 'traces | where message startswith "harvest {" | extend f = parse_json(substring(message, indexof(message, "{"))) | extend tenant = iff(isempty(tostring(f.tenant)), "home", tostring(f.tenant)) | summarize throttledSeconds = sum(todouble(f.throttledSeconds)) by bin(timestamp, 1h), tenant | render timechart'
  }
  {
    title: 'Graph retries per hour, by cause'
    query: 'traces | where message startswith "harvest {" | extend f = parse_json(substring(message, indexof(message, "{"))) | summarize throttled = sum(toint(f.retriesThrottled)), unavailable = sum(toint(f.retriesUnavailable)), serverError = sum(toint(f.retriesServerError)), network = sum(toint(f.retriesNetwork)), timeout = sum(toint(f.retriesTimeout)) by bin(timestamp, 1h) | render columnchart'
  }
  {
    title: 'Dead letters, by tenant and reason'
    query: 'traces | where message startswith "harvestDeadLettered {" | extend f = parse_json(substring(message, indexof(message, "{"))) | summarize count() by reason = strcat(iff(isempty(tostring(f.tenant)), "home", tostring(f.tenant)), ": ", tostring(f.reason)), bin(timestamp, 1d) | render columnchart'
  }
  {
    title: 'Coverage sweep: missing (window, pass), the oldest one\'s age and its margin before Graph\'s horizon, in hours, by tenant'
    query: 'traces | where message startswith "sweep {" | extend f = parse_json(substring(message, indexof(message, "{"))) | project timestamp, tenant = iff(isempty(tostring(f.tenant)), "home", tostring(f.tenant)), [\'missing\'] = toint(f[\'missing\']), oldestMissingAgeHours = todouble(f.oldestMissingAgeHours), oldestMissingMarginHours = todouble(f.oldestMissingMarginHours) | render timechart'
  }
  {
    title: 'Telephony logs: rows archived, Graph requests (their own limit: 50 per minute) and days without the log (404), per day and log'
    query: 'traces | where message startswith "harvest {" | extend f = parse_json(substring(message, indexof(message, "{"))) | where tostring(f.source) in ("pstnCalls", "directRoutingCalls") | summarize rows = sum(toint(f.records)), requests = sum(toint(f.graphRequests)), unsupported = countif(tostring(f.outcome) == "unsupported") by bin(timestamp, 1d), source = tostring(f.source) | render columnchart'
  }
  {
    title: 'Telephony logs: coverage sweep, missing (day, pass) and the oldest one\'s margin before the log\'s horizon, in hours'
    query: 'traces | where message startswith "sweepLog {" | extend f = parse_json(substring(message, indexof(message, "{"))) | project timestamp, source = tostring(f.source), [\'missing\'] = toint(f[\'missing\']), oldestMissingMarginHours = todouble(f.oldestMissingMarginHours) | render timechart'
  }
  {
    title: 'Tenants: call records archived and jobs dead-lettered, per day and tenant (home: the deployment\'s own)'
    query: 'traces | where message startswith "harvest {" or message startswith "harvestDeadLettered {" | extend f = parse_json(substring(message, indexof(message, "{"))) | summarize records = sumif(toint(f.records), message startswith "harvest {" and tostring(f.source) in ("", "callRecords")), deadLettered = countif(message startswith "harvestDeadLettered {") by bin(timestamp, 1d), tenant = tostring(f.tenant) | render columnchart'
  }
  {
    title: 'Watermark lag in hours, by tenant'
    query: 'traces | where message startswith "plan {" | extend f = parse_json(substring(message, indexof(message, "{"))) | project timestamp, tenant = iff(isempty(tostring(f.tenant)), "home", tostring(f.tenant)), watermarkLagHours = todouble(f.watermarkLagHours) | render timechart'
  }
]

var items = [
  for (q, i) in queries: {
    type: 3
    name: 'query-${i}'
    content: {
      version: 'KqlItem/1.0'
      title: q.title
      query: q.query
      size: 0
      timeContext: { durationMs: 604800000 }
      queryType: 0
      resourceType: 'microsoft.insights/components'
    }
  }
]

var content = {
  version: 'Notebook/1.0'
  items: items
  fallbackResourceIds: [appInsightsId]
}

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(resourceGroup().id, appInsightsId, 'callrecords-archiver-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: displayName
    category: 'workbook'
    sourceId: appInsightsId
    serializedData: string(content)
  }
}

@description('Resource id of the workbook.')
output id string = workbook.id
