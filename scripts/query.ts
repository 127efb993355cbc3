/**
 * `npm run query`: runs SQL over the archive through the shipped DuckDB views (lake/duckdb/views.sql),
 * wherever the archive is. A folder is read in place; the default (`npm start`'s Azurite) and
 * `--archive URL` are first mirrored into .local/lake/ (DuckDB reads neither Azurite nor a SAS URL
 * without an extension from the network; blobs are write-once, so only new names are copied).
 *
 *   npm run query -- [--out FOLDER | --archive URL] "SELECT … FROM callrecords_latest …"
 */
import { readFile, readdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { archiveRoot } from "../shared/archive/archiveLayout.js";
import { logSourceNames, logSources } from "../shared/core/sources.js";
import { logViewFiles } from "../shared/lake/telephonyViews.js";
import { loadPipelineConfig } from "../shared/config/config.js";
import type { Azurite } from "../local/azurite.js";
import { commandArgs, runCommand } from "../local/command.js";
import { archiveFolder, checkArchiveSourceArgs, openArchiveSource } from "../local/localArchive.js";
import { UsageError, redactUrl } from "../local/startOptions.js";
import { mirrorContainer } from "../local/lakeMirror.js";
import { queryLockdown } from "../local/queryLockdown.js";

const usage = 'usage: npm run query -- [--out FOLDER | --archive https://ACCOUNT.blob.core.windows.net/CONTAINER] "SQL"';

const help = `${usage}

Runs SQL over the archive through the DuckDB views of lake/duckdb/views.sql (callrecords_latest,
callrecord_sessions, callrecord_segments, callrecord_streams, callrecord_participants, …), and
pstn_calls and direct_routing_calls once the archive holds those logs, and prints the rows. Several statements may be given, separated by ";"; the last one's rows are printed.
Exit 0 on success, 1 if the SQL fails, 2 a usage or configuration error.

  --out FOLDER      an archive written by npm start -- --out FOLDER (read in place)
  --archive URL     https://ACCOUNT.blob.core.windows.net/CONTAINER (your Azure login, or a SAS),
                    mirrored into .local/lake/ first
  -h, --help        this text

Default source: npm start's Azurite (or the settings' account, ARCHIVER_STORAGE…), mirrored into
.local/lake/ first: only blobs not mirrored yet are copied.

Example:
  npm run query -- "SELECT year, month, day, hour, count(*) AS calls FROM callrecords_latest GROUP BY ALL ORDER BY ALL"`;

let azurite: Azurite | undefined;

const cell = (value: unknown): string => (value === null || value === undefined ? "NULL" : typeof value === "object" ? JSON.stringify(value) : String(value));

async function main(): Promise<number> {
  const { values: args, positionals } = commandArgs({ allowPositionals: true, options: { out: { type: "string" }, archive: { type: "string" }, help: { type: "boolean", short: "h" } } });
  if (args.help) {
    console.log(help);
    return 0;
  }
  const sql = positionals.join(" ").trim();
  if (sql === "") throw new UsageError("give the SQL to run, in quotes");
  checkArchiveSourceArgs(args);

  let folder: string;
  if (args.out !== undefined) {
    folder = archiveFolder(args.out);
  } else {
    const pipeline = loadPipelineConfig(process.env);
    const source = await openArchiveSource(args, pipeline);
    ({ azurite } = source);
    folder = resolve(".local", "lake", args.archive === undefined ? pipeline.archiveContainer : new URL(args.archive).host + new URL(args.archive).pathname);
    if (!source.container) throw new Error("a blob source without its container");
    const mirrored = await mirrorContainer(source.container, folder, [`${archiveRoot}/`, "curated/", ...logSourceNames.map((s) => `${logSources[s].archiveRoot}/`)]);
    for (const { name, problem } of mirrored.refused) console.error(redactUrl(`warning: blob ${JSON.stringify(name)} not copied: ${problem} (a name that could write outside ${folder})`));
    console.error(`mirrored ${mirrored.copied} new and ${mirrored.refreshed} rewritten blob(s) of ${redactUrl(source.archive.location)} into ${folder}`);
    await azurite?.stop();
    azurite = undefined;
  }

  // The views bind to the data files when created: with none, say so (exit 2) instead of DuckDB's "No files found".
  const hasData = (await readdir(join(folder, archiveRoot), { recursive: true }).catch(() => [] as string[])).some((name) => name.endsWith(".jsonl.gz"));
  if (!hasData) throw new UsageError(`the archive in ${folder} holds no call records yet: npm start archives some`);

  const db = await DuckDBInstance.create(":memory:");
  const connection = await db.connect();
  try {
    await connection.run(`SET VARIABLE archive = '${folder.replace(/'/g, "''")}'`);
    await connection.run(await readFile(resolve(import.meta.dirname, "..", "lake", "duckdb", "views.sql"), "utf8"));
    // Other tenants' call records beside the home tenant's, once the archive holds some.
    const tenantFiles = (await readdir(join(folder, archiveRoot), { recursive: true }).catch(() => [] as string[])).some((name) => name.startsWith("tenant=") && name.endsWith(".jsonl.gz"));
    if (tenantFiles) await connection.run(await readFile(resolve(import.meta.dirname, "..", "lake", "duckdb", "tenants.sql"), "utf8"));
    // Each telephony log's views once the archive holds that log (DuckDB binds a view's files).
    for (const source of logSourceNames) {
      const files = await readdir(join(folder, logSources[source].archiveRoot), { recursive: true }).catch(() => [] as string[]);
      if (files.some((name) => name.endsWith(".jsonl.gz"))) await connection.run(await readFile(resolve(import.meta.dirname, "..", "lake", "duckdb", logViewFiles[source]), "utf8"));
    }
    // The views are in; from here the SQL given reads the archive and nothing else: no extension
    // fetched or loaded, no file outside the archive folder, no network, and no way back.
    for (const setting of queryLockdown(folder)) await connection.run(setting);
    const statements = sql.split(";").map((s) => s.trim()).filter((s) => s !== "");
    for (const statement of statements.slice(0, -1)) await connection.run(statement);
    const reader = await connection.runAndReadAll(statements.at(-1) ?? "");
    const names = reader.columnNames();
    const rows = reader.getRowObjectsJson().map((row) => names.map((n) => cell(row[n])));
    const widths = names.map((n, i) => Math.max(n.length, ...rows.map((r) => (r[i] ?? "").length)));
    console.log(names.map((n, i) => n.padEnd(widths[i] ?? 0)).join("  "));
    for (const row of rows) console.log(row.map((v, i) => v.padEnd(widths[i] ?? 0)).join("  "));
    console.error(`(${rows.length} row${rows.length === 1 ? "" : "s"})`);
    return 0;
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    return 1;
  } finally {
    connection.closeSync();
    db.closeSync();
  }
}

await runCommand("query", usage, main, async () => {
  await azurite?.stop();
});
