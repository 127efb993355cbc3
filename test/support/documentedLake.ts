/**
 * One of Graph's documented records (test/fixtures/graph/), archived as the harvest writes it
 * (one data blob of its day's hour, the day marker), curated, and open in DuckDB with the shipped
 * views: the lake tests that check the views and the curated tables against documents nobody here
 * wrote.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { DuckDBInstance } from "@duckdb/node-api";
import { dataBlobName } from "../../shared/archive/archiveLayout.js";
import { folderArchiveStore } from "../../shared/archive/archiveStore.js";
import type { TenantId } from "../../shared/core/tenants.js";
import { dayInMs, hourInMs } from "../../shared/core/window.js";
import { type CuratedTableName } from "../../shared/lake/curatedTables.js";
import { curateDay, curatedFileName } from "../../shared/pipeline/curate/curateDay.js";
import { dayMarkerName } from "../../shared/pipeline/harvest/dayMarker.js";
import { projectRoot } from "./bicep.js";
import { graphFixture } from "./fixtures.js";

/** A fixture of Graph's documentation, with its `$metadata#` nextLink slip left as it is. */
export const documentedFixture = async (name: string): Promise<Record<string, unknown>> => graphFixture(name);

export interface DocumentedLake {
  /** Rows of a query over the views (and read_parquet of the curated tables). */
  rows(query: string): Promise<Record<string, unknown>[]>;
  /** The path of a curated table's Parquet file for the record's day. */
  curated(table: CuratedTableName): string;
  close(): Promise<void>;
}

/**
 * Writes `record` into the archive at `root` as the harvest would (pass 0, one data blob of the hour
 * it started), as another tenant's if one is named, and marks its day final; answers the day's start.
 */
export async function archiveRecord(root: string, record: Record<string, unknown>, tenant?: TenantId): Promise<number> {
  const start = Date.parse(String(record.startDateTime));
  const day = Math.floor(start / dayInMs) * dayInMs;
  const hour = Math.floor(start / hourInMs) * hourInMs;
  const archive = folderArchiveStore(root);
  const line = { ...record, "sessions@odata.nextLink": undefined, _archive: { pass: 0 } };
  const origin = tenant === undefined ? {} : { tenant };
  await archive.createFromStream(dataBlobName({ window: { startInMs: hour, endInMs: hour + hourInMs }, pass: 0, ...origin }), Readable.from([gzipSync(`${JSON.stringify(line)}\n`)]), "application/x-ndjson");
  await archive.createText(dayMarkerName(day, origin), "{}", "application/json");
  return day;
}

/** Archives `record` (pass 0, in the hour it started), curates its day and opens the views. */
export async function documentedLake(record: Record<string, unknown>): Promise<DocumentedLake> {
  const root = await mkdtemp(join(tmpdir(), "documented-lake-"));
  const day = await archiveRecord(root, record);
  const archive = folderArchiveStore(root);
  const curated = await curateDay({ archive, nowInMs: () => day + 30 * dayInMs }, day);
  if (curated.status !== "curated") throw new Error(`the documented record's day was not curated: ${curated.status}`);
  const db = await DuckDBInstance.create(":memory:");
  const sql = await db.connect();
  await sql.run(`SET VARIABLE archive = '${root}'`);
  await sql.run(await readFile(join(projectRoot, "lake", "duckdb", "views.sql"), "utf8"));
  return {
    rows: async (query) => (await sql.runAndReadAll(query)).getRowObjectsJson() as Record<string, unknown>[],
    curated: (table) => join(root, curatedFileName(table, day)),
    close: async () => {
      sql.closeSync();
      db.closeSync();
      await rm(root, { recursive: true, force: true });
    },
  };
}
