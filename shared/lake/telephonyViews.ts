/**
 * The telephony logs' views, DuckDB's and Synapse's, from their one schema (telephonyLogSchema.ts):
 * `pstn_calls` and `direct_routing_calls`, one row per log row, the last line the archive holds for
 * it (the highest pass: a pass writes a row again only when its content changed, and once). Typed
 * by the one coercion rule, as call records' views are.
 *
 * DuckDB binds a view's files when it is created, and a tenant may have one log and not the other:
 * each log's DuckDB views are a file of their own (lake/duckdb/pstn-calls.sql,
 * lake/duckdb/direct-routing-calls.sql), read once the archive holds that log.
 */
import { type LogSourceName, logSources } from "../core/sources.js";
import { duckdbStructure, synapseWith } from "./engineSchemas.js";
import { synapseCoerce, typedField } from "./synapseViews.js";
import { logDataGlob, logPartitionColumns, logRowFields, logViewNames } from "./telephonyLogSchema.js";

const partitions = logPartitionColumns.join(", ");

/** Each log's DuckDB file, below lake/duckdb/. */
export const logViewFiles: Readonly<Record<LogSourceName, string>> = { pstnCalls: "pstn-calls.sql", directRoutingCalls: "direct-routing-calls.sql" };
const hiveTypes = "{'tenant': VARCHAR, 'year': INTEGER, 'month': INTEGER, 'day': INTEGER}";

/** The DuckDB file of one log. */
export function duckdbLogViewsSql(source: LogSourceName): string {
  const view = logViewNames[source];
  const structure = JSON.stringify(duckdbStructure({ kind: "struct", fields: logRowFields[source] })).replace(/'/g, "''");
  return `-- callrecords-archiver: DuckDB views over the archived ${logSources[source].label} log.
-- Generated from shared/lake/telephonyLogSchema.ts by \`npm run lake\`; edit that, not this file.
--
-- With the archive root set (SET VARIABLE archive = '/path/to/archive'), and once the archive holds
-- this log (DuckDB needs a file to bind the view to):
--   .read lake/duckdb/${logViewFiles[source]}

-- Every archived line of every pass: the tenant folder ('home': the deployment's own tenant; also as
-- tenant_id, the call records views' name for it) and the day as columns, typed fields, and the line
-- itself as raw.
CREATE OR REPLACE VIEW ${view}_raw AS
SELECT ${partitions}, tenant AS tenant_id, r.*, json AS raw, filename AS archiveFile
FROM (
  SELECT *, json_transform(json, '${structure}') AS r
  FROM read_json_objects(getvariable('archive') || '/${logDataGlob(source)}',
    format = 'newline_delimited', hive_partitioning = true, hive_types = ${hiveTypes}, filename = true)
);

-- One row per log row: the last line archived for it (a re-read writes a row again only when Graph's
-- content changed). A row without an id (none has been seen) is its own.
CREATE OR REPLACE VIEW ${view} AS
SELECT * FROM ${view}_raw
QUALIFY row_number() OVER (PARTITION BY ${partitions}, coalesce(id, md5(raw::VARCHAR)) ORDER BY _archive.pass DESC) = 1;
`;
}

/** The Synapse views of both logs, appended to lake/synapse/views.sql (Synapse binds no file at CREATE VIEW). */
export function synapseLogViewsSql(): string {
  return (Object.keys(logViewNames) as LogSourceName[])
    .map((source) => {
      const view = logViewNames[source];
      const fields = logRowFields[source].filter((f) => f.name !== "_archive");
      const withClause = synapseWith(fields, ["[archivePass] NVARCHAR(4000) '$._archive.pass'"], "    ", { scalarsAsText: true });
      const columns = [...fields.map((f) => typedField("j", f)), `${synapseCoerce("integer", "j.[archivePass]")} AS [archivePass]`];
      return `-- Every archived line of the ${logSources[source].label} log: the tenant folder and the day (filepath(1..4)),
-- typed fields, the line as raw.
CREATE OR ALTER VIEW dbo.${view}_raw AS
SELECT f.filepath(1) AS [tenant], f.filepath(1) AS [tenant_id], CAST(f.filepath(2) AS INT) AS [year], CAST(f.filepath(3) AS INT) AS [month],
  CAST(f.filepath(4) AS INT) AS [day], f.filepath() AS archiveFile, f.doc AS raw,
  ${columns.join(",\n  ")}
FROM OPENROWSET(BULK '${logDataGlob(source)}', DATA_SOURCE = 'callrecords_archive',
    FORMAT = 'CSV', FIELDTERMINATOR = '0x0b', FIELDQUOTE = '0x0b', ROWTERMINATOR = '0x0a', DATA_COMPRESSION = 'GZIP')
  WITH (doc NVARCHAR(MAX)) AS f
CROSS APPLY OPENJSON(f.doc) ${withClause} AS j;
GO

-- One row per log row: the last line archived for it.
CREATE OR ALTER VIEW dbo.${view} AS
SELECT * FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY [tenant], [year], [month], [day], COALESCE(id, CONVERT(NVARCHAR(64), HASHBYTES('SHA2_256', raw), 2)) ORDER BY archivePass DESC) AS lineRank
  FROM dbo.${view}_raw
) r
WHERE lineRank = 1;
GO
`;
    })
    .join("\n");
}
