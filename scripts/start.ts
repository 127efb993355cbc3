/**
 * `npm start`: the archiver on this machine. With no credentials it harvests the built-in Graph
 * sandbox tenant into Azurite (both embedded); with AZURE_TENANT_ID / AZURE_CLIENT_ID /
 * AZURE_CLIENT_SECRET it harvests that tenant.
 *
 *   npm start -- [--from INSTANT|DAY] [--to INSTANT|DAY] [--window MINUTES] [--out FOLDER | --out https://ACCOUNT.blob.core.windows.net/CONTAINER]
 */
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { userPath } from "../local/command.js";
import { parseArgs } from "node:util";
import { type ArchiveStore, folderArchiveStore } from "../shared/archive/archiveStore.js";
import { systemClock } from "../shared/core/clock.js";
import { loadArchiverConfig, loadPipelineConfig, readSettings } from "../shared/config/config.js";
import { isConfigError } from "../shared/core/errors.js";
import { createGraphRuntime } from "../shared/graph/graphSetup.js";
import { inProcessTenantBudgets } from "../shared/pipeline/harvest/instanceRegistry.js";
import { totalRetries } from "../shared/graph/graphCounters.js";
import { memoryWatermarkStore } from "../shared/pipeline/plan/watermarkStore.js";
import { formatInstant } from "../shared/core/window.js";
import type { Azurite } from "../local/azurite.js";
import { type LocalRunSummary, runLocal } from "../local/run.js";
import { throttleTotals } from "../shared/graph/requestGovernor.js";
import { containerArchive, containerProblem, localAzuriteArchive } from "../local/localArchive.js";
import { UsageError, logDaysOf, planStart, redactUrl, windowMinutesOf } from "../local/startOptions.js";
import { logSourceNames, logSources } from "../shared/core/sources.js";
import { type Sandbox, logsLackedOf, sandboxSettings, startSandbox } from "../sandbox/server.js";

const usage = "usage: npm start -- [--from INSTANT|DAY] [--to INSTANT|DAY] [--window MINUTES] [--out FOLDER|https://ACCOUNT.blob.core.windows.net/CONTAINER]";

const help = `${usage}

Archives a span of call records on this machine: the real plan and harvest handlers over an
in-process queue. Exit 0 when every window was archived, 1 if any job was dead-lettered, 2 for a
usage or configuration error.

  --from INSTANT    first instant, such as 2026-11-25T00:00:00Z, or a UTC day, 2026-11-25 (its
                    midnight) (default: two days before --to, or Graph's oldest)
  --to INSTANT      end of the span, an instant or a day as --from (default: the last settled
                    instant, now − ARCHIVER_SETTLE_MINUTES)
  --window MINUTES  window length, dividing a day (default: ARCHIVER_WINDOW_MINUTES, 60)
  --out TARGET      a folder (created if missing) or https://ACCOUNT.blob.core.windows.net/CONTAINER
                    (your Azure login, or a SAS); default: the embedded Azurite in .local/azurite
  -h, --help        this text

Graph: the built-in sandbox tenant, unless AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET
(or AZURE_CLIENT_CERTIFICATE_PATH) name a real one; ARCHIVER_GRAPH_ENDPOINT, ARCHIVER_AUTHORITY_HOST
and ARCHIVER_CLOUD pick the cloud. Every ARCHIVER_* setting of the README's table applies.

Example:
  npm start -- --from 2026-11-25T00:00:00Z --to 2026-11-26T00:00:00Z --out ./archive-out`;

function fail(message: string): never {
  console.error(redactUrl(`error: ${message}\n${usage}`));
  process.exit(2);
}

const { values: args } = (() => {
  try {
    return parseArgs({ options: { from: { type: "string" }, to: { type: "string" }, window: { type: "string" }, out: { type: "string" }, help: { type: "boolean", short: "h" } } });
  } catch (error) {
    return fail((error as Error).message);
  }
})();
if (args.help) {
  console.log(help);
  process.exit(0);
}

/** Everything printed goes through here: a SAS token in --out never reaches the terminal or a log. */
const say = (line: string) => console.log(redactUrl(line));
const complain = (line: string) => console.error(redactUrl(line));

/** Makes the folder and proves it can be written, or says in a sentence why not. */
function writableFolder(path: string): string {
  const folder = userPath(path);
  if (existsSync(folder) && !statSync(folder).isDirectory()) {
    throw new UsageError(`--out ${path} is a file; give a folder (it is created if missing) or an https:// blob container URL`);
  }
  try {
    mkdirSync(folder, { recursive: true });
    const probe = join(folder, `.write-test-${process.pid}`);
    writeFileSync(probe, "");
    rmSync(probe);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const why = e.code === "ENOTDIR" ? "part of that path is a file" : e.code === "EACCES" || e.code === "EPERM" ? "permission denied" : e.code === "EROFS" ? "the file system is read-only" : e.message;
    throw new UsageError(`cannot write to --out ${path}: ${why}`);
  }
  return folder;
}

const started = Date.now();
/** A part of a whole as a percentage, for the summary. */
const waitedShare = (part: number, whole: number) => `${((100 * part) / Math.max(0.001, whole)).toFixed(0)} % (${part.toFixed(1)} s)`;
const realTenant = process.env.AZURE_CLIENT_SECRET !== undefined || process.env.AZURE_CLIENT_CERTIFICATE_PATH !== undefined;
let sandbox: Sandbox | undefined;
let stopBudgets: (() => Promise<void>) | undefined;

let azurite: Azurite | undefined;

try {
  const env: Record<string, string | undefined> = { ...process.env };
  const windowMinutes = windowMinutesOf(args.window);
  if (windowMinutes !== undefined) env.ARCHIVER_WINDOW_MINUTES = String(windowMinutes);
  if (env.ARCHIVER_GRAPH_APP_CLIENT_ID !== undefined && !realTenant) {
    throw new UsageError(
      "ARCHIVER_GRAPH_APP_CLIENT_ID is set, but that identity (an app registration trusting the deployed app's managed identity) exists only in Azure. npm start reads a real tenant with AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH), or the built-in sandbox with none of them: unset ARCHIVER_GRAPH_APP_CLIENT_ID.",
    );
  }
  // Validate configuration before starting anything.
  const settings = loadPipelineConfig(env);
  if (realTenant) loadArchiverConfig(env);
  const plan = planStart(args, {
    nowInMs: Date.now(),
    cloud: readSettings(env, ["cloud"]).cloud,
    windowInMs: settings.plan.windowInMs,
    settleInMs: settings.plan.settleInMs,
    safetyMarginInMs: settings.plan.safetyMarginInMs,
  });
  for (const warning of plan.warnings) complain(`warning: ${warning}`);
  const folder = plan.target.kind === "folder" ? writableFolder(plan.target.path) : undefined;
  // A missing login or role is configuration: refused before the first Graph request, not met by
  // every job as a failure to retry.
  if (plan.target.kind === "container") {
    const problem = await containerProblem(plan.target.url);
    if (problem) throw new UsageError(`cannot use --out ${redactUrl(plan.target.url)} (${problem})`);
  }
  if (!realTenant) {
    let unsupported: ReturnType<typeof logsLackedOf>;
    try {
      unsupported = logsLackedOf(process.env.SANDBOX_WITHOUT_LOGS);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    // ARCHIVER_TENANTS names the other tenants; the sandbox serves each (those in
    // SANDBOX_UNCONSENTED_TENANTS without the app's consent, as a tenant not yet onboarded).
    const unconsented = new Set(readSettings({ ARCHIVER_TENANTS: process.env.SANDBOX_UNCONSENTED_TENANTS }, ["tenants"]).tenants);
    sandbox = await startSandbox({
      callsPerDay: Number(process.env.SANDBOX_CALLS_PER_DAY ?? 300),
      logs: { unsupported },
      tenants: [...new Set([...settings.tenants, ...unconsented])].map((id) => ({ id, consented: !unconsented.has(id) })),
    });
    Object.assign(env, sandboxSettings(sandbox));
  }
  const archiverConfig = loadArchiverConfig(env);
  const pipeline = loadPipelineConfig(env);
  const windowInMs = pipeline.plan.windowInMs;
  const { startInMs: from, endInMs: to } = plan.span;

  let archive: ArchiveStore;
  if (plan.target.kind === "container") {
    archive = containerArchive(plan.target.url);
  } else if (folder !== undefined) {
    archive = folderArchiveStore(folder);
  } else {
    ({ azurite, archive } = await localAzuriteArchive(pipeline.archiveContainer));
  }

  const spanGiven = args.from !== undefined || args.to !== undefined;
  const logDays = logSourceNames.flatMap((source) => {
    const logPlan = pipeline.logs[source];
    return logPlan ? [{ source, plan: logPlan, days: logDaysOf(plan.span, spanGiven, Date.now(), logPlan) }] : [];
  });
  const others = pipeline.tenants;
  say(`callrecords-archiver: harvesting ${sandbox ? `the Graph sandbox tenant (${sandbox.origin})` : archiverConfig.graph.graphEndpoint}${others.length > 0 ? `, and ${others.length} other tenant${others.length === 1 ? "" : "s"} (ARCHIVER_TENANTS)` : ""}`);
  say(`  span ${formatInstant(from)} → ${formatInstant(to)} in ${windowInMs / 60_000}-minute windows, into ${archive.location}`);
  // With other tenants, each tenant's governor takes its fair share of the app's ceiling across
  // tenants, all in this process (tenantBudgets.ts).
  const budgets = others.length > 0 ? inProcessTenantBudgets(archiverConfig.graph, pipeline.appCeilingRequests) : undefined;
  const graph = createGraphRuntime(archiverConfig, { ca: sandbox?.ca, ...(budgets ? { onTenant: (_t, runtime) => void budgets.share(runtime) } : {}) });
  budgets?.share(graph);
  stopBudgets = budgets?.stop;
  const summary = await runLocal({
    archiverConfig,
    pipeline,
    graph,
    archive,
    watermarks: memoryWatermarkStore({ nextWindowStartInMs: from }),
    tenants: others.map((tenant) => ({ tenant, watermarks: memoryWatermarkStore({ nextWindowStartInMs: from }) })),
    clock: systemClock,
    // Plan exactly up to --to: the planner stops a settle delay before its "now".
    planClock: { now: () => to + pipeline.plan.settleInMs, sleep: systemClock.sleep },
    onProgress: (line) => say(`  ${line}`),
    logDays,
  });
  const g = summary.graph;
  say(`
Summary
  windows           ${summary.windows}; passes: ${summary.harvested} harvested, ${summary.alreadyDone} already archived, ${summary.repaired} repaired, ${summary.splits} split, ${summary.retries} retried after a failure; ${summary.scheduledLater ? `${summary.scheduledLater} re-read passes are not due yet (the first at ${formatInstant(summary.nextPassDueInMs ?? 0)}: run again after it to archive later versions)` : "every re-read pass due has run"}
  records archived  ${summary.records} (${(summary.bytes / 1024).toFixed(0)} KiB gzip)${summary.expired ? `, ${summary.expired} expired before fetch` : ""}; ${(summary.records / Math.max(0.001, summary.harvestSeconds)).toFixed(1)} records/s over ${summary.harvestSeconds.toFixed(1)} s of harvesting, ${waitedShare(summary.waitedOnGraphSeconds, summary.harvestSeconds)} of it with a request waiting on Graph's Retry-After
  Graph             ${g.requests} requests, ${g.pages} list pages, ${totalRetries(g)} retries (${Object.entries(g.retries).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(", ") || "none"}); ${(g.throttledInMs / 1000).toFixed(1)} request-seconds waited on Graph's Retry-After (requests waiting side by side each count: ${summary.waitedOnGraphSeconds.toFixed(1)} s of wall time); ${throttleCauses(summary.throttles)}
  wall time         ${((Date.now() - started) / 1000).toFixed(1)} s
  archive           ${archive.location}/callrecords/v1/year=…/month=…/day=…/hour=…/`);
  for (const { source, plan: logPlan } of logDays) {
    const figures = summary.logs[source];
    if (!figures) continue;
    const label = logSources[source].label;
    const readable = `a day is read ${logPlan.settleInMs / 3_600_000} h after it ends`;
    say(
      figures.days === 0
        ? `  ${label.padEnd(20)} no day of the span is readable yet (${readable}, ARCHIVER_LOG_SETTLE_HOURS)`
        : figures.unsupported > 0 && figures.unsupported === figures.passes
          ? `  ${label.padEnd(20)} not available in this tenant: Graph answered 404 for ${logSources[source].graphFunction} (recorded; every day asks again)`
          : `  ${label.padEnd(20)} ${figures.days} day${figures.days === 1 ? "" : "s"}, ${figures.passes} passes: ${figures.rows} rows archived (${(figures.bytes / 1024).toFixed(0)} KiB gzip) under ${logSources[source].archiveRoot}/`,
    );
  }
  for (const [label, figures] of Object.entries(summary.tenants)) {
    say(`  tenant ${label.padEnd(36)} ${figures.passes} passes archived, ${figures.records} call records${label === "home" ? "" : ` under callrecords/v1/tenant=${label}/`}${figures.deadLetters > 0 ? `; ${figures.deadLetters} job(s) dead-lettered` : ""}`);
  }
  if (azurite) say(`  Azurite keeps it in .local/azurite: \`npm run query -- "SELECT …"\` reads it through the lake views, and \`npm start -- --out ./archive-out\` writes the same layout to a folder`);
  if (summary.deadLetters.length > 0) {
    complain(`\n${summary.deadLetters.length} job(s) failed and were dead-lettered:`);
    for (const d of summary.deadLetters) complain(`  ${d.messageId}: ${d.reason}: ${d.description}`);
    process.exitCode = 1;
  }
} catch (error) {
  if (error instanceof UsageError) {
    complain(`error: ${error.message}\n${usage}`);
    process.exitCode = 2;
  } else if (isConfigError(error)) {
    complain(error.message);
    process.exitCode = 2;
  } else {
    complain(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 1;
  }
} finally {
  await stopBudgets?.();
  await sandbox?.close();
  await azurite?.stop();
}

/** Graph's 429s by cause: what our pace caused (it slowed), and what it suffered (another app, a tenant or service limit: waited out, pace kept). */
function throttleCauses(t: LocalRunSummary["throttles"]): string {
  const { caused, suffered } = throttleTotals(t);
  return caused + suffered === 0 ? "no 429s" : `429s: ${caused} from our pace (slowed), ${suffered} not (waited out, pace kept)`;
}
