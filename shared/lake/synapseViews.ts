/**
 * The Synapse serverless SQL objects over the raw archive (lake/synapse/views.sql is this text):
 * an external data source read with the workspace's managed identity, and the same views as the
 * DuckDB file, typed by OPENJSON WITH clauses derived from the one schema.
 */
import { callRecordFields, identityKinds, rawDataGlob, streamFields } from "./callRecordSchema.js";
import { fieldsAt, synapseWith } from "./engineSchemas.js";

const partitions = "[year], [month], [day], [hour]";
const callKey = "c.[year], c.[month], c.[day], c.[hour], c.id AS callId, c.version AS callVersion";

/**
 * Seconds of an ISO-8601 duration of the forms Graph sends for jitter and round trips (PT0.016S,
 * PT1M2.5S, PT1H2M3S); NULL for anything else. T-SQL has no regular expressions, hence the cases.
 */
export function synapseDurationSeconds(column: string): string {
  const x = column;
  const after = (mark: string) => `CHARINDEX('${mark}', ${x})`;
  const seconds = `TRY_CAST(SUBSTRING(${x}, ${after("M")} + 1, LEN(${x}) - ${after("M")} - 1) AS FLOAT)`;
  return `CASE
      WHEN ${x} LIKE 'PT%S' AND ${x} NOT LIKE '%[HMD]%' THEN TRY_CAST(SUBSTRING(${x}, 3, LEN(${x}) - 3) AS FLOAT)
      WHEN ${x} LIKE 'PT%M%S' AND ${x} NOT LIKE '%[HD]%' THEN 60 * TRY_CAST(SUBSTRING(${x}, 3, ${after("M")} - 3) AS FLOAT) + ${seconds}
      WHEN ${x} LIKE 'PT%H%M%S' AND ${x} NOT LIKE '%D%' THEN 3600 * TRY_CAST(SUBSTRING(${x}, 3, ${after("H")} - 3) AS FLOAT)
        + 60 * TRY_CAST(SUBSTRING(${x}, ${after("H")} + 1, ${after("M")} - ${after("H")} - 1) AS FLOAT) + ${seconds}
    END`;
}

const streamColumns = Object.entries(streamFields).map(([name, type]) =>
  type.kind === "duration" ? `st.[${name}], ${synapseDurationSeconds(`st.[${name}]`)} AS [${name}Seconds]` : `st.[${name}]`,
);

// IDENTITY is a reserved word in T-SQL: the column is always written [identity] (ScriptDom, in
// test/lake/synapseSql.test.ts, fails on it unbracketed).
const identityExpression = (field: "kind" | "displayName" | "tenantId") =>
  field === "kind"
    ? `CASE ${identityKinds.map((k) => `WHEN JSON_QUERY(p.[identity], '$.${k}') IS NOT NULL THEN '${k}'`).join(" ")} END`
    : `COALESCE(${identityKinds.map((k) => `JSON_VALUE(p.[identity], '$.${k}.${field}')`).join(", ")})`;

export function synapseViewsSql(): string {
  const recordWith = synapseWith(callRecordFields, ["[archivePass] BIGINT '$._archive.pass'"]);
  return `-- callrecords-archiver: Synapse serverless SQL objects over the raw archive.
-- Generated from shared/lake/callRecordSchema.ts by \`npm run lake\`; edit that, not this file.
--
-- One step, in a database of the serverless pool (CREATE DATABASE callrecords first; not master):
--   sqlcmd -S WORKSPACE-ondemand.sql.azuresynapse.net -d callrecords --authentication-method ActiveDirectoryDefault \\
--     -v ArchiveUrl=<ARCHIVE_LAKE_URL output of the deployment> -i lake/synapse/views.sql
-- The workspace's managed identity reads the files: deploy infra/ with archiveReaderPrincipalId set
-- to its object id (Storage Blob Data Reader on the archive container).

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

-- Every archived line, every version: the partition folders as integers (filepath(1..4) are the
-- year, month, day and hour wildcards), typed columns, and the line itself as raw. The wildcard
-- matches data files only: manifests and _SUCCESS.json day markers start with "_".
CREATE OR ALTER VIEW dbo.callrecords_raw AS
SELECT CAST(f.filepath(1) AS INT) AS [year], CAST(f.filepath(2) AS INT) AS [month],
  CAST(f.filepath(3) AS INT) AS [day], CAST(f.filepath(4) AS INT) AS [hour],
  f.filepath() AS archiveFile, f.doc AS raw, j.*
FROM OPENROWSET(BULK '${rawDataGlob}', DATA_SOURCE = 'callrecords_archive',
    FORMAT = 'CSV', FIELDTERMINATOR = '0x0b', FIELDQUOTE = '0x0b', ROWTERMINATOR = '0x0a', DATA_COMPRESSION = 'GZIP')
  WITH (doc NVARCHAR(MAX)) AS f
CROSS APPLY OPENJSON(f.doc) ${recordWith} AS j;
GO

-- One row per call, its latest archived version. Partitioned by the partition columns too, so a
-- filter on them still eliminates folders.
CREATE OR ALTER VIEW dbo.callrecords_latest AS
SELECT * FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY ${partitions}, id ORDER BY version DESC, archivePass DESC) AS versionRank
  FROM dbo.callrecords_raw
) r
WHERE versionRank = 1;
GO

CREATE OR ALTER VIEW dbo.callrecord_sessions AS
SELECT ${callKey}, s.id AS sessionId, s.modalities, s.startDateTime, s.endDateTime, s.isTest,
  s.caller, s.callee, s.failureInfo, s.segments
FROM dbo.callrecords_latest c
CROSS APPLY OPENJSON(c.sessions) ${synapseWith(fieldsAt(callRecordFields, "sessions"))} AS s;
GO

CREATE OR ALTER VIEW dbo.callrecord_segments AS
SELECT ${partitions}, callId, callVersion, sessionId, g.id AS segmentId, g.startDateTime, g.endDateTime,
  g.caller, g.callee, g.failureInfo, g.media
FROM dbo.callrecord_sessions ss
CROSS APPLY OPENJSON(ss.segments) ${synapseWith(fieldsAt(callRecordFields, "sessions.segments"))} AS g;
GO

-- One row per media stream, durations also as seconds (averageJitterSeconds, …).
CREATE OR ALTER VIEW dbo.callrecord_streams AS
SELECT ${partitions}, callId, callVersion, sessionId, segmentId, m.label AS mediaLabel,
  ${streamColumns.join(",\n  ")}
FROM dbo.callrecord_segments sg
CROSS APPLY OPENJSON(sg.media) ${synapseWith(fieldsAt(callRecordFields, "sessions.segments.media"))} AS m
CROSS APPLY OPENJSON(m.streams) ${synapseWith(fieldsAt(callRecordFields, "sessions.segments.media.streams"))} AS st;
GO

-- One row per participant: users, guests, phone numbers, … (kind says which). Records archived
-- before 2026-06-30 have no participants_v2 but a participants list of identity sets; source says which.
CREATE OR ALTER VIEW dbo.callrecord_participants AS
SELECT ${callKey}, p.id AS participantId,
  ${identityExpression("kind")} AS kind,
  ${identityExpression("displayName")} AS displayName,
  ${identityExpression("tenantId")} AS tenantId,
  JSON_VALUE(p.[identity], '$.user.userPrincipalName') AS userPrincipalName,
  p.source
FROM dbo.callrecords_latest c
CROSS APPLY OPENJSON(COALESCE(c.participants_v2, c.participants)) WITH (
    [id] NVARCHAR(4000) '$.id',
    [identity] NVARCHAR(MAX) '$.identity' AS JSON,
    [identitySet] NVARCHAR(MAX) '$' AS JSON
  ) AS e
CROSS APPLY (
  SELECT
    CASE WHEN c.participants_v2 IS NOT NULL THEN e.[id] ELSE COALESCE(${identityKinds.map((k) => `JSON_VALUE(e.identitySet, '$.${k}.id')`).join(", ")}) END AS id,
    CASE WHEN c.participants_v2 IS NOT NULL THEN e.[identity] ELSE e.identitySet END AS [identity],
    CASE WHEN c.participants_v2 IS NOT NULL THEN 'participants_v2' ELSE 'participants' END AS source
) AS p;
GO
`;
}
