/**
 * One Parquet writer's run for `npm run bench:parquet`, in its own process so its peak memory is
 * its own: writes the day in ARCHIVE as the five curated tables to OUT with zstd, then prints one
 * JSON line {ms, maxRssMB}. Usage: parquetWriter.ts hyparquet|duckdb|parquet-wasm ARCHIVE OUT
 *
 * - hyparquet: the production path, shared/lake/curatedWriter.ts (two streaming passes, a row
 *   group per table in memory).
 * - duckdb: COPY from the views of lake/duckdb/views.sql (the same deduplication and flattening,
 *   in SQL), with a 1 GB memory limit.
 * - parquet-wasm: the production flattening (curatedTables.ts), each table built whole as an Arrow
 *   table, then written (parquet-wasm 0.8 has no row-group-at-a-time writer).
 */
import { readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { curatedTables } from "../shared/lake/curatedTables.js";
import { type DayFile, writeCuratedDay } from "../shared/lake/curatedWriter.js";
import { duckdbViewsSql } from "../shared/lake/duckdbViews.js";

const [writer, archive, out] = process.argv.slice(2) as [string, string, string];
const started = performance.now();

async function dayFiles(): Promise<DayFile[]> {
  const names = (await readdir(archive, { recursive: true })).filter((f) => f.endsWith(".jsonl.gz")).sort();
  return names.map((name) => ({
    name,
    hour: Number(/hour=(\d+)/.exec(name)?.[1]),
    pass: Number(/_p(\d+)\.jsonl\.gz$/.exec(name)?.[1]),
    read: () => readFile(join(archive, name)),
  }));
}

// The views' scalar columns, for DuckDB: the same tables in SQL.
const duckdbTables: Record<string, string> = {
  calls: "SELECT id, version, type, startDateTime, endDateTime, lastModifiedDateTime, joinWebUrl, organizer_v2.id AS organizerId, len(sessions) AS sessionCount, len(participants_v2) AS participantCount, hour FROM callrecords_latest",
  sessions: "SELECT callId, sessionId, startDateTime, endDateTime, isTest, caller.userAgent.platform AS callerPlatform, callee.userAgent.platform AS calleePlatform, hour FROM callrecord_sessions",
  segments: "SELECT callId, sessionId, segmentId, startDateTime, endDateTime, hour FROM callrecord_segments",
  streams: "SELECT * EXCLUDE (year, month, day) FROM callrecord_streams",
  participants: "SELECT * EXCLUDE (year, month, day) FROM callrecord_participants",
};

if (writer === "hyparquet") {
  await writeCuratedDay(await dayFiles(), out);
} else if (writer === "duckdb") {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const db = await DuckDBInstance.create(":memory:", { memory_limit: "1GB", threads: "2", preserve_insertion_order: "false", temp_directory: join(out, ".spill") });
  const sql = await db.connect();
  await sql.run(`SET VARIABLE archive = '${archive}'`);
  await sql.run(duckdbViewsSql());
  for (const [table, query] of Object.entries(duckdbTables)) {
    await sql.run(`COPY (${query}) TO '${join(out, `${table}.parquet`)}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 100000)`);
  }
} else if (writer === "parquet-wasm") {
  const arrow = await import("apache-arrow");
  const wasm = await import("parquet-wasm");
  const files = await dayFiles();
  const { createGunzip } = await import("node:zlib");
  const { Readable } = await import("node:stream");
  const { createInterface } = await import("node:readline");
  for (const table of curatedTables) {
    const columns: unknown[][] = table.columns.map(() => []);
    for (const file of files) {
      const input = Readable.from([await file.read()]).pipe(createGunzip());
      for await (const line of createInterface({ input })) {
        if (!line) continue;
        for (const row of table.rowsOf(JSON.parse(line) as Record<string, unknown>, file.hour)) row.forEach((v, i) => columns[i]?.push(typeof v === "bigint" ? Number(v) : v));
      }
    }
    const arrowTable = arrow.tableFromArrays(Object.fromEntries(table.columns.map((c, i) => [c.name, columns[i] as never])) as never);
    const props = new wasm.WriterPropertiesBuilder().setCompression(wasm.Compression.ZSTD).build();
    await writeFile(join(out, `${table.name}.parquet`), wasm.writeParquet(wasm.Table.fromIPCStream(arrow.tableToIPC(arrowTable as never, "stream")), props));
  }
} else {
  throw new Error(`unknown writer ${writer}`);
}

process.stdout.write(`${JSON.stringify({ ms: Math.round(performance.now() - started), maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`);
