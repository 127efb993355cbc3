import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { before, describe, it } from "node:test";
import { harvestEvent } from "../../functions/harvestHandler.js";
import { planEvent, planLogFailedEvent, planTenantFailedEvent, sweepEvent, sweepLogEvent } from "../../functions/planHandler.js";
import { eventLine } from "../../functions/logEvents.js";
import { allSettings } from "../../shared/config/settings.js";
import { dataBlobName, deadLetterBlobName, manifestBlobName } from "../../shared/archive/archiveLayout.js";
import { type LogSourceName, logSourceNames } from "../../shared/core/sources.js";
import { curatedTables } from "../../shared/lake/curatedTables.js";
import { curatedFileName, curatedMarkerName } from "../../shared/pipeline/curate/curateDay.js";
import { curatedLogFileName, curatedLogMarkerName } from "../../shared/pipeline/curate/curateLogDay.js";
import { dayMarkerName } from "../../shared/pipeline/harvest/dayMarker.js";
import { bicep, findBicep, offlineInfra, type PredictedResource, projectRoot, type Snapshot, snapshot } from "../support/bicep.js";
import { kustoProblems, storageOperations } from "../support/kusto.js";
import { hourlyPlan } from "../support/planSettings.js";

// Compiled ARM JSON, as far as these checks read it.
interface ArmResource {
  readonly type: string;
  readonly condition?: string;
  readonly scope?: string;
  readonly copy?: { readonly count: string };
  readonly properties?: Record<string, unknown>;
}
interface ArmTemplate {
  readonly parameters: Record<string, { defaultValue?: unknown }>;
  readonly variables?: Record<string, unknown>;
  readonly resources: Record<string, ArmResource>;
}
interface ModuleDeployment extends ArmResource {
  readonly properties: { template: ArmTemplate; parameters: Record<string, { value?: unknown }> };
}

interface LifecycleRule {
  readonly name: string;
  readonly definition: { readonly filters: { readonly prefixMatch: readonly string[] }; readonly actions: { readonly baseBlob: { readonly delete?: { readonly daysAfterModificationGreaterThan: number } } } };
}

const found = await findBicep();
// Without Bicep the checks cannot run: say so, but never let CI pass without them.
const skip = "path" in found ? false : process.env.CI === "true" ? false : `skipped: ${found.missing}`;
const cli = (): string => {
  if ("path" in found) return found.path;
  throw new Error(`Bicep checks cannot run with CI=true: ${found.missing}`);
};

/**
 * A query whose last substitution ARM can make only while deploying (`[replace('…', '{name}',
 * reference(…).x)]` in a snapshot): the literal, that expression, and the literal with a stand-in.
 */
function deferredQuery(query: string): { text: string; placeholder?: string; deferred?: string } {
  const match = /^\[replace\('((?:[^']|'')*)', '(\{\w+\})', (.+)\)\]$/s.exec(query);
  if (!match) return { text: query };
  const literal = (match[1] as string).replaceAll("''", "'");
  return { text: literal.replaceAll(match[2] as string, "00000000-0000-0000-0000-0000000000a1"), placeholder: match[2] as string, deferred: match[3] as string };
}

/** The JSON fields of an event line a query reads: `f.name` or `f['name']`. */
const eventFieldsRead = (query: string): string[] => [...query.matchAll(/\bf(?:\.(\w+)|\['(\w+)'\])/g)].map((m) => (m[1] ?? m[2]) as string);

const bicepFiles = async (dir: string): Promise<string[]> => {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith(".bicep")).map((e) => join(e.parentPath, e.name)).sort();
};

/** Every resource of a template and of the module templates inside it, with the module's name. */
function* allResources(template: ArmTemplate, module = "main"): Generator<{ module: string; name: string; resource: ArmResource }> {
  for (const [name, resource] of Object.entries(template.resources)) {
    yield { module, name, resource };
    if (resource.type === "Microsoft.Resources/deployments") yield* allResources((resource as ModuleDeployment).properties.template, name);
  }
}

describe("infrastructure (Bicep)", { skip }, () => {
  let infra = "";
  let main: ArmTemplate;
  let compiledText = "";
  let buildFailure = "";
  const moduleOf = (name: string): ModuleDeployment => {
    const resource = main.resources[name];
    assert.ok(resource?.type === "Microsoft.Resources/deployments", `main.bicep has no module ${name}`);
    return resource as ModuleDeployment;
  };
  const ofType = (type: string) => [...allResources(main)].filter((r) => r.resource.type === type);

  before(async () => {
    infra = await offlineInfra(cli());
    const built = await bicep(cli(), ["build", join(infra, "main.bicep"), "--stdout"]);
    // Reported by the first test: a failing before() hides its message behind "cancelled".
    if (built.code !== 0) buildFailure = built.stderr || `exit code ${built.code}`;
    compiledText = built.stdout || "{}";
    main = JSON.parse(compiledText) as ArmTemplate;
  });

  // Evaluated by `bicep snapshot`, as Resource Manager evaluates the template before deploying.
  // Each evaluation runs the Bicep CLI for seconds; the same parameters give the same snapshot, so
  // tests that ask for the same ones share it.
  const snapshots = new Map<string, Promise<Snapshot>>();
  const evaluate = (parameters: Record<string, string | number | boolean>): Promise<Snapshot> => {
    const all = { location: "swedencentral", ...parameters };
    const key = JSON.stringify(Object.entries(all).sort(([a], [b]) => a.localeCompare(b)));
    let result = snapshots.get(key);
    if (!result) {
      result = snapshot(cli(), infra, all);
      snapshots.set(key, result);
    }
    return result;
  };
  const snapshotIn = (resourceGroup: string): Promise<Snapshot> => snapshot(cli(), infra, { location: "swedencentral" }, resourceGroup);
  const deployed = (result: Snapshot): readonly PredictedResource[] => {
    assert.ok("resources" in result, `refused: ${"refused" in result ? result.refused : ""}`);
    return result.resources;
  };
  const refusal = (result: Snapshot): string => ("refused" in result ? result.refused : "(deployed)");
  const named = (resources: readonly PredictedResource[], type: string) => resources.filter((r) => r.type === type);
  const appSettingsOf = (resources: readonly PredictedResource[]) =>
    (named(resources, "Microsoft.Web/sites")[0]?.properties?.siteConfig as { appSettings?: { name: string; value: string }[] } | undefined)?.appSettings ?? [];
  const archiveAccount = (resources: readonly PredictedResource[]) => named(resources, "Microsoft.Storage/storageAccounts").find((r) => r.name.startsWith("starc"));

  it("main.bicep compiles offline, with the Graph extension built from test/fixtures/bicep-types", () => {
    assert.equal(buildFailure, "");
    assert.ok(Object.keys(main.resources).length > 0);
  });

  it("every Bicep file builds and lints with no error and no warning", async () => {
    const files = await bicepFiles(infra);
    assert.ok(files.length >= 8, `expected main.bicep, types.bicep and the modules; found ${files.length}`);
    const check = async (file: string) => {
      const name = relative(infra, file);
      const built = await bicep(cli(), ["build", file, "--stdout"]);
      assert.equal(built.code, 0, `${name}: ${built.stderr}`);
      assert.equal(built.stderr.trim(), "", `bicep build ${name} printed diagnostics`);
      const linted = await bicep(cli(), ["lint", file]);
      assert.equal(linted.code, 0, `${name}: ${linted.stderr}`);
      assert.equal((linted.stdout + linted.stderr).trim(), "", `bicep lint ${name} printed diagnostics`);
    };
    // Two at a time: each call starts a .NET process, and the machine has two cores.
    for (let i = 0; i < files.length; i += 2) await Promise.all(files.slice(i, i + 2).map(check));
  });

  it("storage accounts refuse shared keys, public blobs, plain http and old TLS", () => {
    const accounts = ofType("Microsoft.Storage/storageAccounts");
    assert.equal(accounts.length, 2, "the archive and runtime accounts");
    for (const { resource } of accounts) {
      assert.equal(resource.properties?.allowSharedKeyAccess, false);
      assert.equal(resource.properties?.allowBlobPublicAccess, false);
      assert.equal(resource.properties?.supportsHttpsTrafficOnly, true);
      assert.equal(resource.properties?.minimumTlsVersion, "TLS1_2");
    }
    assert.equal(moduleOf("archiveStorage").properties.parameters.hierarchicalNamespace?.value, true, "the archive is ADLS Gen2");
    assert.equal(moduleOf("runtimeStorage").properties.parameters.hierarchicalNamespace?.value, false, "the runtime account is plain blob storage");
  });

  it("Service Bus, Log Analytics and Application Insights have local (key) auth off", () => {
    const [namespace] = ofType("Microsoft.ServiceBus/namespaces");
    assert.equal(namespace?.resource.properties?.disableLocalAuth, true);
    const [workspace] = ofType("Microsoft.OperationalInsights/workspaces");
    assert.deepEqual((workspace?.resource.properties?.features as { disableLocalAuth?: boolean }).disableLocalAuth, true);
    const [insights] = ofType("Microsoft.Insights/components");
    assert.equal(insights?.resource.properties?.DisableLocalAuth, true);
  });

  it("the jobs queue dead-letters on expiry and bounds deliveries; duplicate detection (7 days) where the tier has it", () => {
    const [queue] = ofType("Microsoft.ServiceBus/namespaces/queues");
    const props = JSON.stringify(queue?.resource.properties ?? {});
    assert.match(props, /deadLetteringOnMessageExpiration/);
    assert.match(props, /maxDeliveryCount/);
    assert.equal(main.parameters.duplicateDetectionDays?.defaultValue, 7);
    assert.deepEqual(moduleOf("serviceBus").properties.parameters.duplicateDetectionDays, { value: "[parameters('duplicateDetectionDays')]" });
  });

  it("Service Bus is Basic by default (no base charge), Standard on request with duplicate detection, Premium when private; a job's time-to-live fits the tier", async () => {
    const queueOf = (resources: readonly PredictedResource[]) => {
      const [namespace] = named(resources, "Microsoft.ServiceBus/namespaces");
      const [queue] = named(resources, "Microsoft.ServiceBus/namespaces/queues");
      return { sku: namespace?.sku?.name, ...(queue?.properties ?? {}) } as Record<string, unknown>;
    };
    const basic = queueOf(deployed(await evaluate({})));
    assert.equal(basic.sku, "Basic");
    assert.equal(basic.requiresDuplicateDetection, false);
    assert.equal(basic.duplicateDetectionHistoryTimeWindow, undefined, "Basic takes no duplicate detection window");
    assert.equal(basic.defaultMessageTimeToLive, "P14D", "Basic allows at most 14 days");
    assert.equal(basic.deadLetteringOnMessageExpiration, true);
    const standard = queueOf(deployed(await evaluate({ serviceBusTier: "Standard" })));
    assert.equal(standard.sku, "Standard");
    assert.equal(standard.requiresDuplicateDetection, true);
    assert.equal(standard.duplicateDetectionHistoryTimeWindow, "P7D");
    assert.equal(queueOf(deployed(await evaluate({ vnetEnabled: true, serviceBusTier: "Basic" }))).sku, "Premium");
    const parameters = JSON.parse(await readFile(join(projectRoot, "infra", "main.parameters.json"), "utf8")) as { parameters: Record<string, { value: string }> };
    assert.equal(parameters.parameters.serviceBusTier?.value, "${SERVICE_BUS_TIER=Basic}");
  });


  it("no keys, SAS or connection strings: only Application Insights' connection string, which holds no secret with local auth off", () => {
    assert.doesNotMatch(compiledText, /list(Keys|ConnectionStrings|AccountSas|ServiceSas|Secrets)\s*\(/i);
    assert.doesNotMatch(compiledText, /AccountKey=|SharedAccessKey|SharedAccessSignature|sig=/i);
    const mentions = new Set(compiledText.match(/[A-Za-z_.']*connection_?string[A-Za-z_]*/gi) ?? []);
    const allowed = new Set(["APPLICATIONINSIGHTS_CONNECTION_STRING", "appInsightsConnectionString", "'appInsightsConnectionString", ".outputs.appInsightsConnectionString", ".ConnectionString"]);
    assert.deepEqual([...mentions].filter((m) => !allowed.has(m)), []);
    assert.match(compiledText, /reference\('appInsights'\)\.ConnectionString/, "the only ConnectionString read is the component's");
    for (const { name, resource } of allResources(main)) {
      const identity = (resource as { identity?: { type?: string } }).identity;
      if (resource.type === "Microsoft.Web/sites") assert.equal(identity?.type, "UserAssigned", name);
    }
  });

  it("each role is granted at its expected, narrowest scope", () => {
    const roleIds = main.variables?.roleIds as Record<string, string>;
    const roleName = (id: string) => /variables\('roleIds'\)\.(\w+)/.exec(id)?.[1] ?? id;
    const roles = (main.variables?.roleAssignments as { principal: string; target: string; roleDefinitionId: string }[]).map(
      (r) => `${r.principal} ${roleName(r.roleDefinitionId)} on ${r.target}`,
    );
    assert.deepEqual(roles.sort(), [
      "archiver archiveWriter on archiveContainer",
      "archiver monitoringMetricsPublisher on appInsights",
      "archiver serviceBusDataOwner on jobsQueue",
      "archiver storageBlobDataContributor on stateContainer",
      "archiver storageBlobDataOwner on runtimeAccount",
      "deployer serviceBusDataReceiver on jobsQueue",
      "deployer serviceBusDataSender on jobsQueue",
      "deployer storageBlobDataContributor on deploymentContainer",
      "deployer storageBlobDataReader on stateContainer",
      "reader storageBlobDataReader on archiveContainer",
    ]);
    assert.equal(roleIds.storageBlobDataContributor, "ba92f5b4-2d11-453d-a403-e96b0029c9fe");
    assert.equal(roleIds.storageBlobDataOwner, "b7e6dc6d-f1e8-4753-8033-0f276bb0955b");
    assert.equal(roleIds.storageBlobDataReader, "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1");
    assert.equal(roleIds.serviceBusDataOwner, "090c5cfd-751d-490a-894a-3ce6f1109419");
    assert.equal(roleIds.serviceBusDataReceiver, "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0");
    assert.equal(roleIds.serviceBusDataSender, "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39");
    assert.equal(roleIds.monitoringMetricsPublisher, "3913510d-42f4-4e42-8a64-420c390055eb");

    // Which resource type each target's assignments land on, read from the modules that create them.
    const scopeOfTarget = new Map<string, string>();
    const claim = (target: string, scopeType: string) => {
      assert.ok(!scopeOfTarget.has(target), `${target} is handled twice`);
      scopeOfTarget.set(target, scopeType);
    };
    const scopeType = (r: ArmResource) => /resourceId\('([^']+)'/.exec(r.scope ?? "")?.[1] ?? "(no scope: resource group)";
    for (const storage of ["archiveStorage", "runtimeStorage"]) {
      const deployment = moduleOf(storage);
      const { resources } = deployment.properties.template;
      const containers = deployment.properties.parameters.containers?.value as { target: string }[];
      for (const c of containers) claim(c.target, scopeType(resources.containerRoleAssignments!));
      const accountTarget = deployment.properties.parameters.accountTarget?.value;
      if (typeof accountTarget === "string") claim(accountTarget, scopeType(resources.accountRoleAssignments!));
    }
    for (const [module, target] of [["serviceBus", "jobsQueue"], ["monitoring", "appInsights"]] as const) {
      const assignments = Object.values(moduleOf(module).properties.template.resources).filter((r) => r.type === "Microsoft.Authorization/roleAssignments");
      assert.equal(assignments.length, 1, `${module} has one role loop`);
      assert.match(assignments[0]!.copy?.count ?? "", new RegExp(`createArray\\('${target}'\\)`));
      claim(target, scopeType(assignments[0]!));
    }
    assert.deepEqual(Object.fromEntries(scopeOfTarget), {
      archiveContainer: "Microsoft.Storage/storageAccounts/blobServices/containers",
      stateContainer: "Microsoft.Storage/storageAccounts/blobServices/containers",
      deploymentContainer: "Microsoft.Storage/storageAccounts/blobServices/containers",
      budgetContainer: "Microsoft.Storage/storageAccounts/blobServices/containers",
      runtimeAccount: "Microsoft.Storage/storageAccounts",
      jobsQueue: "Microsoft.ServiceBus/namespaces/queues",
      appInsights: "Microsoft.Insights/components",
    });
    const loops = ofType("Microsoft.Authorization/roleAssignments");
    assert.equal(loops.length, 6, "role assignments come only from the module loops read above");
    for (const { module, name, resource } of loops) assert.ok(resource.scope, `${module}/${name} would apply to the whole resource group`);
  });

  it("the app settings cover every setting the code requires in Azure, with identity-based connections", () => {
    const required = allSettings().filter((s) => s.deployed === "required").map((s) => s.name);
    const known = new Set(allSettings().map((s) => s.name));
    const app = moduleOf("functionApp");
    const archiverSettings = app.properties.parameters.archiverSettings?.value as Record<string, string>;
    assert.deepEqual(required.filter((name) => !(name in archiverSettings)), [], "settings the code requires but Bicep does not set");
    assert.deepEqual(Object.keys(archiverSettings).filter((name) => !known.has(name)), [], "settings Bicep sets that the code does not read");
    assert.match(compiledText, /createObject\('ARCHIVER_GRAPH_APP_CLIENT_ID', [^]*'AZURE_TENANT_ID', tenant\(\)\.tenantId\)/, "the app-registration identity's settings");

    const host = app.properties.template.variables?.hostSettings as Record<string, string>;
    assert.equal(host.AzureWebJobsStorage__credential, "managedidentity");
    assert.match(host.AzureWebJobsStorage__blobServiceUri ?? "", /runtimeBlobEndpoint/);
    assert.equal(host.ARCHIVER_SERVICEBUS__credential, "managedidentity", "the trigger's connection uses the identity");
    assert.match(host.ARCHIVER_SERVICEBUS__clientId ?? "", /identityClientId/);
    assert.match(host.APPLICATIONINSIGHTS_AUTHENTICATION_STRING ?? "", /Authorization=AAD/);
    assert.ok(!("AzureWebJobsStorage" in host), "no host storage connection string");
  });

  it("runs on Flex Consumption with Node 22 by default, deploying its package with the identity", () => {
    assert.equal(main.parameters.hostingPlan?.defaultValue, "FlexConsumption");
    const [site] = ofType("Microsoft.Web/sites");
    const config = String(site?.resource.properties?.functionAppConfig);
    assert.match(config, /'node', 'version', '22'/);
    assert.match(config, /'UserAssignedIdentity'/);
  });

  it("on the Consumption plan, fits the harvest's time budget inside the 10-minute limit", () => {
    const template = moduleOf("functionApp").properties.template;
    const settings = String(template.variables?.consumptionSettings);
    const timeout = /'AzureFunctionsJobHost__functionTimeout', '00:(\d\d):00'/.exec(settings)?.[1];
    const budget = /'ARCHIVER_TIME_BUDGET_SECONDS', '(\d+)'/.exec(settings)?.[1];
    assert.equal(timeout, "10");
    assert.ok(Number(budget) + 120 <= Number(timeout) * 60, `time budget ${budget} s leaves under 2 minutes to split and write`);
    assert.match(settings, /'WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID', parameters\('identityId'\)/, "the package is read with the identity, not a SAS");
  });

  it("the archive container's immutability follows archiveImmutabilityDays, on by default for 60 days, and is no longer sent once locked", async () => {
    assert.equal(main.parameters.archiveImmutabilityDays?.defaultValue, 60);
    const policies = (parameters: Record<string, string | number | boolean>) => async () =>
      named(deployed(await evaluate(parameters)), "Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies");
    const [unlocked, ...others] = await policies({})();
    assert.equal(others.length, 0, "the state container (replaced watermark) is never WORM");
    assert.match(unlocked?.name ?? "", /^starc\w+\/default\/archive\/default$/);
    assert.equal(unlocked?.properties?.immutabilityPeriodSinceCreationInDays, 60);
    assert.equal((await policies({ archiveImmutabilityDays: 400 })())[0]?.properties?.immutabilityPeriodSinceCreationInDays, 400);
    // A locked policy accepts only "extend": a provision that PUTs it again fails. Once locked, none is sent.
    assert.deepEqual(await policies({ archiveImmutabilityLocked: true })(), []);
    assert.deepEqual(await policies({ archiveImmutabilityDays: 0 })(), []);
  });

  it("names the custom role and its id from one scope, the resource group: the same environment in a second group does not collide on the name", async () => {
    const roleIn = async (group: string) => {
      const result = await snapshotIn(group);
      return named(deployed(result), "Microsoft.Authorization/roleDefinitions")[0];
    };
    const [a, b, again] = [await roleIn("rg-one"), await roleIn("rg-two"), await roleIn("rg-one")];
    assert.match(String(a?.properties?.roleName), /^Call records archive writer \(\w{13}\)$/);
    assert.notEqual(a?.properties?.roleName, b?.properties?.roleName);
    assert.notEqual(a?.name, b?.name);
    assert.equal(a?.properties?.roleName, again?.properties?.roleName, "a redeploy to the same group keeps its role");
    assert.equal(a?.name, again?.name);
  });

  it("grants CallRecords.Read.All to Graph's service principal, picked by value, in the public cloud by default", () => {
    const graph = moduleOf("graphGrant");
    assert.equal(graph.condition, "[parameters('grantGraphInBicep')]");
    assert.equal(main.parameters.grantGraphInBicep?.defaultValue, "[equals(environment().name, 'AzureCloud')]");
    // Under azd, an unset variable with no `=default` leaves the parameter to the template's own
    // default (azure-dev #2896: "Has Default | ${ENV_VAR} | Not Defined | use bicep default value"),
    // so a national-cloud environment gets false without setting anything.
    const parameters = JSON.parse(readFileSync(join(projectRoot, "infra", "main.parameters.json"), "utf8")) as { parameters: Record<string, { value: string }> };
    assert.equal(parameters.parameters.grantGraphInBicep?.value, "${GRANT_GRAPH_IN_BICEP}");
    const template = graph.properties.template;
    const resources = Object.values(template.resources);
    const graphPrincipal = resources.find((r) => r.type === "Microsoft.Graph/servicePrincipals@v1.0" && (r as { existing?: boolean }).existing);
    assert.equal(template.variables?.graphAppId, "00000003-0000-0000-c000-000000000000");
    assert.equal(graphPrincipal?.properties?.appId, "[variables('graphAppId')]");
    assert.equal(template.variables?.permission, "CallRecords.Read.All");
    const grant = resources.find((r) => r.type === "Microsoft.Graph/appRoleAssignedTo@v1.0");
    assert.match(String(grant?.properties?.appRoleId), /filter\(reference\('graph'\)\.appRoles, .*variables\('permission'\)/);
    const trust = resources.find((r) => r.type === "Microsoft.Graph/applications/federatedIdentityCredentials@v1.0");
    assert.match(String(trust?.properties?.subject), /managedIdentityPrincipalId/, "the app registration trusts the managed identity");
    assert.doesNotMatch(JSON.stringify(template), /passwordCredentials|keyCredentials/, "no secret or certificate on the app");
  });

  it("the alerts read what the functions log: event names and JSON fields the plan function writes", async () => {
    const rules = named(deployed(await evaluate({})), "Microsoft.Insights/scheduledQueryRules");
    const suffixes = { watermarkLag: "-watermark-lag", missingWindow: "-missing-window", incompleteRecords: "-incomplete-records", telephonyLog: "-telephony-log", planFailed: "-plan-failed", planSilent: "-plan-silent", noHarvest: "-no-harvest", tenant: "-tenant" };
    const queryOf = (rule: keyof typeof suffixes) =>
      String((rules.find((r) => r.name.endsWith(suffixes[rule]))?.properties?.criteria as { allOf: { query: string }[] } | undefined)?.allOf[0]?.query);
    const now = Date.UTC(2026, 10, 27, 12);
    const lastJob = { window: { startInMs: Date.UTC(2026, 10, 1, 9), endInMs: Date.UTC(2026, 10, 1, 10) }, pass: 5 };
    const manifestGraph = { requests: 1, pages: 1, retries: { throttled: 0, unavailable: 0, serverError: 0, network: 0, timeout: 0, unauthorized: 0 }, throttledSeconds: 0 };
    const incompleteManifest = { recordCount: 3, bytes: 1, graph: manifestGraph, incomplete: [{ id: "a", version: 1, reason: "pagingLoop" }, { id: "b", version: 2, reason: "recordFailing" }] };
    const events: Record<string, Record<string, unknown>> = {
      // Pass 5 is the last re-read of an hour under the default offsets (dayMarker.test.ts).
      harvest: harvestEvent({ status: "done", job: lastJob, attempt: 0, outcome: { status: "harvested", manifest: incompleteManifest as never } }, hourlyPlan(48)).fields,
      // The plan function adds the tenant to these two (planHandler.ts); "home" for the home tenant.
      plan: { ...planEvent({ windows: 2, jobs: 12, advanced: true, nextWindowStartInMs: now - 2 * 3_600_000 }, now), tenant: "home" },
      sweep: { ...sweepEvent({ checked: 10, listedDays: 31, fullListing: true, missing: [], resend: [], oldestMissingStartInMs: now - 30 * 3_600_000, oldestMissingMarginInMs: 0 }, now), tenant: "home" },
      // A PSTN day missing 150 hours before the log's horizon: within the alert's week.
      sweepLog: sweepLogEvent("pstnCalls", { checked: 3, missing: [], resend: [], oldestMissingStartInMs: now - 360 * 86_400_000, oldestMissingMarginInMs: 150 * 3_600_000 }, now),
    };
    for (const [rule, event, expected] of [
      ["watermarkLag", "plan", { tenant: "home", watermarkLagHours: 2 }],
      ["missingWindow", "sweep", { tenant: "home", oldestMissingAgeHours: 30 }],
      ["incompleteRecords", "harvest", { lastPass: true, incomplete: 2 }],
      ["telephonyLog", "sweepLog", { oldestMissingMarginHours: 150 }],
    ] as const) {
      const query = queryOf(rule);
      assert.ok(query.includes(`message startswith "${event} {"`), `${rule} reads ${event} lines: ${query}`);
      assert.ok(eventLine(event, events[event] ?? {}).startsWith(`${event} {`));
      const fields = [...new Set(eventFieldsRead(query))];
      assert.deepEqual(fields, Object.keys(expected), rule);
      for (const [field, value] of Object.entries(expected)) assert.equal(events[event]?.[field], value, `${event}.${field}`);
    }
    assert.match(queryOf("telephonyLog"), /message startswith "planLogFailed \{"/);
    // The watermark-lag and missing-window alerts take each tenant's latest line and name the tenant.
    const dimensionsOf = (rule: keyof typeof suffixes) => (rules.find((r) => r.name.endsWith(suffixes[rule]))?.properties?.criteria as { allOf: { dimensions?: unknown }[] } | undefined)?.allOf[0]?.dimensions;
    for (const rule of ["watermarkLag", "missingWindow"] as const) {
      assert.deepEqual(dimensionsOf(rule), [{ name: "tenant", operator: "Include", values: ["*"] }], rule);
      assert.match(queryOf(rule), /\| summarize arg_max\(timestamp, f\) by tenant\n/, rule);
    }
    assert.ok(eventLine("planLogFailed", planLogFailedEvent("directRoutingCalls", new Error("unreadable"))).startsWith("planLogFailed {"));
    // The tenant alert: one per tenant, from the events that name it.
    for (const event of ["tenantPaused", "planTenantFailed", "tenantRegistryFailed", "tenantRetentionNotDeployed"]) assert.ok(queryOf("tenant").includes(`message startswith "${event} {"`), event);
    assert.deepEqual([...new Set(eventFieldsRead(queryOf("tenant")))], ["tenant"]);
    assert.equal(planTenantFailedEvent("0b7e2c1a-5f3d-4e6b-9a8c-1d2e3f4a5b6c", new Error("unreadable")).tenant, "0b7e2c1a-5f3d-4e6b-9a8c-1d2e3f4a5b6c");
    assert.equal(harvestEvent({ status: "deadLettered", job: { ...lastJob, tenant: "0b7e2c1a-5f3d-4e6b-9a8c-1d2e3f4a5b6c" }, reason: "TenantConsentMissing", description: "x" }).fields.tenant, "0b7e2c1a-5f3d-4e6b-9a8c-1d2e3f4a5b6c");
    assert.equal(events.harvest?.tenant, "home");
    assert.match(queryOf("planFailed"), /operation_Name == "plan" and success == false/);
    // Requests are never sampled (host.json), so a silent plan function is a stopped one.
    assert.equal(queryOf("planSilent"), 'requests | where operation_Name == "plan"');
    assert.match(queryOf("noHarvest"), /operation_Name == "harvest" and success == true/);
  });

  it("makes the Graph grant after the slowest resources that do not need it, so a fresh identity has replicated", () => {
    const dependsOn = ((main.resources.graphGrant as { dependsOn?: string[] }).dependsOn ?? []).join(" ");
    for (const module of ["serviceBus", "archiveStorage", "runtimeStorage", "monitoring"]) assert.ok(dependsOn.split(" ").includes(module), `${module}: ${dependsOn}`);
    assert.ok(!dependsOn.split(" ").includes("functionApp"), "the function app needs the grant's outputs");
  });

  it("audits the runtime account's writes and deletes (who replaced the code package), not its reads", async () => {
    const settings = named(deployed(await evaluate({})), "Microsoft.Insights/diagnosticSettings");
    const logsOf = (account: string) => settings.filter((d) => (d.id ?? "").includes(`/storageAccounts/${account}`)).map((d) => (d.properties?.logs as { category: string; enabled: boolean }[]).map((l) => `${l.category}:${l.enabled}`));
    assert.deepEqual(logsOf("stfn"), [["StorageWrite:true", "StorageDelete:true"]], JSON.stringify(settings.map((d) => d.id)));
    assert.deepEqual(logsOf("starc"), [["StorageRead:true", "StorageWrite:true", "StorageDelete:true"]]);
    assert.deepEqual(named(deployed(await evaluate({ auditLogs: false })), "Microsoft.Insights/diagnosticSettings").filter((d) => (d.id ?? "").includes("/storageAccounts/")), []);
  });

  it("keeps an audit trail in Log Analytics by default: archive blob reads, writes and deletes, Service Bus, function logs", () => {
    assert.equal(main.parameters.auditLogs?.defaultValue, true);
    const settings = ofType("Microsoft.Insights/diagnosticSettings");
    const byModule = Object.fromEntries(settings.map((d) => [d.module, JSON.stringify(d.resource.properties?.logs)]));
    assert.match(byModule.serviceBus ?? "", /allLogs/);
    assert.match(byModule.functionApp ?? "", /FunctionAppLogs/);
    for (const module of ["archiveStorage", "runtimeStorage", "serviceBus", "functionApp"]) {
      const parameter = moduleOf(module).properties.parameters.auditWorkspaceId;
      assert.match(JSON.stringify(parameter), /parameters\('auditLogs'\), createObject\('value', reference\('monitoring'\)\.outputs\.workspaceId\.value\), createObject\('value', ''\)/, module);
    }
  });

  it("no role of the archiver's identity on the archive carries a delete, a move or a wildcard data action", async () => {
    const resources = deployed(await evaluate({ principalId: "11111111-1111-1111-1111-111111111111" }));
    // Built-in roles' data actions, from Azure's documented definitions: a built-in role on the
    // archive must be one of these, so the test knows what it grants.
    const builtIn: Record<string, string[]> = {
      "ba92f5b4-2d11-453d-a403-e96b0029c9fe": ["blobs/delete", "blobs/read", "blobs/move/action", "blobs/add/action", "blobs/write"].map((a) => `Microsoft.Storage/storageAccounts/blobServices/containers/${a}`),
      "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*"],
      "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1": ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"],
    };
    const custom = new Map(named(resources, "Microsoft.Authorization/roleDefinitions").map((d) => [d.name, d]));
    const dataActionsOf = (roleDefinitionId: string): string[] => {
      const id = roleDefinitionId.split("/").at(-1) ?? "";
      const definition = custom.get(id);
      if (definition) return ((definition.properties?.permissions as { dataActions: string[] }[]) ?? []).flatMap((p) => p.dataActions);
      assert.ok(builtIn[id], `role ${id} on the archive is neither defined here nor a known built-in role`);
      return builtIn[id];
    };
    // The archiver's assignments are named from its identity's principal id, known only at deploy time.
    const onArchive = named(resources, "Microsoft.Authorization/roleAssignments").filter((r) => /containers\/archive'/.test(JSON.stringify(r)) || /containers\/archive\//.test(JSON.stringify(r)));
    const archiver = onArchive.filter((r) => JSON.stringify(r).includes("userAssignedIdentities/id-"));
    assert.equal(archiver.length, 1, JSON.stringify(onArchive.map((r) => r.name)));
    const actions = archiver.flatMap((r) => dataActionsOf(String(r.properties?.roleDefinitionId)));
    assert.deepEqual(actions.filter((a) => /\*|delete|move|rename|permanentDelete|deleteBlobVersion|immutableStorage|modifyPermissions|manageOwnership/i.test(a)), []);
    assert.ok(actions.some((a) => a.endsWith("blobs/read")) && actions.some((a) => a.endsWith("blobs/write")), actions.join());
    // The deployer has no standing access to the archive (personal data): readers are named.
    assert.deepEqual(onArchive.filter((r) => r.properties?.principalId === "11111111-1111-1111-1111-111111111111"), []);
    // The state container keeps its replace and delete: the watermark and the budget's announcements.
    const state = named(resources, "Microsoft.Authorization/roleAssignments").filter((r) => /containers\/state/.test(JSON.stringify(r)) && JSON.stringify(r).includes("userAssignedIdentities/id-"));
    assert.deepEqual(state.map((r) => String(r.properties?.roleDefinitionId).split("/").at(-1)), ["ba92f5b4-2d11-453d-a403-e96b0029c9fe"]);
  });

  const lifecycleRules = (resources: readonly PredictedResource[]) =>
    ((named(resources, "Microsoft.Storage/storageAccounts/managementPolicies").find((p) => p.name.startsWith("starc"))?.properties as { policy?: { rules?: LifecycleRule[] } } | undefined)?.policy?.rules ?? []);
  const deleting = (rules: readonly LifecycleRule[]) => rules.filter((r) => r.definition.actions.baseBlob.delete !== undefined);

  it("personal data has an end: archiveRetentionDays deletes every tenant's raw and curated blobs and telephony logs by a lifecycle rule, and is refused under WORM, where lifecycle deletes never work", async () => {
    assert.deepEqual(deleting(lifecycleRules(deployed(await evaluate({})))), [], "kept until deleted by hand, by default");
    const [rule, ...others] = deleting(lifecycleRules(deployed(await evaluate({ archiveRetentionDays: 400, archiveImmutabilityDays: 0 }))));
    assert.deepEqual(others, []);
    assert.deepEqual(rule?.definition.filters.prefixMatch, ["archive/callrecords/", "archive/pstncalls/", "archive/directroutingcalls/", "archive/curated/"]);
    assert.deepEqual(rule?.definition.actions.baseBlob.delete, { daysAfterModificationGreaterThan: 400 });
    // Lifecycle management, known issues: its delete action does not work on any blob in an immutable container.
    assert.match(refusal(await evaluate({ archiveRetentionDays: 400 })), /archiveRetentionDays \(400\) needs archiveImmutabilityDays 0: lifecycle management cannot delete/);
    assert.match(refusal(await evaluate({ archiveRetentionDays: 400, archiveImmutabilityDays: 0, archiveImmutabilityLocked: true })), /a locked policy cannot be removed/);
    assert.match(refusal(await evaluate({ archiveRetentionDays: 30, archiveImmutabilityDays: 0 })), /archiveRetentionDays \(30\) must be over 30 days: the coverage sweep would harvest again/);
  });

  it("each tenant's own retention (tenantRetention) deletes that tenant's blobs, raw and curated, and no other's: checked against the names the archiver writes", async () => {
    const fabrikam = "0b7e2c1a-5f3d-4e6b-9a8c-1d2e3f4a5b6c";
    const contoso = "9f1d2c3b-4a5e-4f60-8b7a-6c5d4e3f2a1b";
    const rules = deleting(lifecycleRules(deployed(await evaluate({ tenantRetention: ` home=400, ${fabrikam.toUpperCase()}=90`, archiveImmutabilityDays: 0 }))));
    // Typed by hand: no rule for every tenant (archiveRetentionDays 0); home's 11 folders in two rules of at most 10.
    assert.deepEqual(rules.map((r) => [r.name, r.definition.filters.prefixMatch.length, r.definition.actions.baseBlob.delete?.daysAfterModificationGreaterThan]), [
      ["expirehome", 10, 400],
      ["expirehome2", 1, 400],
      ["expire0b7e2c1a5f3d4e6b9a8c1d2e3f4a5b6c", 10, 90],
    ]);
    const day = Date.UTC(2026, 10, 2);
    const window = { startInMs: day + 9 * 3_600_000, endInMs: day + 10 * 3_600_000 };
    const namesOf = (tenant?: string): string[] => {
      const origin = tenant === undefined ? {} : { tenant };
      const job = { window, pass: 0, ...origin };
      const logJob = (source: LogSourceName) => ({ window: { startInMs: day, endInMs: day + 86_400_000 }, pass: 0, source, ...origin });
      return [
        dataBlobName(job), manifestBlobName(job), deadLetterBlobName(job), dayMarkerName(day, origin),
        ...logSourceNames.flatMap((source) => [dataBlobName(logJob(source)), manifestBlobName(logJob(source)), dayMarkerName(day, { source, ...origin }), curatedLogFileName(source, day, tenant)]),
        ...curatedTables.map((t) => curatedFileName(t.name, day, tenant)),
      ];
    };
    const rulesMatching = (name: string) => rules.filter((r) => r.definition.filters.prefixMatch.some((p) => `archive/${name}`.startsWith(p))).map((r) => r.name);
    const owners = (names: string[]) => [...new Set(names.map((n) => rulesMatching(n).join("+") || "none"))];
    assert.deepEqual(owners(namesOf()), ["expirehome"], "every home blob but curated v1 is in the first rule");
    assert.deepEqual(owners(["curated/v1/calls/year=2025/month=06/day=02/calls_20250602.parquet"]), ["expirehome2"]);
    assert.deepEqual(owners(namesOf(fabrikam)), ["expire0b7e2c1a5f3d4e6b9a8c1d2e3f4a5b6c"]);
    assert.deepEqual(owners(namesOf(contoso)), ["none"], "a tenant not named keeps archiveRetentionDays: here, kept");
    // Markers hold no call data; the curate function reads them to skip curated days.
    assert.deepEqual(owners([curatedMarkerName(day), curatedMarkerName(day, fabrikam), curatedLogMarkerName("pstnCalls", day, fabrikam)]), ["none"]);
    // Every tenant's rule beside a tenant's own: both match its blobs, and the younger age wins.
    const both = deleting(lifecycleRules(deployed(await evaluate({ archiveRetentionDays: 400, tenantRetention: `${fabrikam}=90`, archiveImmutabilityDays: 0 }))));
    assert.deepEqual(both.map((r) => r.name), ["expire-archive", "expire0b7e2c1a5f3d4e6b9a8c1d2e3f4a5b6c"]);
    // The app is told what the rules hold, to compare with the registry; under WORM nothing (no rule deletes).
    const retentionSetting = (resources: readonly PredictedResource[]) => appSettingsOf(resources).find((a) => a.name === "ARCHIVER_TENANT_RETENTION")?.value;
    assert.equal(retentionSetting(deployed(await evaluate({ archiveRetentionDays: 400, tenantRetention: `${fabrikam}=90`, archiveImmutabilityDays: 0 }))), `${fabrikam}=90`);
    assert.equal(retentionSetting(deployed(await evaluate({}))), undefined);
  });

  it("tenantRetention is refused by name where it would never delete or is not <tenant>=<days> over 30", async () => {
    const fabrikam = "0b7e2c1a-5f3d-4e6b-9a8c-1d2e3f4a5b6c";
    const refused = (parameters: Record<string, string | number>) => evaluate({ archiveImmutabilityDays: 0, ...parameters }).then(refusal);
    const [worm, short, notTenant, notDays, twice, notShorter] = await Promise.all([
      evaluate({ tenantRetention: "home=400" }).then(refusal),
      refused({ tenantRetention: `${fabrikam}=30` }),
      refused({ tenantRetention: "fabrikam.com=90" }),
      refused({ tenantRetention: "home=a year" }),
      refused({ tenantRetention: `${fabrikam}=90,${fabrikam.toUpperCase()}=120` }),
      refused({ tenantRetention: `${fabrikam}=400`, archiveRetentionDays: 400 }),
    ]);
    assert.match(worm, /tenantRetention needs archiveImmutabilityDays 0: lifecycle management cannot delete/);
    assert.match(short, /tenantRetention: 0b7e2c1a-5f3d-4e6b-9a8c-1d2e3f4a5b6c keeps 30 days; it must be over 30/);
    assert.match(notTenant, /tenantRetention: "fabrikam.com" is not a tenant id \(a GUID\) or home/);
    assert.match(notDays, /tenantRetention: "home=a year" is not <tenant>=<days>/);
    assert.match(twice, /tenantRetention names tenant 0b7e2c1a-5f3d-4e6b-9a8c-1d2e3f4a5b6c 2 times/);
    assert.match(notShorter, /keeps 400 days, not less than archiveRetentionDays \(400\)/);
  });

  it("changes to the archive are alerted from the audit log, which is kept a year: deletes, renames, expiries and policy changes by anyone, writes by anyone but the archiver", async () => {
    const resources = deployed(await evaluate({}));
    const alert = named(resources, "Microsoft.Insights/scheduledQueryRules").find((r) => r.name.endsWith("-archive-deleted"));
    const { text: query, placeholder, deferred } = deferredQuery(String((alert?.properties?.criteria as { allOf: { query: string }[] }).allOf[0]?.query));
    // The archiver's principal id is known only once deployed: the rule takes it from its identity.
    assert.equal(placeholder, "{archiver}");
    assert.match(String(deferred), /^reference\('[^']*\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/id-\w+', '[\d-]+'\)\.principalId$/);
    assert.match(query, /RequesterObjectId != "00000000-0000-0000-0000-0000000000a1"/);
    const listed = (name: string) => [...(new RegExp(`let ${name} = dynamic\\(\\[([^\\]]*)\\]\\)`).exec(query)?.[1] ?? "").matchAll(/"(\w+)"/g)].map((m) => m[1] as string);
    // Typed from Microsoft's list of logged operations (test/fixtures/azure-monitor/), not from the rule.
    assert.deepEqual(listed("removing").sort(), ["DeleteBlob", "DeleteContainer", "DeleteDirectory", "DeleteFile", "DeleteFilesystem", "RenamePathDir", "RenamePathFile", "SetBlobExpiry", "SetContainerServiceMetadata"]);
    for (const name of ["PutBlob", "PutBlockList", "CopyBlob", "CreatePathFile", "FlushFile", "SetBlobMetadata"]) assert.ok(listed("altering").includes(name), `${name} is watched`);
    for (const name of [...listed("removing"), ...listed("altering")]) assert.ok(storageOperations.has(name), `${name} is not an operation StorageBlobLogs documents`);
    assert.doesNotMatch(query, /OperationName (has|contains|startswith)/, "operation names are matched whole");
    assert.match(query, /tostring\(split\(ObjectKey, "\/"\)\[2\]\) == "archive"/);
    assert.equal(alert?.properties?.severity, 1);
    const table = named(resources, "Microsoft.OperationalInsights/workspaces/tables").find((t) => t.name.endsWith("/StorageBlobLogs"));
    assert.deepEqual(table?.properties, { retentionInDays: 365, totalRetentionInDays: 365 });
  });

  it("every KQL query the deployment ships (alerts and workbook) passes Microsoft's Kusto language service against the documented columns", async () => {
    const resources = deployed(await evaluate({ alertEmail: "ops@example.com" }));
    const queries: { where: string; query: string }[] = [];
    for (const rule of named(resources, "Microsoft.Insights/scheduledQueryRules")) {
      for (const { query } of (rule.properties?.criteria as { allOf: { query: string }[] }).allOf) queries.push({ where: rule.name, query: deferredQuery(query).text });
    }
    for (const book of named(resources, "Microsoft.Insights/workbooks")) {
      const content = JSON.parse(String(book.properties?.serializedData)) as { items: { content: { title: string; query: string } }[] };
      for (const { content: item } of content.items) queries.push({ where: `workbook: ${item.title}`, query: item.query });
    }
    assert.equal(queries.length, 10 + 12, queries.map((q) => q.where).join(", "));
    for (const { where, query } of queries) {
      assert.deepEqual(kustoProblems(query), [], `${where}:\n${query}`);
    }
  });

  it("the language service catches what it is here for: a made-up column, a bare keyword as a name", () => {
    assert.match(kustoProblems('traces | where messages startswith "plan {"').join(), /KS142.*'messages'/);
    assert.match(kustoProblems("traces | extend kind = 1").join(), /KS228.*'kind'/);
    assert.match(kustoProblems("StorageBlobLogs | where RequesterOid == 1").join(), /KS142/);
  });

  it("every log alert skips Azure's creation-time query check, which fails on a table with no rows yet (SEM0100 on StorageBlobLogs in a new workspace)", async () => {
    const rules = named(deployed(await evaluate({})), "Microsoft.Insights/scheduledQueryRules");
    assert.ok(rules.some((r) => JSON.stringify(r.properties).includes("StorageBlobLogs")), "the archive alert is among them");
    for (const rule of rules) assert.equal(rule.properties?.skipQueryValidation, true, rule.name);
  });

  it("locks the archive account against deletion by default, and only the archive account", () => {
    assert.equal(main.parameters.archiveDeleteLock?.defaultValue, true);
    const [lock] = ofType("Microsoft.Authorization/locks");
    assert.equal(lock?.resource.properties?.level, "CanNotDelete");
    assert.equal(moduleOf("archiveStorage").properties.parameters.deleteLock?.value, "[parameters('archiveDeleteLock')]");
    assert.equal(moduleOf("runtimeStorage").properties.parameters.deleteLock, undefined);
  });

  it("the archive reader may be a workspace identity, a user or a group, and gets read access to the archive container only", async () => {
    assert.equal(main.parameters.archiveReaderPrincipalType?.defaultValue, "ServicePrincipal");
    const reader = "11111111-2222-3333-4444-555555555555";
    const assignmentsOf = (resources: readonly PredictedResource[]) =>
      named(resources, "Microsoft.Authorization/roleAssignments").filter((r) => r.properties?.principalId === reader);
    const [group] = assignmentsOf(deployed(await evaluate({ archiveReaderPrincipalId: reader, archiveReaderPrincipalType: "Group" })));
    assert.equal(group?.properties?.principalType, "Group");
    assert.match(String(group?.properties?.roleDefinitionId), /2a2b9908-6ea1-4ae2-8e65-a410df84e7d1$/, "Storage Blob Data Reader");
    assert.equal(assignmentsOf(deployed(await evaluate({}))).length, 0, "no reader, no role");
  });

  it("accepts only log alert windows that Azure Monitor takes for the no-harvest alert", () => {
    const allowed = (main.parameters.noHarvestAlertHours as { allowedValues?: number[] }).allowedValues ?? [];
    const monitorWindowsInMinutes = [5, 10, 15, 30, 45, 60, 120, 180, 240, 300, 360, 1440, 2880];
    assert.ok(allowed.length > 0 && allowed.every((h) => monitorWindowsInMinutes.includes(h * 60)), JSON.stringify(allowed));
  });

  it("the workbook reads event names and JSON fields the functions write", () => {
    const template = moduleOf("workbook").properties.template;
    const queries = template.variables?.queries as { title: string; query: string }[];
    assert.ok(queries.length >= 9, `${queries.length} queries`);
    const job = { window: { startInMs: Date.UTC(2026, 10, 27, 9), endInMs: Date.UTC(2026, 10, 27, 10) }, pass: 0 };
    const manifestGraph = { requests: 1, pages: 1, retries: { throttled: 0, unavailable: 0, serverError: 0, network: 0, timeout: 0, unauthorized: 0 }, throttledSeconds: 0 };
    const now = Date.UTC(2026, 10, 27, 12);
    const fieldsOf: Record<string, string[]> = {
      harvest: Object.keys(harvestEvent({ status: "done", job, attempt: 0, outcome: { status: "harvested", manifest: { recordCount: 1, bytes: 1, graph: manifestGraph } as never } }).fields),
      harvestRetry: Object.keys(harvestEvent({ status: "retrying", job, attempt: 1, chain: "c1", notBeforeInMs: now, reason: "r", description: "d" }).fields),
      harvestYielded: Object.keys(harvestEvent({ status: "yielded", job, holder: "c1", reason: "r", description: "d" }).fields),
      harvestDeadLettered: Object.keys(harvestEvent({ status: "deadLettered", job, reason: "r", description: "d" }).fields),
      // The plan function adds the tenant to these two (planHandler.ts).
      plan: [...Object.keys(planEvent({ windows: 1, jobs: 1, advanced: true, nextWindowStartInMs: now }, now)), "tenant"],
      sweep: [...Object.keys(sweepEvent({ checked: 1, listedDays: 1, fullListing: false, missing: [], resend: [], oldestMissingStartInMs: undefined, oldestMissingMarginInMs: undefined }, now)), "tenant"],
      sweepLog: Object.keys(sweepLogEvent("pstnCalls", { checked: 1, missing: [], resend: [], oldestMissingStartInMs: undefined, oldestMissingMarginInMs: undefined }, now)),
    };
    const covered = new Set<string>();
    for (const { title, query } of queries) {
      const kinds = [...query.matchAll(/message startswith "(\w+) \{"/g)].map((m) => m[1] as string);
      assert.ok(kinds.length > 0, `${title} reads no event line`);
      for (const field of eventFieldsRead(query)) {
        assert.ok(kinds.some((kind) => fieldsOf[kind]?.includes(field)), `${title}: no event of ${kinds.join(", ")} writes ${field}`);
      }
      kinds.forEach((kind) => covered.add(kind));
    }
    assert.deepEqual([...covered].sort(), ["harvest", "harvestDeadLettered", "harvestRetry", "harvestYielded", "plan", "sweep", "sweepLog"]);
    const [book] = ofType("Microsoft.Insights/workbooks");
    assert.equal(book?.resource.properties?.category, "workbook");
  });

  it("refuses, by name, Cold tiering days that do not come after the Cool days", async () => {
    assert.match(refusal(await evaluate({ archiveCoolAfterDays: 30, archiveColdAfterDays: 10 })), /archiveColdAfterDays \(10\) must be later than archiveCoolAfterDays \(30\)/);
    deployed(await evaluate({ archiveCoolAfterDays: 30, archiveColdAfterDays: 0 }));
  });

  it("azd's location prompt offers exactly the regions of regions.bicep: Flex Consumption's, and the national ones", async () => {
    const location = main.parameters.location as { allowedValues?: string[]; metadata?: { azd?: { type?: string } }; defaultValue?: unknown };
    assert.equal(location.metadata?.azd?.type, "location");
    assert.equal(location.defaultValue, undefined, "azd passes AZURE_LOCATION; a default outside the list would not compile");
    const built = await bicep(cli(), ["build", join(infra, "regions.bicep"), "--stdout"]);
    const regions = (JSON.parse(built.stdout) as ArmTemplate).variables as Record<"flexConsumptionRegions" | "consumptionOnlyRegions" | "availabilityZoneRegions", string[]>;
    assert.deepEqual([...(location.allowedValues ?? [])].sort(), [...regions.flexConsumptionRegions, ...regions.consumptionOnlyRegions].sort());
    assert.ok(regions.availabilityZoneRegions.every((r) => location.allowedValues?.includes(r)), "zone regions are among the offered ones");
  });

  it("refuses Flex Consumption, by name, where it is not offered, and runs Consumption there", async () => {
    assert.match(refusal(await evaluate({ location: "usgovvirginia" })), /hostingPlan FlexConsumption is not offered in usgovvirginia[\s\S]*HOSTING_PLAN=Consumption/);
    const plans = named(deployed(await evaluate({ location: "usgovvirginia", hostingPlan: "Consumption" })), "Microsoft.Web/serverfarms");
    assert.deepEqual(plans.map((p) => p.sku?.name), ["Y1"]);
  });

  it("gives the worker a heap of a quarter of the instance's memory as the worker's own arguments, which the host honours after specialization", async () => {
    const heapOf = (resources: readonly PredictedResource[]) => appSettingsOf(resources).find((s) => s.name === "languageWorkers__node__arguments")?.value;
    // NODE_OPTIONS would reach only a worker started after specialization, which the host does not
    // start for a Node app on a read-only file system unless the worker has arguments.
    assert.equal(appSettingsOf(deployed(await evaluate({}))).find((s) => s.name === "NODE_OPTIONS"), undefined);
    const [flex, consumption] = await Promise.all([evaluate({}), evaluate({ location: "usgovvirginia", hostingPlan: "Consumption" })]);
    assert.equal(heapOf(deployed(flex)), "--max-old-space-size=512", "a 2,048 MB Flex instance");
    assert.equal(heapOf(deployed(consumption)), "--max-old-space-size=384", "a 1.5 GB Consumption instance");
  });

  it("sets FTPS only on the plan that has it: off on Consumption, absent on Flex (deprecated there)", async () => {
    const ftpsOf = async (parameters: Record<string, string>) =>
      (named(deployed(await evaluate(parameters)), "Microsoft.Web/sites")[0]?.properties?.siteConfig as { ftpsState?: string } | undefined)?.ftpsState;
    assert.equal((await ftpsOf({})) ?? "not set", "not set");
    assert.equal(await ftpsOf({ location: "usgovvirginia", hostingPlan: "Consumption" }), "Disabled");
  });

  it("keeps the archive zone-redundant where the region has zones, geo-redundant where it has none, or as chosen", async () => {
    const [zones, noZones, chosen] = await Promise.all([evaluate({}), evaluate({ location: "westus" }), evaluate({ location: "westus", archiveStorageSku: "Standard_RAGZRS" })]);
    assert.equal(archiveAccount(deployed(zones))?.sku?.name, "Standard_ZRS");
    assert.equal(archiveAccount(deployed(noZones))?.sku?.name, "Standard_GRS");
    assert.equal(archiveAccount(deployed(chosen))?.sku?.name, "Standard_RAGZRS");
  });

  it("is public by default: no network, storage and Service Bus reachable, Service Bus Basic", async () => {
    const resources = deployed(await evaluate({}));
    assert.deepEqual(resources.filter((r) => r.type.startsWith("Microsoft.Network/")), []);
    for (const account of named(resources, "Microsoft.Storage/storageAccounts")) assert.equal(account.properties?.publicNetworkAccess, "Enabled", account.name);
    const [namespace] = named(resources, "Microsoft.ServiceBus/namespaces");
    assert.equal(namespace?.sku?.name, "Basic");
    assert.equal(namespace?.properties?.publicNetworkAccess, "Enabled");
  });

  it("with vnetEnabled, storage and Service Bus answer only on private endpoints, and the app sends through the delegated subnet", async () => {
    const resources = deployed(await evaluate({ vnetEnabled: true }));
    for (const account of named(resources, "Microsoft.Storage/storageAccounts")) {
      assert.equal(account.properties?.publicNetworkAccess, "Disabled", account.name);
      assert.deepEqual(account.properties?.networkAcls, { defaultAction: "Deny", bypass: "AzureServices" }, account.name);
    }
    const [namespace] = named(resources, "Microsoft.ServiceBus/namespaces");
    assert.equal(namespace?.sku?.tier, "Premium", "Service Bus takes private endpoints on Premium only");
    assert.equal(namespace?.properties?.publicNetworkAccess, "Disabled");

    const endpoints = named(resources, "Microsoft.Network/privateEndpoints").map((e) => {
      const connection = (e.properties?.privateLinkServiceConnections as { properties: { privateLinkServiceId: string; groupIds: string[] } }[])[0];
      return `${connection?.properties.privateLinkServiceId.split("/").at(-1)} ${connection?.properties.groupIds.join()}`;
    });
    const storage = named(resources, "Microsoft.Storage/storageAccounts").map((a) => a.name);
    const archive = storage.find((n) => n.startsWith("starc"));
    const runtime = storage.find((n) => n.startsWith("stfn"));
    assert.deepEqual(endpoints.sort(), [`${archive} blob`, `${archive} dfs`, `${runtime} blob`, `${namespace?.name} namespace`].sort());
    const zoneGroups = named(resources, "Microsoft.Network/privateEndpoints/privateDnsZoneGroups");
    assert.equal(zoneGroups.length, endpoints.length, "every endpoint writes its address into a private DNS zone");
    assert.equal(named(resources, "Microsoft.Network/privateDnsZones/virtualNetworkLinks").length, named(resources, "Microsoft.Network/privateDnsZones").length);

    const [vnet] = named(resources, "Microsoft.Network/virtualNetworks");
    const subnets = (vnet?.properties?.subnets ?? []) as { name: string; properties: { delegations?: { properties: { serviceName: string } }[] } }[];
    assert.equal(subnets.find((s) => s.name === "app")?.properties.delegations?.[0]?.properties.serviceName, "Microsoft.App/environments");
    const [site] = named(resources, "Microsoft.Web/sites");
    assert.match(String(site?.properties?.virtualNetworkSubnetId), new RegExp(`/virtualNetworks/${vnet?.name}/subnets/app$`));
  });

  it("refuses vnetEnabled on the Consumption plan, which has no VNet integration", async () => {
    assert.match(refusal(await evaluate({ location: "usgovvirginia", hostingPlan: "Consumption", vnetEnabled: true })), /vnetEnabled needs hostingPlan FlexConsumption/);
  });

  it("main.parameters.json names only parameters main.bicep declares", async () => {
    const file = JSON.parse(await readFile(join(projectRoot, "infra", "main.parameters.json"), "utf8")) as { parameters: Record<string, unknown> };
    const unknown = Object.keys(file.parameters).filter((name) => !(name in main.parameters));
    assert.deepEqual(unknown, []);
    const valueOf = (name: string) => (file.parameters[name] as { value?: unknown } | undefined)?.value;
    assert.deepEqual([valueOf("environmentName"), valueOf("location"), valueOf("principalId")], ["${AZURE_ENV_NAME}", "${AZURE_LOCATION}", "${AZURE_PRINCIPAL_ID}"]);
  });

  it("every azd environment value main.parameters.json reads is in docs/deploy.md's table, against the parameter it sets", async () => {
    const file = JSON.parse(await readFile(join(projectRoot, "infra", "main.parameters.json"), "utf8")) as { parameters: Record<string, { value?: unknown }> };
    const doc = await readFile(join(projectRoot, "docs", "deploy.md"), "utf8");
    const builtIn = new Set(["AZURE_ENV_NAME", "AZURE_LOCATION", "AZURE_PRINCIPAL_ID", "AZURE_PRINCIPAL_TYPE"]);
    const missing: string[] = [];
    for (const [parameter, { value }] of Object.entries(file.parameters)) {
      const variable = /^\$\{([A-Z_]+)(=[^}]*)?\}$/.exec(String(value))?.[1];
      assert.ok(variable, `${parameter}: ${String(value)} is not an azd environment value`);
      if (builtIn.has(variable)) continue;
      if (!doc.includes(`| \`${variable}\` | \`${parameter}\` |`)) missing.push(`${variable} → ${parameter}`);
    }
    assert.deepEqual(missing, []);
  });
});

describe("azd's predeploy hook", () => {
  const hook = join(projectRoot, "infra", "hooks", "predeploy.mjs");
  const runHook = async (env: Record<string, string>) => {
    const { execFile } = await import("node:child_process");
    return new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, [hook], { env: { PATH: process.env.PATH ?? "", ...env } }, (error, _stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stderr }));
    });
  };

  it("is what azure.yaml runs before a deploy", async () => {
    assert.match(await readFile(join(projectRoot, "azure.yaml"), "utf8"), /predeploy:[\s\S]*run: node infra\/hooks\/predeploy\.mjs/);
  });

  it("stops a deploy to the Consumption plan, which azd cannot deploy, with the steps that work", async () => {
    const run = await runHook({ HOSTING_PLAN: "Consumption", CONSUMPTION_PACKAGE_URL: "https://stfn.blob.core.windows.net/deployment-package/archiver.zip" });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /azd deploy cannot deploy to the Consumption plan[\s\S]*az storage blob upload --auth-mode login --overwrite --file archiver\.zip --blob-url "https:\/\/stfn/);
  });

  it("lets a Flex Consumption deploy through", async () => {
    assert.equal((await runHook({ HOSTING_PLAN: "FlexConsumption" })).code, 0);
    assert.equal((await runHook({})).code, 0);
  });
});
