/**
 * `npm run purge`: the end of a retention under WORM, where lifecycle management deletes nothing
 * (local/retentionPurge.ts). It takes the deployment's two retention parameters, lists the archive
 * and says, per tenant, what is past its retention; with `--apply` it deletes it, as the operator
 * whose login may delete (Storage Blob Data Contributor on the archive container, granted for the
 * task). Blobs still within the container's WORM period are refused by the service, counted as
 * kept, and deleted by a later purge.
 *
 *   npm run purge -- [--archive URL] [--retention-days N] [--tenant-retention home=N,ID=N] [--erase TENANT_ID] [--apply | --as-of ISO]
 *
 * `--erase` deletes a removed tenant's whole archive, whatever its age (what WORM still holds is
 * kept, and goes at a later purge): the end of an offboarded customer's data.
 */
import { BlobServiceClient } from "@azure/storage-blob";
import { commandArgs, runCommand } from "../local/command.js";
import type { Azurite } from "../local/azurite.js";
import { openArchiveSource } from "../local/localArchive.js";
import { purgeArchive } from "../local/purgeArchive.js";
import { UsageError } from "../local/startOptions.js";
import { blobTenantRegistryStore } from "../shared/archive/tenantRegistryStore.js";
import { loadPipelineConfig } from "../shared/config/config.js";
import { RegistryError, findTenant, parseRetentionParameter, recordedRetention, retentionProblem } from "../shared/core/tenantRegistry.js";
import { type TenantId, parseTenantId } from "../shared/core/tenants.js";
import { formatInstant, parseStateInstant } from "../shared/core/window.js";

const usage = "usage: npm run purge -- [--archive URL] [--retention-days N] [--tenant-retention home=N,TENANT_ID=N] [--erase TENANT_ID] [--apply | --as-of ISO]";

const help = `${usage}

Deletes what is past its retention from a WORM archive, where the lifecycle rules cannot (a
container with an immutability policy refuses lifecycle deletes, even past the period). Give the
deployment's retention as its parameters say it; without --apply nothing is deleted.

  --archive URL            https://ACCOUNT.blob.core.windows.net/CONTAINER (your Azure login);
                           default: the settings' account (ARCHIVER_STORAGE or
                           ARCHIVER_STORAGE__blobServiceUri), else npm start's Azurite
  --retention-days N       every tenant's retention (archiveRetentionDays), over 30
  --tenant-retention V     tenants' own (tenantRetention: home=N,TENANT_ID=N); default: the
                           registry's (npm run tenants -- retention) where the state container is
                           at hand
  --erase TENANT_ID        a removed tenant's whole archive, whatever its age (npm run tenants --
                           remove first; the registry is read from the settings' account)
  --apply                  delete; needs a role that may delete on the archive container, and the
                           archive's delete alert fires (expected: say so to whoever receives it)
  --as-of ISO              judge ages at this instant instead of now: what a purge will delete then
                           (no --apply)
  -h, --help               this text

Exit 0 done, 2 a usage or configuration error.`;

let azurite: Azurite | undefined;

async function main(): Promise<number> {
  const { values: args } = commandArgs({
    options: {
      archive: { type: "string" },
      "retention-days": { type: "string" },
      "tenant-retention": { type: "string" },
      apply: { type: "boolean" },
      "as-of": { type: "string" },
      erase: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (args.help) {
    console.log(help);
    return 0;
  }
  if (args.apply && args["as-of"] !== undefined) throw new UsageError("--as-of judges a future purge and deletes nothing: leave out --apply, or --as-of");
  const asOf = args["as-of"] === undefined ? Date.now() : (parseStateInstant(args["as-of"]) ?? badInstant(args["as-of"]));
  const everyTenantDays = args["retention-days"] === undefined ? undefined : checkedDays(args["retention-days"]);
  const ownGiven = args["tenant-retention"] === undefined ? undefined : retention(args["tenant-retention"]);
  const erase = args.erase === undefined ? undefined : erasedTenant(args.erase);

  const pipeline = loadPipelineConfig(process.env);
  const source = await openArchiveSource(args.archive === undefined ? {} : { archive: args.archive }, pipeline);
  azurite = source.azurite;
  const container = source.container as NonNullable<typeof source.container>;
  // The settings' account's state container, or npm start's Azurite's (where npm run tenants keeps it).
  const state = source.state ?? (source.azurite ? BlobServiceClient.fromConnectionString(source.azurite.connectionString).getContainerClient(pipeline.stateContainer) : undefined);
  const registry = state && (await state.exists()) ? await blobTenantRegistryStore(state).read() : undefined;
  const own: ReadonlyMap<string, number> = ownGiven ?? (registry ? recordedRetention(registry) : new Map());
  if (erase !== undefined) {
    // Erasing is for a customer that is gone: the registry must say so, or a typo erases a live tenant.
    if (!registry) throw new UsageError("--erase checks the tenant registry, which is in the settings' account: give ARCHIVER_STORAGE or ARCHIVER_STORAGE__blobServiceUri instead of --archive");
    const entry = findTenant(registry, erase);
    if (entry?.state !== "offboarded") throw new UsageError(`--erase ${erase}: the tenant is ${entry ? entry.state : "not in the registry"}; only a removed tenant's archive is erased (npm run tenants -- pause, then remove)`);
  }
  if (!registry && ownGiven === undefined) console.log("no tenant registry at hand (--archive): tenants' own retention is not applied; give --tenant-retention, or the settings' account");
  if (everyTenantDays === undefined && own.size === 0 && erase === undefined) {
    throw new UsageError("no retention to enforce: give --retention-days (the deployment's archiveRetentionDays) or --tenant-retention, or record a tenant's in the registry (npm run tenants -- retention TENANT_ID DAYS)");
  }
  console.log(`retention: ${[...(everyTenantDays === undefined ? [] : [`every tenant ${everyTenantDays} days`]), ...[...own].map(([tenant, days]) => `${tenant} ${days} days`), ...(erase === undefined ? [] : [`${erase} erased whatever its age`])].join("; ")}, judged at ${formatInstant(asOf)}`);

  const rules = { ...(everyTenantDays === undefined ? {} : { everyTenantDays }), own, ...(erase === undefined ? {} : { erase: new Set([erase]) }) };
  const figures = await purgeArchive(container, rules, asOf, args.apply === true);
  if (figures.due.size === 0) console.log(`nothing in ${container.containerName} is past its retention`);
  for (const [owner, due] of figures.due) {
    console.log(`${owner}: ${due.blobs} blob(s), ${(due.bytes / 1e6).toFixed(1)} MB ${owner === erase ? "to erase" : "past its retention"}, the oldest written ${formatInstant(due.oldestInMs)}`);
  }
  if (!args.apply) {
    if (figures.due.size > 0) console.log("dry run: nothing deleted. --apply deletes them (a role that may delete on the archive container; the delete alert fires).");
    return 0;
  }
  console.log(`deleted ${figures.deleted} blob(s)${figures.keptByPolicy > 0 ? `; ${figures.keptByPolicy} kept by the container's immutability policy, still within their WORM period (${figures.refusal ?? "409"}): a later purge deletes them` : ""}`);
  return 0;
}

function checkedDays(raw: string): number {
  const days = Number(raw);
  const problem = /^\d+$/.test(raw.trim()) ? retentionProblem(days) : `is "${raw}", not a whole number of days`;
  if (problem) throw new UsageError(`--retention-days ${problem}`);
  return days;
}

function retention(value: string): Map<string, number> {
  try {
    return parseRetentionParameter(value);
  } catch (error) {
    if (error instanceof RegistryError) throw new UsageError(error.message);
    throw error;
  }
}

function erasedTenant(raw: string): TenantId {
  const parsed = parseTenantId(raw);
  if ("problem" in parsed) throw new UsageError(`--erase: ${parsed.problem}`);
  return parsed.tenant;
}

function badInstant(raw: string): never {
  throw new UsageError(`--as-of expects an instant such as 2027-06-01T00:00:00Z, got "${raw}"`);
}

await runCommand("purge", usage, main, async () => {
  await azurite?.stop();
});
