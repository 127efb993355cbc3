/**
 * `npm run tenants`: the deployment's other tenants (docs/tenants.md). Onboarding is one consent
 * and one command: `add` records the tenant as invited and prints the page where its admin
 * consents; the plan function (or `check`, where the app's credential is at hand) then proves the
 * consent with one token and one list request, and the tenant becomes active.
 *
 *   npm run tenants -- add TENANT_ID [--name NAME] [--without pstnCalls,directRoutingCalls] [--retention-days N]
 *   npm run tenants -- list [--json] | check TENANT_ID | pause TENANT_ID [--because TEXT] | resume TENANT_ID
 *   npm run tenants -- remove TENANT_ID | audit
 *   npm run tenants -- retention [TENANT_ID DAYS|default]
 *
 * The registry is in the state container of ARCHIVER_STORAGE (a connection string) or
 * ARCHIVER_STORAGE__blobServiceUri (your Azure login), else of npm start's Azurite.
 */
import { hostname, userInfo } from "node:os";
import { DefaultAzureCredential } from "@azure/identity";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { commandArgs, runCommand } from "../local/command.js";
import { type Azurite, startAzurite } from "../local/azurite.js";
import { UsageError } from "../local/startOptions.js";
import { blobTenantRegistryStore } from "../shared/archive/tenantRegistryStore.js";
import { authorityOf, loadArchiverConfig, loadPipelineConfig } from "../shared/config/config.js";
import { ConfigError } from "../shared/core/errors.js";
import { type LogSourceName, isLogSourceName, logSources } from "../shared/core/sources.js";
import { RegistryError, type TenantEntry, retentionParameter } from "../shared/core/tenantRegistry.js";
import { type TenantId, parseTenantId } from "../shared/core/tenants.js";
import { formatInstant } from "../shared/core/window.js";
import { createGraphRuntime } from "../shared/graph/graphSetup.js";
import { adminConsentUrl, checkTenant, otherCloudProblem } from "../shared/pipeline/operate/tenantCheck.js";
import { rootOf } from "../shared/archive/archiveLayout.js";
import { logSourceNames } from "../shared/core/sources.js";

const usage = "usage: npm run tenants -- add|list|check|pause|resume|remove|retention|audit [TENANT_ID] [options]";

const help = `${usage}

The other tenants this deployment archives, beside its home tenant (docs/tenants.md).

  add TENANT_ID     record the tenant as invited, and print the page where its admin consents
                    (--name NAME, --without pstnCalls,directRoutingCalls, --retention-days N)
  list              every tenant, its state and when consent was last proven (--json)
  check TENANT_ID   prove consent now: one token for the tenant and one list request (needs the
                    app's credential: AZURE_CLIENT_SECRET or a certificate; deployed, the plan
                    function checks every invited tenant each tick)
  pause TENANT_ID   stop planning it (--because TEXT); its queued jobs still run
  resume TENANT_ID  plan it again
  remove TENANT_ID  offboard a paused tenant: its planning state is deleted, its archive stays
                    (and what happens to it under WORM is printed)
  retention TENANT_ID DAYS|default
                    keep the tenant's archive DAYS days (over 30), or the deployment's again
  retention         print infra/main.bicep's tenantRetention from the registry, to deploy
                    (azd env set TENANT_RETENTION ...; azd provision)
  audit             every change to the registry, oldest first
  -h, --help        this text

Exit 0 done, 1 a check failed, 2 a usage or configuration error (a bad tenant id, a change the
tenant's state does not allow, a tenant of another cloud).`;

let azurite: Azurite | undefined;

/** The state container: the settings' account, else npm start's Azurite. */
async function stateContainer(): Promise<ContainerClient> {
  const pipeline = loadPipelineConfig(process.env);
  const settings = pipeline.storageConnectionString
    ? BlobServiceClient.fromConnectionString(pipeline.storageConnectionString)
    : pipeline.blobServiceUri
      ? new BlobServiceClient(pipeline.blobServiceUri, new DefaultAzureCredential())
      : undefined;
  if (settings) {
    // The deployment made it: a missing one is the wrong account, not a registry to start afresh.
    const container = settings.getContainerClient(pipeline.stateContainer);
    if (!(await container.exists())) {
      throw new UsageError(`the account of ${pipeline.storageConnectionString ? "ARCHIVER_STORAGE" : "ARCHIVER_STORAGE__blobServiceUri"} has no ${pipeline.stateContainer} container (ARCHIVER_STATE_CONTAINER): give the deployment's archive account`);
    }
    return container;
  }
  azurite = await startAzurite({ location: ".local/azurite" });
  const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(pipeline.stateContainer);
  await container.createIfNotExists();
  return container;
}

const daysArg = (option: string, raw: string): number => {
  const days = Number(raw);
  if (raw.trim() === "" || !Number.isInteger(days)) throw new UsageError(`${option} expects a whole number of days, got "${raw}"`);
  return days;
};

const tenantArg = (raw: string | undefined): TenantId => {
  if (raw === undefined) throw new UsageError("give the tenant's id (a GUID)");
  const parsed = parseTenantId(raw);
  if ("problem" in parsed) throw new UsageError(parsed.problem);
  return parsed.tenant;
};

/** The app whose consent the tenant grants: the multi-tenant app the managed identity is a federated credential of. */
const appClientId = (): string | undefined => process.env.ARCHIVER_GRAPH_APP_CLIENT_ID ?? process.env.AZURE_CLIENT_ID;

/** A tenant of another cloud than the deployment's, refused by name (tenantCheck.ts); and the authority. */
async function sameCloud(tenant: TenantId): Promise<string> {
  const { cloud, authorityHost } = authorityOf(process.env);
  const otherCloud = await otherCloudProblem(authorityHost, tenant, cloud, fetchJson).catch(() => undefined);
  if (otherCloud) throw new UsageError(otherCloud);
  return authorityHost;
}

const fetchJson = async (url: string): Promise<unknown> => (await fetch(url)).json();

const describe = (t: TenantEntry): string =>
  `${t.id}  ${t.state.padEnd(10)} ${t.name}${t.consentedAtInMs !== undefined ? `  consent proven ${formatInstant(t.consentedAtInMs)}` : ""}${t.pausedBecause ? `  (paused: ${t.pausedBecause})` : ""}${t.logsOff?.length ? `  without ${t.logsOff.join(", ")}` : ""}${t.retentionDays !== undefined ? `  kept ${t.retentionDays} days` : ""}`;

async function main(): Promise<number> {
  const { values: args, positionals } = commandArgs({
    allowPositionals: true,
    options: { name: { type: "string" }, without: { type: "string" }, "retention-days": { type: "string" }, because: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } },
  });
  if (args.help || positionals.length === 0) {
    console.log(help);
    return args.help ? 0 : 2;
  }
  const [action, raw] = positionals;
  const by = `${userInfo().username}@${hostname()}`;
  const now = Date.now();
  const change = async (body: () => Promise<number>) => {
    try {
      return await body();
    } catch (error) {
      if (error instanceof RegistryError) throw new UsageError(error.message);
      throw error;
    }
  };
  switch (action) {
    case "add": {
      const tenant = tenantArg(raw);
      const without = (args.without ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
      const unknown = without.filter((s) => !isLogSourceName(s));
      if (unknown.length > 0) throw new UsageError(`--without names ${unknown.join(", ")}; expected pstnCalls or directRoutingCalls`);
      const retention = args["retention-days"] === undefined ? undefined : daysArg("--retention-days", args["retention-days"]);
      const host = await sameCloud(tenant);
      const app = appClientId();
      if (!app) throw new ConfigError([{ setting: "ARCHIVER_GRAPH_APP_CLIENT_ID", problem: "is required to name the app the tenant's admin consents to (azd env get-value GRAPH_APP_CLIENT_ID)" }]);
      const registry = blobTenantRegistryStore(await stateContainer());
      return change(async () => {
        await registry.change({ action: "add", tenant, name: args.name ?? tenant, ...(without.length > 0 ? { logsOff: without as LogSourceName[] } : {}), ...(retention !== undefined ? { retentionDays: retention } : {}) }, by, now);
        console.log(`tenant ${tenant} added as invited to ${registry.location}.
Next: a Global Administrator of the tenant opens
  ${adminConsentUrl(host, tenant, app)}
and consents. The plan function checks invited tenants every tick and archives the tenant from its
first check that passes; or run npm run tenants -- check ${tenant} where the app's credential is at hand.`);
        return 0;
      });
    }
    case "list": {
      const registry = await blobTenantRegistryStore(await stateContainer()).read();
      if (args.json) console.log(JSON.stringify(registry.tenants, null, 2));
      else if (registry.tenants.length === 0) console.log("no other tenants: npm run tenants -- add TENANT_ID");
      else for (const t of registry.tenants) console.log(describe(t));
      return 0;
    }
    case "check": {
      const tenant = tenantArg(raw);
      const archiver = loadArchiverConfig(process.env);
      if (archiver.credential.kind === "managedIdentity" || archiver.credential.kind === "appRegistration") {
        console.log(`the app's credential is the deployed app's managed identity: the plan function checks tenant ${tenant} on its next tick (every 15 minutes); npm run tenants -- list shows the result`);
        return 0;
      }
      const host = await sameCloud(tenant);
      const app = appClientId();
      const result = await checkTenant(createGraphRuntime(archiver), tenant, app ? adminConsentUrl(host, tenant, app) : undefined, now);
      if (!result.ok) {
        console.error(`tenant ${tenant}: ${result.reason}: ${result.description}`);
        return 1;
      }
      const registry = blobTenantRegistryStore(await stateContainer());
      return change(async () => {
        const { after } = await registry.change({ action: "consented", tenant }, by, now);
        console.log(`tenant ${tenant}: consent proven (a token and one list request); it is ${after.state}`);
        return 0;
      });
    }
    case "pause":
    case "resume": {
      const tenant = tenantArg(raw);
      const registry = blobTenantRegistryStore(await stateContainer());
      return change(async () => {
        const { after } = await registry.change(action === "pause" ? { action, tenant, because: args.because ?? `paused by ${by}` } : { action, tenant }, by, now);
        console.log(`tenant ${tenant} is ${after.state}${action === "pause" ? ": no new windows are planned; jobs already queued still run" : ""}`);
        return 0;
      });
    }
    case "remove": {
      const tenant = tenantArg(raw);
      const container = await stateContainer();
      const registry = blobTenantRegistryStore(container);
      return change(async () => {
        const { after } = await registry.change({ action: "remove", tenant }, by, now);
        const deleted = await registry.deleteTenantState(tenant);
        const roots = [rootOf({ tenant }), ...logSourceNames.map((source) => rootOf({ tenant, source }))];
        console.log(`tenant ${tenant} is ${after.state}; ${deleted} blob(s) of its planning state deleted.
Its archive stays where it is, under ${roots.join(", ")} of the archive container:
  - to hand it over, copy those folders (azcopy copy 'https://ACCOUNT.blob.core.windows.net/CONTAINER/${roots[0]}*' ... --recursive), or grant the tenant's reader on them (docs/tenants.md);
  - under the WORM policy each blob is kept until its retention period ends and cannot be deleted sooner by anyone;
  - after that, the lifecycle rule deletes it if its own retention (npm run tenants -- retention) or the archive's is deployed, and under WORM npm run purge does; else it stays until erased (npm run purge -- --erase TENANT_ID --apply) or an owner deletes the folders.
Its ${Object.values(logSources).map((s) => s.label).join(" and ")} folders follow the same rules.`);
        return 0;
      });
    }
    case "retention": {
      const registry = blobTenantRegistryStore(await stateContainer());
      if (raw === undefined) {
        const value = retentionParameter(await registry.read());
        if (value === "") {
          console.log("no tenant has its own retention: every tenant keeps archiveRetentionDays (npm run tenants -- retention TENANT_ID DAYS)");
          return 0;
        }
        console.log(`tenantRetention (infra/main.bicep), from ${registry.location}:
  ${value}
Deploy it: azd env set TENANT_RETENTION '${value}' && azd provision
(add home=DAYS for the home tenant's own). Under WORM the lifecycle rules delete nothing: npm run purge ends it (docs/tenants.md).`);
        return 0;
      }
      const tenant = tenantArg(raw);
      const given = positionals[2];
      if (given === undefined) throw new UsageError("give the days to keep the tenant's archive, or default for the deployment's");
      const days = given === "default" ? undefined : daysArg("DAYS", given);
      return change(async () => {
        const { after } = await registry.change({ action: "retain", tenant, ...(days === undefined ? {} : { retentionDays: days }) }, by, now);
        const value = retentionParameter(await registry.read());
        console.log(`tenant ${tenant} ${after.retentionDays === undefined ? "keeps the deployment's retention (archiveRetentionDays)" : `is kept ${after.retentionDays} days`} once deployed:
  azd env set TENANT_RETENTION '${value}' && azd provision`);
        return 0;
      });
    }
    case "audit": {
      for (const entry of await blobTenantRegistryStore(await stateContainer()).audit()) {
        console.log(`${entry.at}  ${entry.action.padEnd(9)} ${entry.tenant}  by ${entry.by}  ${entry.before?.state ?? "-"} → ${entry.after?.state ?? "-"}${entry.action === "retain" ? `  retention ${entry.after?.retentionDays ?? "the deployment's"}` : ""}`);
      }
      return 0;
    }
    default:
      throw new UsageError(`unknown action "${action}"`);
  }
}

await runCommand("tenants", usage, main, async () => {
  await azurite?.stop();
});
