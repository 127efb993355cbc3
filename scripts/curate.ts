/**
 * `npm run curate`: writes the curated tables (curated/v2/, Parquet) of every final day in a range,
 * from the raw archive. The hourly `curate` function does the same for recent days; this is how
 * days archived before the function existed, or curated under an older schema (curated/v1/), are
 * written into the current one. Write-once as ever: a day already curated is left as it is.
 *
 *   npm run curate -- --from DAY|INSTANT --to DAY|INSTANT [--out FOLDER | --archive URL] [--tenant home|all|ID]
 *
 * Exit status: 0 every final day in the range is curated (days not final yet are listed, not
 * errors), 1 a day failed, 2 bad usage or configuration.
 */
import { loadPipelineConfig } from "../shared/config/config.js";
import { dayInMs, floorTo, formatInstant } from "../shared/core/window.js";
import type { PlanSettings } from "../shared/pipeline/plan/planning.js";
import { curateDay, curatedRoot } from "../shared/pipeline/curate/curateDay.js";
import type { Azurite } from "../local/azurite.js";
import { commandArgs, runCommand } from "../local/command.js";
import { checkArchiveSourceArgs, openArchiveSource, tenantOption, tenantsOf } from "../local/localArchive.js";
import { type TenantId, tenantLabel } from "../shared/core/tenants.js";
import { UsageError, redactUrl, spanEdge } from "../local/startOptions.js";
import { finalPass, graphRetentionInMs, passDueAt } from "../shared/core/passes.js";
import { logSourceNames, logSources } from "../shared/core/sources.js";
import { curateLogDay } from "../shared/pipeline/curate/curateLogDay.js";

const usage = "usage: npm run curate -- --from DAY --to DAY [--out FOLDER | --archive https://ACCOUNT.blob.core.windows.net/CONTAINER] [--tenant home|all|TENANT_ID]";

const help = `${usage}

Writes ${curatedRoot}/ (five Parquet tables a day) for every final day from --from to --to, both
included, from the raw archive. A day is final once its _SUCCESS.json marker is written (its last
re-read pass archived); other days are listed and left. A day already curated is not written again.
Exit 0 every final day is curated, 1 a day failed, 2 a usage or configuration error.

  --from DAY        first UTC day, YYYY-MM-DD, or an instant as npm start takes it (its day)
  --to DAY          last UTC day, YYYY-MM-DD (included), or npm start's end instant (the span
                    before it: 2026-11-27T00:00:00Z ends with 2026-11-26)
  --out FOLDER      an archive written by npm start -- --out FOLDER
  --archive URL     https://ACCOUNT.blob.core.windows.net/CONTAINER (your Azure login, or a SAS)
  --tenant WHOSE    home (default), another tenant's id, or all: the home tenant and every other
                    one ARCHIVER_TENANTS or the registry names, as npm run status takes it
  -h, --help        this text

Default source: the account of ARCHIVER_STORAGE or ARCHIVER_STORAGE__blobServiceUri, else npm start's
Azurite.

Example:
  npm run curate -- --from 2026-11-01 --to 2026-11-07 --out ./archive-out`;

/** The UTC day `--from` starts, or `--to` ends (a day is included; an instant ends the span before it). */
const dayOf = (flag: "from" | "to", value: string | undefined): number => {
  if (value === undefined) throw new UsageError(`--${flag} is required`);
  const edge = spanEdge(flag, value);
  return floorTo(flag === "to" && !edge.day ? edge.ms - 1 : edge.ms, dayInMs);
};

/** Why a day is not final yet, and when it becomes so: its last window's last re-read falls due. */
function notFinalText(dayStartInMs: number, plan: PlanSettings, nowInMs: number): string {
  const last = { startInMs: dayStartInMs + dayInMs - plan.windowInMs, endInMs: dayStartInMs + dayInMs };
  const dueInMs = passDueAt(last, finalPass(last, plan), plan);
  const due = formatInstant(dueInMs).slice(0, 16).replace("T", " ");
  if (dueInMs > nowInMs) return `not final yet: its last re-read pass falls due ${due} UTC; curate it after that pass is archived`;
  if (last.startInMs + graphRetentionInMs <= nowInMs) return `not final: its last re-read pass (due ${due} UTC) is not archived, and Graph no longer holds the day, so it stays uncurated`;
  return `not final yet: its last re-read pass (due ${due} UTC) is not archived; run npm start over the day (or let the deployment's sweep re-send it), then curate`;
}

let azurite: Azurite | undefined;

async function main(): Promise<number> {
  const { values: args } = commandArgs({ options: { from: { type: "string" }, to: { type: "string" }, out: { type: "string" }, archive: { type: "string" }, tenant: { type: "string" }, help: { type: "boolean", short: "h" } } });
  if (args.help) {
    console.log(help);
    return 0;
  }
  const from = dayOf("from", args.from);
  const to = dayOf("to", args.to);
  if (to < from) throw new UsageError(`--to ${args.to} is before --from ${args.from}`);
  checkArchiveSourceArgs(args);
  const whose = tenantOption(args.tenant);
  const pipeline = loadPipelineConfig(process.env);
  const source = await openArchiveSource(args, pipeline);
  ({ azurite } = source);
  console.log(redactUrl(`archive ${source.archive.location}`));

  const tenants = await tenantsOf(whose, pipeline, source.state);
  let failed = 0;
  for (const tenant of tenants) {
    if (tenants.length > 1 || tenant !== undefined) console.log(`\ntenant ${tenantLabel(tenant)}`);
    failed += await curateTenant(tenant);
  }
  return failed > 0 ? 1 : 0;

  /** One tenant's days: call records', then each log's where the archive holds it. Returns the failures. */
  async function curateTenant(tenant: TenantId | undefined): Promise<number> {
    const deps = { archive: source.archive, nowInMs: Date.now, ...(tenant === undefined ? {} : { tenant }) };
    let failures = 0;
    for (let day = from; day <= to; day += dayInMs) {
      try {
        const outcome = await curateDay(deps, day);
        if (outcome.status === "curated") {
          console.log(`${outcome.day}  curated: ${outcome.calls} calls, ${outcome.tables.map((t) => `${t.table} ${t.rows}`).join(", ")}`);
        } else {
          console.log(`${outcome.day}  ${outcome.status === "notFinal" ? notFinalText(day, pipeline.plan, Date.now()) : "already curated"}`);
        }
      } catch (error) {
        failures += 1;
        console.error(`${new Date(day).toISOString().slice(0, 10)}  failed: ${error instanceof Error ? error.message : String(error)}`);
      }
      // The telephony logs' day too: said only when curated or failed.
      for (const log of logSourceNames) {
        try {
          const outcome = await curateLogDay(deps, log, day);
          if (outcome.status === "curated") console.log(`${outcome.day}  ${logSources[log].label} curated: ${outcome.rows} rows`);
        } catch (error) {
          failures += 1;
          console.error(`${new Date(day).toISOString().slice(0, 10)}  ${logSources[log].label} failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    }
    return failures;
  }
}

await runCommand("curate", usage, main, async () => {
  await azurite?.stop();
});
