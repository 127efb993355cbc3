/**
 * The Synapse serverless SQL objects over the raw archive (lake/synapse/views.sql is this text):
 * an external data source read with the workspace's managed identity, and the same views as the
 * DuckDB file. OPENJSON reads every scalar as text and the coercion rule (coercion.ts) types it
 * here with TRY_CAST: a typed WITH column fails the whole query on one odd value (a fractional
 * bandwidth estimate in a BIGINT), where DuckDB and the curated writer give a value or NULL.
 */
import { type Field, callRecordFields, identityKinds, rawDataGlob, tenantsDataGlob } from "./callRecordSchema.js";
import { fieldsAt, synapseJsonPath, synapseWith } from "./engineSchemas.js";
import { type FlatColumn, type FlatRule, legColumns, ruleOf, streamColumns } from "./flatColumns.js";

const partitions = "[tenant_id], [year], [month], [day], [hour]";
const callKey = "c.[tenant_id], c.[year], c.[month], c.[day], c.[hour], c.id AS callId, c.version AS callVersion";

/** Nearest integer, ties to even (coercion.ts roundHalfEven), of a FLOAT expression. */
const roundHalfEven = (f: string) => `CASE WHEN ${f} - FLOOR(${f}) = 0.5 THEN 2 * ROUND(${f} / 2, 0) ELSE ROUND(${f}, 0) END`;

/** A text expression typed by one coercion rule, as the curated writer types it. */
export function synapseCoerce(rule: Exclude<FlatRule, "seconds">, x: string): string {
  const f = `TRY_CAST(${x} AS FLOAT)`;
  switch (rule) {
    case "text":
      return x;
    case "double":
      return f;
    case "integer":
      return `COALESCE(TRY_CAST(${x} AS BIGINT), CASE WHEN ABS(${f}) < 9.2E18 THEN CAST(${roundHalfEven(f)} AS BIGINT) END)`;
    case "boolean":
      return `CASE WHEN LOWER(LTRIM(RTRIM(${x}))) = 'true' THEN CAST(1 AS BIT) WHEN LOWER(LTRIM(RTRIM(${x}))) = 'false' THEN CAST(0 AS BIT)
      WHEN ${f} IS NOT NULL THEN CAST(CASE WHEN ${f} = 0 THEN 0 ELSE 1 END AS BIT) END`;
    case "timestamp":
      // To UTC at 100 ns; years a nanosecond timestamp cannot hold (.NET's 0001-01-01 "not set") are NULL.
      return `CASE WHEN LEFT(${x}, 4) BETWEEN '1678' AND '2261' AND ${x} LIKE '[12][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T%'
      THEN CAST(SWITCHOFFSET(TRY_CAST(${x} AS DATETIMEOFFSET(7)), '+00:00') AS DATETIME2(7)) END`;
  }
}

/** A schema field of one level, typed from the WITH clause's text column. */
export const typedField = (alias: string, field: Field): string => {
  const rule = ruleOf(field.type);
  const nested = field.type.kind === "struct" || field.type.kind === "list";
  // A duration stays ISO-8601 text, as in DuckDB; its seconds are a column of their own.
  return nested || rule === "seconds" ? `${alias}.[${field.name}]` : `${synapseCoerce(rule, `${alias}.[${field.name}]`)} AS [${field.name}]`;
};

/** A flat column read from its level's own text column (a stream's field, a session's span). */
const ownFlatColumn = (alias: string, column: FlatColumn): string => {
  // A duration's seconds come from dbo.iso_duration_seconds, applied where the view reads it.
  if (column.rule === "seconds") throw new Error(`${column.name} is a duration: read it with dbo.iso_duration_seconds`);
  return `${synapseCoerce(column.rule, `${alias}.[${column.path[0] ?? ""}]`)} AS [${column.name}]`;
};

/** A flat column read from a JSON column by path (an endpoint inside a session's caller). */
const jsonFlatColumn = (json: string, column: FlatColumn): string => {
  const value = `JSON_VALUE(${json}, '${synapseJsonPath(column.path.slice(1))}')`;
  return `${column.rule === "seconds" ? "NULL" : synapseCoerce(column.rule, value)} AS [${column.name}]`;
};

const identityKindCase = (json: string) => `CASE ${identityKinds.map((k) => `WHEN JSON_QUERY(${json}, '$.${k}') IS NOT NULL THEN '${k}'`).join(" ")} END`;
const identityValue = (json: string, field: string) => `COALESCE(${identityKinds.map((k) => `JSON_VALUE(${json}, '$.${k}.${field}')`).join(", ")})`;

/** The user at an endpoint (JSON text): associatedIdentity since 2026-06-30, the identity set's before. */
const endpointUserId = (endpoint: string) => `COALESCE(JSON_VALUE(${endpoint}, '$.associatedIdentity.id'), ${identityValue(`JSON_QUERY(${endpoint}, '$.identity')`, "id")})`;

/** A leg's flat columns, as the curated sessions and segments tables have them (span columns aside). */
const legSelect = (alias: string) =>
  [
    ...legColumns.filter((c) => c.path.length > 1).map((c) => jsonFlatColumn(`${alias}.[${c.path[0] ?? ""}]`, c)),
    `${endpointUserId(`${alias}.caller`)} AS callerUserId`,
    `${endpointUserId(`${alias}.callee`)} AS calleeUserId`,
  ].join(",\n  ");

const streamFieldsAt = fieldsAt(callRecordFields, "sessions.segments.media.streams");
const streamSelect = streamColumns.map((c, i) => (c.rule === "seconds" ? `st.[${c.path[0] ?? ""}], d${i}.seconds AS [${c.name}]` : ownFlatColumn("st", c)));
/** A leg's span (startDateTime, endDateTime), typed as the curated tables type it. */
const spanSelect = (alias: string) => legColumns.filter((c) => c.path.length === 1).map((c) => ownFlatColumn(alias, c)).join(", ");
const streamDurations = streamColumns.flatMap((c, i) => (c.rule === "seconds" ? [`OUTER APPLY dbo.iso_duration_seconds(st.[${c.path[0] ?? ""}]) AS d${i}`] : []));

// IDENTITY is a reserved word in T-SQL: the column is always written [identity] (ScriptDom, in
// test/lake/synapseSql.test.ts, fails on it unbracketed).
const sessionFields = fieldsAt(callRecordFields, "sessions");
const segmentFields = fieldsAt(callRecordFields, "sessions.segments");
const textWith = (fields: readonly Field[], extra: readonly string[] = []) => synapseWith(fields, extra, "    ", { scalarsAsText: true });

/** One archive line's OPENJSON WITH clause and its typed columns. */
const recordParts = () => ({
  recordWith: textWith(callRecordFields, ["[archivePass] NVARCHAR(4000) '$._archive.pass'", "[archiveIncomplete] NVARCHAR(4000) '$._archive.incomplete.reason'"]),
  recordColumns: [...callRecordFields.map((f) => typedField("j", f)), `${synapseCoerce("integer", "j.[archivePass]")} AS [archivePass]`, "j.[archiveIncomplete] AS [archiveIncomplete]"],
});

/**
 * Every line below a glob: the home tenant's (`home`; filepath(1..4) the year, month, day and hour
 * folders), or the other tenants' (filepath(1) the tenant's folder, then the same four).
 */
const rawLines = (glob: string, tenantFolder: boolean) => {
  const { recordWith, recordColumns } = recordParts();
  const path = (n: number) => `f.filepath(${n + (tenantFolder ? 1 : 0)})`;
  const tenant = tenantFolder ? "CAST(f.filepath(1) AS VARCHAR(36))" : "CAST('home' AS VARCHAR(36))";
  return `SELECT ${tenant} AS [tenant_id], CAST(${path(1)} AS INT) AS [year], CAST(${path(2)} AS INT) AS [month],
  CAST(${path(3)} AS INT) AS [day], CAST(${path(4)} AS INT) AS [hour],
  f.filepath() AS archiveFile, f.doc AS raw,
  ${recordColumns.join(",\n  ")}
FROM OPENROWSET(BULK '${glob}', DATA_SOURCE = 'callrecords_archive',
    FORMAT = 'CSV', FIELDTERMINATOR = '0x0b', FIELDQUOTE = '0x0b', ROWTERMINATOR = '0x0a', DATA_COMPRESSION = 'GZIP')
  WITH (doc NVARCHAR(MAX)) AS f
CROSS APPLY OPENJSON(f.doc) ${recordWith} AS j`;
};

/** The home tenant's lines: the archive's first layout. */
const homeLines = () => rawLines(rawDataGlob, false);

/**
 * lake/synapse/tenants.sql: callrecords_raw again, the other tenants' lines (filepath(1) is the
 * tenant's folder) beside the home tenant's; run after views.sql once the archive holds another
 * tenant, so a single-tenant archive's views never name a folder it does not have.
 */
export function synapseTenantsSql(): string {
  return `-- callrecords-archiver: Synapse serverless SQL views over an archive that holds other tenants too.
-- Generated from shared/lake/callRecordSchema.ts by \`npm run lake\`; edit that, not this file.
-- Run after views.sql, in the same database, once the archive holds a callrecords/v1/tenant=<id>/ folder.

CREATE OR ALTER VIEW dbo.callrecords_raw AS
${homeLines()}
UNION ALL
${rawLines(tenantsDataGlob, true)};
GO
`;
}


export function synapseViewsSql(): string {
  return `-- callrecords-archiver: Synapse serverless SQL objects over the raw archive.
-- Generated from shared/lake/callRecordSchema.ts by \`npm run lake\`; edit that, not this file.
--
-- One step, in a database of the serverless pool (CREATE DATABASE callrecords first; not master):
--   sqlcmd -S WORKSPACE-ondemand.sql.azuresynapse.net -d callrecords --authentication-method ActiveDirectoryDefault \\
--     -v ArchiveUrl=<ARCHIVE_LAKE_URL output of the deployment> -i lake/synapse/views.sql
-- The workspace's managed identity reads the files: deploy infra/ with archiveReaderPrincipalId set
-- to its object id (Storage Blob Data Reader on the archive container).
--
-- Every value is read as text and typed by one rule, the same as DuckDB's views and the curated
-- tables: numbers given as strings are numbers, fractional integers round (ties to even), ids given
-- as numbers are their text, instants outside 1678-2261 (0001-01-01 "not set") are NULL.

-- A master key protects the credential; its password is random and never needed again.
IF NOT EXISTS (SELECT * FROM sys.symmetric_keys WHERE name = '##MS_DatabaseMasterKey##')
BEGIN
  DECLARE @password NVARCHAR(100) = CONVERT(NVARCHAR(36), NEWID()) + N'Aa1!' + CONVERT(NVARCHAR(36), NEWID());
  EXEC (N'CREATE MASTER KEY ENCRYPTION BY PASSWORD = ''' + @password + N'''');
END
GO
IF NOT EXISTS (SELECT * FROM sys.database_scoped_credentials WHERE name = 'callrecords_workspace_identity')
  CREATE DATABASE SCOPED CREDENTIAL callrecords_workspace_identity WITH IDENTITY = 'Managed Identity';
GO
IF NOT EXISTS (SELECT * FROM sys.external_data_sources WHERE name = 'callrecords_archive')
  CREATE EXTERNAL DATA SOURCE callrecords_archive
  WITH (LOCATION = '$(ArchiveUrl)', CREDENTIAL = callrecords_workspace_identity);
GO

-- ISO-8601 duration (PT0.016S, PT1M2.5S, PT1H, P1DT2H) to seconds; NULL for anything else. An inline
-- table-valued function (the kind serverless SQL pools run), used with OUTER APPLY.
CREATE OR ALTER FUNCTION dbo.iso_duration_seconds(@d NVARCHAR(4000))
RETURNS TABLE
AS RETURN
SELECT CASE
    WHEN @d LIKE 'P%' AND @d <> 'P' AND @d NOT LIKE '%T' AND @d NOT LIKE '%[^0-9.PTDHMS]%' AND @d NOT LIKE '%[PTDHM][DHMS]%'
      AND (t.at = 0 OR d.at < t.at) AND (t.at > 0 OR @d NOT LIKE '%[HMS]%')
    THEN CASE WHEN d.at > 0 THEN TRY_CAST(SUBSTRING(@d, 2, d.at - 2) AS FLOAT) ELSE 0 END * 86400
      + CASE WHEN h.at > 0 THEN TRY_CAST(LEFT(t.part, h.at - 1) AS FLOAT) ELSE 0 END * 3600
      + CASE WHEN m.at > 0 THEN TRY_CAST(LEFT(h.rest, m.at - 1) AS FLOAT) ELSE 0 END * 60
      + CASE WHEN m.rest = '' THEN 0 WHEN m.rest LIKE '%S' THEN TRY_CAST(LEFT(m.rest, LEN(m.rest) - 1) AS FLOAT) END
  END AS seconds
FROM (SELECT CHARINDEX('D', @d) AS at) AS d
CROSS APPLY (SELECT CHARINDEX('T', @d) AS at, CASE WHEN CHARINDEX('T', @d) > 0 THEN SUBSTRING(@d, CHARINDEX('T', @d) + 1, 4000) ELSE '' END AS part) AS t
CROSS APPLY (SELECT CHARINDEX('H', t.part) AS at, SUBSTRING(t.part, CHARINDEX('H', t.part) + 1, 4000) AS rest) AS h
CROSS APPLY (SELECT CHARINDEX('M', h.rest) AS at, SUBSTRING(h.rest, CHARINDEX('M', h.rest) + 1, 4000) AS rest) AS m;
GO

-- Every archived line, every version: whose (tenant_id: 'home', or another tenant's id once
-- tenants.sql has run), the partition folders as integers (filepath(1..4) are the year, month, day
-- and hour wildcards), typed columns, and the line itself as raw. The wildcard matches data files
-- only: manifests and _SUCCESS.json day markers start with "_".
CREATE OR ALTER VIEW dbo.callrecords_raw AS
${homeLines()};
GO

-- One row per call, its latest archived version. Partitioned by the partition columns too, so a
-- filter on them still eliminates folders.
CREATE OR ALTER VIEW dbo.callrecords_latest AS
SELECT * FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY ${partitions}, id ORDER BY version DESC, CASE WHEN archiveIncomplete IS NULL THEN 1 ELSE 0 END DESC, archivePass DESC) AS versionRank
  FROM dbo.callrecords_raw
) r
WHERE versionRank = 1;
GO

-- Sessions and segments: the whole caller and callee as JSON, and their fields flattened as the
-- curated tables have them (callerEndpointType tells a participant from a service endpoint).
CREATE OR ALTER VIEW dbo.callrecord_sessions AS
SELECT ${callKey}, s.id AS sessionId, s.modalities, ${spanSelect("s")},
  ${synapseCoerce("boolean", "s.[isTest]")} AS [isTest], s.caller, s.callee, s.failureInfo, s.segments,
  ${legSelect("s")}
FROM dbo.callrecords_latest c
CROSS APPLY OPENJSON(c.sessions) ${textWith(sessionFields)} AS s;
GO

CREATE OR ALTER VIEW dbo.callrecord_segments AS
SELECT ${partitions}, callId, callVersion, sessionId, g.id AS segmentId, ${spanSelect("g")},
  g.caller, g.callee, g.failureInfo, g.media,
  ${legSelect("g")}
FROM dbo.callrecord_sessions ss
CROSS APPLY OPENJSON(ss.segments) ${textWith(segmentFields)} AS g;
GO

-- One row per media stream, durations also as seconds (averageJitterSeconds, …).
CREATE OR ALTER VIEW dbo.callrecord_streams AS
SELECT ${partitions}, callId, callVersion, sessionId, segmentId, m.label AS mediaLabel,
  ${streamSelect.join(",\n  ")}
FROM dbo.callrecord_segments sg
CROSS APPLY OPENJSON(sg.media) ${textWith(fieldsAt(callRecordFields, "sessions.segments.media"))} AS m
CROSS APPLY OPENJSON(m.streams) ${textWith(streamFieldsAt)} AS st
${streamDurations.join("\n")};
GO

-- One row per participant: users, guests, phone numbers, … (kind says which). source says where the
-- row comes from: participants_v2; participants (records archived before 2026-06-30); or sessions,
-- for a caller or callee the list lacks (Graph documents participants_v2 as possibly incomplete).
CREATE OR ALTER VIEW dbo.callrecord_participants AS
SELECT [tenant_id], [year], [month], [day], [hour], callId, callVersion, p.id AS participantId,
  ${identityKindCase("p.[identity]")} AS kind,
  ${identityValue("p.[identity]", "displayName")} AS displayName,
  ${identityValue("p.[identity]", "tenantId")} AS tenantId,
  JSON_VALUE(p.[identity], '$.user.userPrincipalName') AS userPrincipalName,
  p.source
FROM (
  SELECT ${callKey}, l.id, l.[identity], l.source
  FROM dbo.callrecords_latest c
  CROSS APPLY OPENJSON(COALESCE(c.participants_v2, c.participants)) WITH (
      [id] NVARCHAR(4000) '$.id',
      [identity] NVARCHAR(MAX) '$.identity' AS JSON,
      [identitySet] NVARCHAR(MAX) '$' AS JSON
    ) AS e
  CROSS APPLY (
    SELECT
      CASE WHEN c.participants_v2 IS NOT NULL THEN e.[id] ELSE ${identityValue("e.identitySet", "id")} END AS id,
      CASE WHEN c.participants_v2 IS NOT NULL THEN e.[identity] ELSE e.identitySet END AS [identity],
      CASE WHEN c.participants_v2 IS NOT NULL THEN 'participants_v2' ELSE 'participants' END AS source
  ) AS l
  UNION ALL
  -- Each session's caller, then callee, in order; an id already listed, or seen earlier, is skipped.
  SELECT [tenant_id], [year], [month], [day], [hour], callId, callVersion, id, [identity], 'sessions'
  FROM (
    SELECT ${callKey}, ep.id, ep.[identity], c.participants_v2, c.participants,
      ROW_NUMBER() OVER (PARTITION BY c.[tenant_id], c.[year], c.[month], c.[day], c.[hour], c.id, ep.id ORDER BY CAST(s.[key] AS INT), ep.side) AS seen
    FROM dbo.callrecords_latest c
    CROSS APPLY OPENJSON(c.sessions) AS s
    CROSS APPLY (VALUES (0, JSON_QUERY(s.value, '$.caller')), (1, JSON_QUERY(s.value, '$.callee'))) AS side(side, endpoint)
    CROSS APPLY (
      SELECT side.side, ${endpointUserId("side.endpoint")} AS id,
        CASE WHEN JSON_VALUE(side.endpoint, '$.associatedIdentity.id') IS NOT NULL
          THEN JSON_MODIFY('{}', '$.user', JSON_QUERY(side.endpoint, '$.associatedIdentity'))
          ELSE JSON_QUERY(side.endpoint, '$.identity') END AS [identity]
    ) AS ep
    WHERE ep.id IS NOT NULL
  ) AS fromSessions
  WHERE seen = 1 AND NOT EXISTS (
    SELECT 1 FROM OPENJSON(COALESCE(fromSessions.participants_v2, fromSessions.participants)) AS listed
    WHERE COALESCE(JSON_VALUE(listed.value, '$.id'), ${identityValue("listed.value", "id")}) = fromSessions.id
  )
) AS p;
GO
`;
}
