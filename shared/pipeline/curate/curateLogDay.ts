/**
 * A telephony log's final day, curated: once its day marker exists (harvestLog.ts writes it after
 * the day's final pass), the day's rows, each once (the last line archived for it: the highest
 * pass), are written as one Parquet file, `curated/v2/pstn_calls/tenant=home/year=…/month=…/day=…/`,
 * then a marker under `curated/v2/_days/pstn_calls/`. Write-once throughout, as call records'
 * curation (curateDay.ts).
 */
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { archiveBlobOf, dayPartition, dayPartitionPrefix } from "../../archive/archiveLayout.js";
import type { ArchiveStore } from "../../archive/archiveStore.js";
import { dataLinesOf } from "../../archive/dataLines.js";
import { rowDigest, rowKey, rowOfLine } from "../../archive/logManifest.js";
import type { LogSourceName } from "../../core/sources.js";
import { type TenantId, tenantFolder } from "../../core/tenants.js";
import { dayInMs, formatInstant } from "../../core/window.js";
import { writeParquetFile } from "../../lake/curatedWriter.js";
import { logTableColumns, logTableRow } from "../../lake/logCuratedTable.js";
import { logViewNames } from "../../lake/telephonyLogSchema.js";
import { dayMarkerName } from "../harvest/dayMarker.js";
import { curatedRoot, curationCandidates, ymd } from "./curateDay.js";

/** `curated/v2/pstn_calls/tenant=home/year=2026/month=11/day=02/pstn_calls_20261102.parquet` */
export const curatedLogFileName = (source: LogSourceName, dayStartInMs: number, tenant?: TenantId): string =>
  `${curatedRoot}/${logViewNames[source]}/${tenantFolder(tenant)}/${dayPartition(dayStartInMs)}${logViewNames[source]}_${ymd(dayStartInMs).replace(/-/g, "")}.parquet`;

/** The home tenant's marker where it always was; another tenant's below its own folder. */
export const curatedLogMarkerName = (source: LogSourceName, dayStartInMs: number, tenant?: TenantId): string =>
  `${curatedRoot}/_days/${logViewNames[source]}/${tenant === undefined ? "" : `${tenantFolder(tenant)}/`}${ymd(dayStartInMs)}.json`;

type LogCurateDeps = { readonly archive: ArchiveStore; readonly nowInMs: () => number; readonly tempRoot?: string; readonly tenant?: TenantId };

export type LogCurateOutcome =
  | { readonly status: "curated"; readonly day: string; readonly rows: number; readonly lines: number; readonly bytes: number }
  | { readonly status: "alreadyCurated" | "notFinal"; readonly day: string };

export async function curateLogDay(deps: LogCurateDeps, source: LogSourceName, dayStartInMs: number): Promise<LogCurateOutcome> {
  const { archive, tenant } = deps;
  const origin = { source, ...(tenant === undefined ? {} : { tenant }) };
  const day = ymd(dayStartInMs);
  if (await archive.read(curatedLogMarkerName(source, dayStartInMs, tenant))) return { status: "alreadyCurated", day };
  if (!(await archive.read(dayMarkerName(dayStartInMs, origin)))) return { status: "notFinal", day };
  // The last line per row: passes in order, and within a pass the one line a pass writes per row.
  const rows = new Map<string, Readonly<Record<string, unknown>>>();
  const files = (await archive.list(dayPartitionPrefix(dayStartInMs, origin)))
    .map((name) => ({ name, blob: archiveBlobOf(name) }))
    .filter((f) => f.blob?.kind === "data")
    .sort((a, b) => (a.blob?.job.pass ?? 0) - (b.blob?.job.pass ?? 0));
  let lines = 0;
  for (const { name } of files) {
    const data = await archive.readStream(name);
    if (!data) throw new Error(`${name} was listed but cannot be read`);
    for await (const line of dataLinesOf(name, data)) {
      lines += 1;
      const row = rowOfLine(line);
      const key = rowKey(row, rowDigest(row));
      rows.delete(key);
      rows.set(key, line);
    }
  }
  const staging = await mkdtemp(join(deps.tempRoot ?? tmpdir(), "curate-log-"));
  try {
    const file = join(staging, "table.parquet");
    await writeParquetFile(file, logTableColumns(source), [...rows.values()].map((line) => logTableRow(source, line)));
    const bytes = (await stat(file)).size;
    await archive.createFromStream(curatedLogFileName(source, dayStartInMs, tenant), Readable.from([await readFile(file)]), "application/vnd.apache.parquet");
    const marker = { schemaVersion: 2, day, source, dataFiles: files.length, lines, rows: rows.size, bytes, curatedAt: formatInstant(deps.nowInMs()) };
    await archive.createText(curatedLogMarkerName(source, dayStartInMs, tenant), `${JSON.stringify(marker, null, 2)}\n`, "application/json");
    return { status: "curated", day, rows: rows.size, lines, bytes };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** A log's final, not yet curated days among the curate run's candidates, oldest first, at most `maxDays`. */
export async function curateLogDueDays(
  deps: LogCurateDeps,
  source: LogSourceName,
  options: { readonly lookbackDays: number; readonly maxDays: number; readonly finalAfterInMs: number },
): Promise<Extract<LogCurateOutcome, { status: "curated" }>[]> {
  const curated: Extract<LogCurateOutcome, { status: "curated" }>[] = [];
  const done = new Set(await deps.archive.list(`${curatedRoot}/_days/${logViewNames[source]}/${deps.tenant === undefined ? "" : `${tenantFolder(deps.tenant)}/`}`));
  const now = deps.nowInMs();
  for (const day of curationCandidates(now, options.lookbackDays)) {
    if (curated.length >= options.maxDays) break;
    if (done.has(curatedLogMarkerName(source, day, deps.tenant)) || day + dayInMs + options.finalAfterInMs > now) continue;
    const outcome = await curateLogDay(deps, source, day);
    if (outcome.status === "curated") curated.push(outcome);
  }
  return curated;
}
