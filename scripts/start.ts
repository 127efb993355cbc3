/**
 * `npm start`: the archiver on this machine. With no credentials it harvests the built-in Graph
 * sandbox tenant into Azurite (both embedded); with AZURE_TENANT_ID / AZURE_CLIENT_ID /
 * AZURE_CLIENT_SECRET it harvests that tenant.
 *
 *   npm start -- [--from ISO] [--to ISO] [--window MINUTES] [--out FOLDER | --out https://ACCOUNT.blob.core.windows.net/CONTAINER]
 */
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { DefaultAzureCredential } from "@azure/identity";
import { BlobServiceClient, ContainerClient } from "@azure/storage-blob";
import { type ArchiveStore, blobArchiveStore, folderArchiveStore } from "../shared/archive/archiveStore.js";
import { systemClock } from "../shared/core/clock.js";
import { loadArchiverConfig, loadPipelineConfig } from "../shared/config/config.js";
import { isConfigError } from "../shared/core/errors.js";
import { createGraphRuntime } from "../shared/graph/graphSetup.js";
import { totalRetries } from "../shared/graph/graphCounters.js";
import { memoryWatermarkStore } from "../shared/pipeline/watermarkStore.js";
import { dayInMs, floorTo, formatInstant } from "../shared/core/window.js";
import { type Azurite, startAzurite } from "../local/azurite.js";
import { runLocal } from "../local/run.js";
import { type Sandbox, startSandbox } from "../sandbox/server.js";

const usage = "usage: npm start -- [--from ISO] [--to ISO] [--window MINUTES] [--out FOLDER|https://ACCOUNT.blob.core.windows.net/CONTAINER]";

function fail(message: string): never {
  console.error(`error: ${message}\n${usage}`);
  process.exit(2);
}

const { values: args } = (() => {
  try {
    return parseArgs({ options: { from: { type: "string" }, to: { type: "string" }, window: { type: "string" }, out: { type: "string" }, help: { type: "boolean" } } });
  } catch (error) {
    return fail((error as Error).message);
  }
})();
if (args.help) {
  console.log(usage);
  process.exit(0);
}
const instant = (name: string, raw: string | undefined): number | undefined => {
  if (raw === undefined) return undefined;
  const ms = Date.parse(raw);
  if (Number.isNaN(ms) || !/T.*(Z|[+-]\d{2}:?\d{2})$/.test(raw)) fail(`--${name} expects an ISO 8601 instant such as 2026-11-25T00:00:00Z, got "${raw}"`);
  return ms;
};

const started = Date.now();
const realTenant = process.env.AZURE_CLIENT_SECRET !== undefined || process.env.AZURE_CLIENT_CERTIFICATE_PATH !== undefined;
let sandbox: Sandbox | undefined;
let azurite: Azurite | undefined;

try {
  const env: Record<string, string | undefined> = { ...process.env };
  if (args.window !== undefined) env.ARCHIVER_WINDOW_MINUTES = args.window;
  // Validate configuration before starting anything.
  loadPipelineConfig(env);
  if (realTenant) loadArchiverConfig(env);
  if (!realTenant) {
    sandbox = await startSandbox({ callsPerDay: Number(process.env.SANDBOX_CALLS_PER_DAY ?? 300) });
    Object.assign(env, {
      ARCHIVER_GRAPH_ENDPOINT: sandbox.graphEndpoint,
      ARCHIVER_AUTHORITY_HOST: sandbox.authorityHost,
      AZURE_TENANT_ID: sandbox.tenantId,
      AZURE_CLIENT_ID: sandbox.clientId,
      AZURE_CLIENT_SECRET: sandbox.clientSecret,
    });
  }
  const archiverConfig = loadArchiverConfig(env);
  const pipeline = loadPipelineConfig(env);
  const windowInMs = pipeline.plan.windowInMs;
  const now = Date.now();
  const to = floorTo(instant("to", args.to) ?? now - pipeline.plan.settleInMs, windowInMs);
  const from = floorTo(instant("from", args.from) ?? to - 2 * dayInMs, windowInMs);
  if (to <= from) fail(`--to (${formatInstant(to)}) must be after --from (${formatInstant(from)}) by at least one window`);

  let archive: ArchiveStore;
  if (args.out?.startsWith("https://")) {
    archive = blobArchiveStore(new ContainerClient(args.out, new DefaultAzureCredential()));
  } else if (args.out !== undefined) {
    const folder = resolve(args.out);
    mkdirSync(folder, { recursive: true });
    archive = folderArchiveStore(folder);
  } else {
    const location = resolve(".local/azurite");
    mkdirSync(location, { recursive: true });
    azurite = await startAzurite({ location });
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(pipeline.archiveContainer);
    await container.createIfNotExists();
    archive = blobArchiveStore(container);
  }

  console.log(`callrecords-archiver: harvesting ${sandbox ? `the Graph sandbox tenant (${sandbox.origin})` : archiverConfig.graph.graphEndpoint}`);
  console.log(`  span ${formatInstant(from)} → ${formatInstant(to)} in ${windowInMs / 60_000}-minute windows, into ${archive.location}`);
  const summary = await runLocal({
    archiverConfig,
    pipeline,
    graph: createGraphRuntime(archiverConfig, { ca: sandbox?.ca }),
    archive,
    watermarks: memoryWatermarkStore({ nextWindowStartInMs: from }),
    clock: systemClock,
    // Plan exactly up to --to: the planner stops a settle delay before its "now".
    planClock: { now: () => to + pipeline.plan.settleInMs, sleep: systemClock.sleep },
    onProgress: (line) => process.stdout.write(`  ${line}\n`),
  });
  const g = summary.graph;
  console.log(`
Summary
  windows           ${summary.windows}; passes: ${summary.harvested} harvested, ${summary.alreadyDone} already archived, ${summary.repaired} repaired, ${summary.splits} split, ${summary.retries} retried after a failure; ${summary.scheduledLater} re-read passes fall after this run
  records archived  ${summary.records} (${(summary.bytes / 1024).toFixed(0)} KiB gzip)${summary.expired ? `, ${summary.expired} expired before fetch` : ""}
  Graph             ${g.requests} requests, ${g.pages} list pages, ${totalRetries(g)} retries (${Object.entries(g.retries).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(", ") || "none"}), ${(g.throttledInMs / 1000).toFixed(1)} s throttled
  wall time         ${((Date.now() - started) / 1000).toFixed(1)} s
  archive           ${archive.location}/callrecords/v1/year=…/month=…/day=…/hour=…/`);
  if (azurite) console.log(`  Azurite keeps it in .local/azurite; \`npm start -- --out ./archive-out\` writes the same layout to a folder`);
  if (summary.deadLetters.length > 0) {
    console.error(`\n${summary.deadLetters.length} job(s) failed and were dead-lettered:`);
    for (const d of summary.deadLetters) console.error(`  ${d.messageId}: ${d.reason}: ${d.description}`);
    process.exitCode = 1;
  }
} catch (error) {
  if (isConfigError(error)) {
    console.error(error.message);
    process.exitCode = 2;
  } else {
    console.error(error);
    process.exitCode = 1;
  }
} finally {
  await sandbox?.close();
  await azurite?.stop();
}
