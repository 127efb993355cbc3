/**
 * The curated layer's step: a day whose raw layer is final (its `_SUCCESS.json` day marker exists)
 * is written once as five Parquet tables under `curated/v2/<table>/year=…/month=…/day=…/`, then a
 * curated marker under `curated/v2/_days/` (Synapse and Spark skip `_` folders). Every name is
 * write-once, so a second run of the same day, whether a retry after a crash or a racing instance,
 * writes nothing twice: it finds the tables it already wrote and the marker last. The raw JSON Lines
 * stay the source of truth; a curated day can be deleted and written again.
 *
 * v2 (the coercion rule, every documented stream and endpoint field, participants rebuilt from
 * sessions) changed the tables' columns, so it has its own root: v1 files stay readable where they
 * are, and `npm run curate -- --from --to` writes earlier days into v2 from the raw archive.
 */
import { createReadStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { archiveBlobOf, dayPartition, dayPartitionPrefix } from "../../archive/archiveLayout.js";
import type { ArchiveStore } from "../../archive/archiveStore.js";
import { dayInMs, floorTo, formatInstant, hourInMs } from "../../core/window.js";
import type { CuratedTableName } from "../../lake/curatedTables.js";
import { type DayFile, writeCuratedDay } from "../../lake/curatedWriter.js";
import { dayMarkerName } from "../harvest/dayMarker.js";
import { type TenantId, tenantFolder } from "../../core/tenants.js";

export const curatedRoot = "curated/v2";

/** `2026-11-02`: a UTC day as curated names and markers write it. */
export const ymd = (dayStartInMs: number) => new Date(dayStartInMs).toISOString().slice(0, 10);

/** `tenant=<id>/` below a curated table, for another tenant (core/tenants.ts); nothing for the home tenant. */
const curatedTenantFolder = (tenant: TenantId | undefined): string => (tenant === undefined ? "" : `${tenantFolder(tenant)}/`);

/** `curated/v2/streams/year=2026/month=11/day=02/streams_20261102.parquet` (another tenant's below `streams/tenant=<id>/`) */
export function curatedFileName(table: CuratedTableName, dayStartInMs: number, tenant?: TenantId): string {
  return `${curatedRoot}/${table}/${curatedTenantFolder(tenant)}${dayPartition(dayStartInMs)}${table}_${ymd(dayStartInMs).replace(/-/g, "")}.parquet`;
}

/** `curated/v2/_days/2026-11-02.json`: written last, so its presence means every table is there. */
export const curatedMarkerName = (dayStartInMs: number, tenant?: TenantId): string => `${curatedRoot}/_days/${curatedTenantFolder(tenant)}${ymd(dayStartInMs)}.json`;

export type CurateOutcome =
  | { readonly status: "curated"; readonly day: string; readonly calls: number; readonly lines: number; readonly tables: readonly { table: CuratedTableName; rows: number; bytes: number }[] }
  | { readonly status: "alreadyCurated" | "notFinal"; readonly day: string };

export interface CurateDeps {
  readonly archive: ArchiveStore;
  readonly nowInMs: () => number;
  /** Where the Parquet files are staged before upload; default the OS temporary folder. */
  readonly tempRoot?: string;
  /** Whose days; absent: the home tenant's. */
  readonly tenant?: TenantId;
}

export async function curateDay(deps: CurateDeps, dayStartInMs: number): Promise<CurateOutcome> {
  const { archive, tenant } = deps;
  const origin = tenant === undefined ? {} : { tenant };
  const day = ymd(dayStartInMs);
  if (await archive.read(curatedMarkerName(dayStartInMs, tenant))) return { status: "alreadyCurated", day };
  if (!(await archive.read(dayMarkerName(dayStartInMs, origin)))) return { status: "notFinal", day };

  const files: DayFile[] = [];
  for (const name of await archive.list(dayPartitionPrefix(dayStartInMs, origin))) {
    const blob = archiveBlobOf(name);
    if (blob?.kind !== "data") continue;
    const hour = Math.floor((blob.job.window.startInMs - dayStartInMs) / hourInMs);
    files.push({
      name,
      hour,
      pass: blob.job.pass,
      read: async () => {
        // Blobs are never deleted; one gone between the listing and the read fails the day, loudly.
        const data = await archive.read(name);
        if (!data) throw new Error(`${name} was listed but cannot be read`);
        return data;
      },
    });
  }
  files.sort((a, b) => a.name.localeCompare(b.name));

  const staging = await mkdtemp(join(deps.tempRoot ?? tmpdir(), "curate-"));
  try {
    const result = await writeCuratedDay(files, staging);
    const tables = [];
    for (const file of result.files) {
      await archive.createFromStream(curatedFileName(file.table, dayStartInMs, tenant), createReadStream(file.file), "application/vnd.apache.parquet");
      tables.push({ table: file.table, rows: file.rows, bytes: (await stat(file.file)).size });
    }
    const marker = { schemaVersion: 2, day, dataFiles: files.length, lines: result.lines, calls: result.calls, tables, curatedAt: formatInstant(deps.nowInMs()) };
    await archive.createText(curatedMarkerName(dayStartInMs, tenant), `${JSON.stringify(marker, null, 2)}\n`, "application/json");
    return { status: "curated", day, calls: result.calls, lines: result.lines, tables };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * The days a curate run looks at: from `lookbackDays` ago up to yesterday, oldest first (a day is
 * final some 20 days after it, with the default re-read offsets; looking further back heals a
 * curate function that was down).
 */
export function curationCandidates(nowInMs: number, lookbackDays: number): number[] {
  const today = floorTo(nowInMs, dayInMs);
  return Array.from({ length: lookbackDays }, (_, i) => today - (lookbackDays - i) * dayInMs);
}

export type CuratedDay = Extract<CurateOutcome, { status: "curated" }>;

export interface CurateRunSummary {
  readonly curated: readonly CuratedDay[];
  readonly checked: number;
}

export interface CurateRunOptions {
  readonly lookbackDays: number;
  readonly maxDays: number;
  /** How long after its end a day can first be final (its last window's last re-read offset); undefined: any time. */
  readonly finalAfterInMs?: number;
}

/**
 * Curates at most `maxDays` final, not yet curated days among the candidates, oldest first. An
 * idle run costs one listing of the curated markers and a read for each day that may have become
 * final, not two reads for each of the lookback's days (most of what the hourly timer cost).
 */
export async function curateDueDays(deps: CurateDeps, options: CurateRunOptions): Promise<CurateRunSummary> {
  const curated: CuratedDay[] = [];
  const alreadyCurated = new Set(await deps.archive.list(`${curatedRoot}/_days/${curatedTenantFolder(deps.tenant)}`));
  const now = deps.nowInMs();
  let checked = 0;
  for (const day of curationCandidates(now, options.lookbackDays)) {
    if (curated.length >= options.maxDays) break;
    checked += 1;
    if (alreadyCurated.has(curatedMarkerName(day, deps.tenant))) continue;
    if (options.finalAfterInMs !== undefined && day + dayInMs + options.finalAfterInMs > now) continue;
    const outcome = await curateDay(deps, day);
    if (outcome.status === "curated") curated.push(outcome);
  }
  return { curated, checked };
}
