/**
 * `npm run status`: the archive's health at a glance, for the last 30 days (Graph's horizon) and
 * any older day archived. Reads the archive wherever it is: the settings' account
 * (ARCHIVER_STORAGE or ARCHIVER_STORAGE__blobServiceUri, with the watermark from the state
 * container), `--archive https://ACCOUNT.blob.core.windows.net/CONTAINER` (your Azure login, or a
 * SAS), `--out FOLDER`, or by default the local Azurite of `npm start`. With the Service Bus
 * setting, it also counts dead letters.
 *
 *   npm run status -- [--out FOLDER | --archive URL] [--json] [--html report.html] [--risk-days 7]
 *
 * Exit status: 0 nothing at risk, 1 a window is overdue, 3 a window is within --risk-days of
 * Graph's horizon, 2 bad usage or configuration.
 */
import { writeFileSync } from "node:fs";
import { DefaultAzureCredential } from "@azure/identity";
import { ServiceBusClient } from "@azure/service-bus";
import { loadPipelineConfig } from "../shared/config/config.js";
import { dayInMs } from "../shared/core/window.js";
import { statusReport } from "../shared/pipeline/operate/statusReport.js";
import { listArchivedManifests } from "../shared/pipeline/plan/manifestListing.js";
import { blobWatermarkStore, logWatermarkBlobName } from "../shared/pipeline/plan/watermarkStore.js";
import type { Azurite } from "../local/azurite.js";
import { statusHtml, statusHtmlForTenants } from "../local/statusHtml.js";
import { commandArgs, runCommand, userPath } from "../local/command.js";
import { checkArchiveSourceArgs, deleteRightWarning, openArchiveSource, tenantOption, tenantsOf } from "../local/localArchive.js";
import { UsageError, redactUrl } from "../local/startOptions.js";
import { retentionStart } from "../shared/core/passes.js";
import { logSourceNames } from "../shared/core/sources.js";
import { type LogStatus, logStatus } from "../shared/pipeline/operate/logStatus.js";
import { listLogManifests } from "../shared/pipeline/plan/manifestListing.js";
import { schedulerBlobName } from "../shared/archive/stateLayout.js";
import { type TenantId, tenantLabel } from "../shared/core/tenants.js";

const usage = "usage: npm run status -- [--out FOLDER | --archive https://ACCOUNT.blob.core.windows.net/CONTAINER] [--tenant home|all|TENANT_ID] [--json] [--html FILE] [--risk-days N]";

const help = `${usage}

The archive's health: per day, windows and re-read passes archived of those due, records (and those
still incomplete: a paging loop, an answer over the cap, a record Graph kept failing), bytes,
and what is missing; how long the oldest incomplete window has before Graph forgets it.
Exit 0 nothing at risk, 1 a window is overdue, 3 a window is within --risk-days of Graph's horizon,
2 a usage or configuration error (a source that does not exist or is not an archive, say).

  --out FOLDER      an archive written by npm start -- --out FOLDER
  --archive URL     https://ACCOUNT.blob.core.windows.net/CONTAINER (your Azure login, or a SAS)
  --tenant WHOSE    home (default), another tenant's id, or all: the home tenant and every other
                    one ARCHIVER_TENANTS or the registry names, each reported apart (docs/tenants.md)
  --json            the report as JSON (npm run -s status -- --json > status.json: -s keeps
                    npm's banner out of it)
  --html FILE       the report as one self-contained page
  --risk-days N     days before Graph's horizon that count as at risk (default 7)
  -h, --help        this text

Default source: the account of ARCHIVER_STORAGE or ARCHIVER_STORAGE__blobServiceUri (with the
watermark from ARCHIVER_STATE_CONTAINER), else npm start's Azurite. With
ARCHIVER_SERVICEBUS__fullyQualifiedNamespace it also counts the dead letters.

Example:
  npm run status -- --out ./archive-out --html status.html`;
let azurite: Azurite | undefined;

async function main(): Promise<number> {
  const { values: args } = commandArgs({
        options: { out: { type: "string" }, archive: { type: "string" }, tenant: { type: "string" }, json: { type: "boolean" }, html: { type: "string" }, "risk-days": { type: "string", default: "7" }, help: { type: "boolean", short: "h" } },
      });
  if (args.help) {
    console.log(help);
    return 0;
  }
  const riskDays = Number(args["risk-days"]);
  if (!Number.isFinite(riskDays) || riskDays < 0 || riskDays > 30) throw new UsageError(`--risk-days expects days from 0 to 30, got "${args["risk-days"]}"`);
  checkArchiveSourceArgs(args);
  const whose = tenantOption(args.tenant);
  const pipeline = loadPipelineConfig(process.env);
  const now = Date.now();

  const source = await openArchiveSource(args, pipeline);
  ({ azurite } = source);
  const { archive, state } = source;
  // Reading an archive should not need the right to destroy it: say so when it has it (stderr, so --json stays JSON).
  const warning = args.archive !== undefined ? await deleteRightWarning(args.archive) : undefined;
  if (warning) console.error(warning);

  const deadLetters = pipeline.serviceBusNamespace ? await peekDeadLetters(pipeline.serviceBusNamespace, pipeline.queueName) : undefined;
  const tenants = await tenantsOf(whose, pipeline, state);
  const reports: ({ tenant: string } & Awaited<ReturnType<typeof tenantStatus>>)[] = [];
  for (const tenant of tenants) reports.push({ tenant: tenantLabel(tenant), ...(await tenantStatus(tenant)) });
  const exitStatus = reports.some((r) => r.exitStatus === 3) ? 3 : reports.some((r) => r.exitStatus === 1) ? 1 : 0;
  if (args.html !== undefined) {
    const only = reports.length === 1 ? reports[0] : undefined;
    writeFileSync(userPath(args.html), only ? statusHtml(only.report, only.logs) : statusHtmlForTenants(reports));
  }
  if (args.json) {
    const one = (r: (typeof reports)[number]) => ({ ...r.report, exitStatus: r.exitStatus, logs: r.logs });
    console.log(JSON.stringify(reports.length === 1 && reports[0] ? one(reports[0]) : { exitStatus, tenants: reports.map((r) => ({ tenant: r.tenant, ...one(r) })) }, null, 2));
  } else {
    console.log(redactUrl(`archive ${archive.location}`));
    for (const { tenant, report, logs } of reports) {
      if (reports.length > 1 || tenant !== "home") console.log(`\ntenant ${tenant}`);
      console.log(report.headline);
      console.log("\nday         pass 0     re-reads   records    incomplete  bytes        splits  missing");
      for (const d of report.days) {
        console.log(
          `${d.day}  ${`${d.pass0.archived}/${d.pass0.due}`.padEnd(9)}  ${`${d.rereads.done}/${d.rereads.due}`.padEnd(9)}  ${String(d.records).padEnd(9)}  ${String(d.incomplete).padEnd(10)}  ${String(d.bytes).padEnd(11)}  ${String(d.splits).padEnd(6)}  ${d.missing}`,
        );
      }
      if (logs.length > 0) console.log("");
      for (const log of logs) console.log(log.headline);
    }
    if (args.html !== undefined) console.log(`\nHTML report: ${userPath(args.html)}`);
  }
  return exitStatus;

  /** One tenant's report: its call records and each of its logs, by their own plans and horizons. */
  async function tenantStatus(tenant: TenantId | undefined) {
    // Every day Graph still holds, and the archived days before them: one listing per day.
    const manifests = await listArchivedManifests(archive, retentionStart(now, pipeline.plan.windowInMs) - 365 * dayInMs, now + dayInMs, tenant);
    const watermark = state ? (await blobWatermarkStore(state, schedulerBlobName("watermark", tenant === undefined ? {} : { tenant })).read())?.watermark.nextWindowStartInMs : undefined;
    const report = statusReport({
      manifests,
      nowInMs: now,
      watermarkInMs: watermark,
      plan: pipeline.plan,
      sweep: pipeline.sweep,
      riskMarginInMs: riskDays * dayInMs,
      deadLetters,
    });
    // Each telephony log that is on, by its own plan and horizon (docs/telephony-logs.md).
    const logs: LogStatus[] = [];
    for (const logSource of logSourceNames) {
      const plan = pipeline.logs[logSource];
      if (!plan) continue;
      const logWatermark = state ? (await blobWatermarkStore(state, logWatermarkBlobName(logSource, tenant)).read())?.watermark.nextWindowStartInMs : undefined;
      const logManifests = await listLogManifests(archive, logSource, tenant);
      if (logManifests.length === 0 && logWatermark === undefined) continue;
      logs.push(logStatus({ source: logSource, manifests: logManifests, nowInMs: now, plan, watermarkInMs: logWatermark, graceInMs: pipeline.sweep.graceInMs, riskMarginInMs: riskDays * dayInMs }));
    }
    const exitStatus = report.exitStatus === 3 || logs.some((l) => l.atRisk.length > 0) ? 3 : report.exitStatus === 1 || logs.some((l) => l.missing.length > 0) ? 1 : 0;
    return { report, logs, exitStatus };
  }
}

/** The dead-letter count and the oldest dead letter's enqueue time, by peeking (nothing is settled). */
async function peekDeadLetters(namespace: string, queue: string): Promise<{ count: number; oldestInMs: number | undefined }> {
  const client = new ServiceBusClient(namespace, new DefaultAzureCredential());
  try {
    const receiver = client.createReceiver(queue, { subQueueType: "deadLetter" });
    const messages = await receiver.peekMessages(1000);
    await receiver.close();
    const times = messages.map((m) => m.enqueuedTimeUtc?.getTime()).filter((t): t is number => t !== undefined);
    return { count: messages.length, oldestInMs: times.length ? Math.min(...times) : undefined };
  } finally {
    await client.close();
  }
}

await runCommand("status", usage, main, async () => {
  await azurite?.stop();
});
