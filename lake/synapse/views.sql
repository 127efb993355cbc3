-- callrecords-archiver: Synapse serverless SQL objects over the raw archive.
-- Generated from shared/lake/callRecordSchema.ts by `npm run lake`; edit that, not this file.
--
-- One step, in a database of the serverless pool (CREATE DATABASE callrecords first; not master):
--   sqlcmd -S WORKSPACE-ondemand.sql.azuresynapse.net -d callrecords --authentication-method ActiveDirectoryDefault \
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
SELECT CAST('home' AS VARCHAR(36)) AS [tenant_id], CAST(f.filepath(1) AS INT) AS [year], CAST(f.filepath(2) AS INT) AS [month],
  CAST(f.filepath(3) AS INT) AS [day], CAST(f.filepath(4) AS INT) AS [hour],
  f.filepath() AS archiveFile, f.doc AS raw,
  j.[id] AS [id],
  COALESCE(TRY_CAST(j.[version] AS BIGINT), CASE WHEN ABS(TRY_CAST(j.[version] AS FLOAT)) < 9.2E18 THEN CAST(CASE WHEN TRY_CAST(j.[version] AS FLOAT) - FLOOR(TRY_CAST(j.[version] AS FLOAT)) = 0.5 THEN 2 * ROUND(TRY_CAST(j.[version] AS FLOAT) / 2, 0) ELSE ROUND(TRY_CAST(j.[version] AS FLOAT), 0) END AS BIGINT) END) AS [version],
  j.[type] AS [type],
  j.[modalities],
  CASE WHEN LEFT(j.[lastModifiedDateTime], 4) BETWEEN '1678' AND '2261' AND j.[lastModifiedDateTime] LIKE '[12][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T%'
      THEN CAST(SWITCHOFFSET(TRY_CAST(j.[lastModifiedDateTime] AS DATETIMEOFFSET(7)), '+00:00') AS DATETIME2(7)) END AS [lastModifiedDateTime],
  CASE WHEN LEFT(j.[startDateTime], 4) BETWEEN '1678' AND '2261' AND j.[startDateTime] LIKE '[12][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T%'
      THEN CAST(SWITCHOFFSET(TRY_CAST(j.[startDateTime] AS DATETIMEOFFSET(7)), '+00:00') AS DATETIME2(7)) END AS [startDateTime],
  CASE WHEN LEFT(j.[endDateTime], 4) BETWEEN '1678' AND '2261' AND j.[endDateTime] LIKE '[12][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T%'
      THEN CAST(SWITCHOFFSET(TRY_CAST(j.[endDateTime] AS DATETIMEOFFSET(7)), '+00:00') AS DATETIME2(7)) END AS [endDateTime],
  j.[joinWebUrl] AS [joinWebUrl],
  j.[organizer_v2],
  j.[organizer],
  j.[sessions],
  j.[participants_v2],
  j.[participants],
  j.[_archive],
  COALESCE(TRY_CAST(j.[archivePass] AS BIGINT), CASE WHEN ABS(TRY_CAST(j.[archivePass] AS FLOAT)) < 9.2E18 THEN CAST(CASE WHEN TRY_CAST(j.[archivePass] AS FLOAT) - FLOOR(TRY_CAST(j.[archivePass] AS FLOAT)) = 0.5 THEN 2 * ROUND(TRY_CAST(j.[archivePass] AS FLOAT) / 2, 0) ELSE ROUND(TRY_CAST(j.[archivePass] AS FLOAT), 0) END AS BIGINT) END) AS [archivePass],
  j.[archiveIncomplete] AS [archiveIncomplete]
FROM OPENROWSET(BULK 'callrecords/v1/year=*/month=*/day=*/hour=*/*.jsonl.gz', DATA_SOURCE = 'callrecords_archive',
    FORMAT = 'CSV', FIELDTERMINATOR = '0x0b', FIELDQUOTE = '0x0b', ROWTERMINATOR = '0x0a', DATA_COMPRESSION = 'GZIP')
  WITH (doc NVARCHAR(MAX)) AS f
CROSS APPLY OPENJSON(f.doc) WITH (
    [id] NVARCHAR(4000) '$.id',
    [version] NVARCHAR(4000) '$.version',
    [type] NVARCHAR(4000) '$.type',
    [modalities] NVARCHAR(MAX) '$.modalities' AS JSON,
    [lastModifiedDateTime] NVARCHAR(4000) '$.lastModifiedDateTime',
    [startDateTime] NVARCHAR(4000) '$.startDateTime',
    [endDateTime] NVARCHAR(4000) '$.endDateTime',
    [joinWebUrl] NVARCHAR(4000) '$.joinWebUrl',
    [organizer_v2] NVARCHAR(MAX) '$.organizer_v2' AS JSON,
    [organizer] NVARCHAR(MAX) '$.organizer' AS JSON,
    [sessions] NVARCHAR(MAX) '$.sessions' AS JSON,
    [participants_v2] NVARCHAR(MAX) '$.participants_v2' AS JSON,
    [participants] NVARCHAR(MAX) '$.participants' AS JSON,
    [_archive] NVARCHAR(MAX) '$._archive' AS JSON,
    [archivePass] NVARCHAR(4000) '$._archive.pass',
    [archiveIncomplete] NVARCHAR(4000) '$._archive.incomplete.reason'
  ) AS j;
GO

-- One row per call, its latest archived version. Partitioned by the partition columns too, so a
-- filter on them still eliminates folders.
CREATE OR ALTER VIEW dbo.callrecords_latest AS
SELECT * FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY [tenant_id], [year], [month], [day], [hour], id ORDER BY version DESC, CASE WHEN archiveIncomplete IS NULL THEN 1 ELSE 0 END DESC, archivePass DESC) AS versionRank
  FROM dbo.callrecords_raw
) r
WHERE versionRank = 1;
GO

-- Sessions and segments: the whole caller and callee as JSON, and their fields flattened as the
-- curated tables have them (callerEndpointType tells a participant from a service endpoint).
CREATE OR ALTER VIEW dbo.callrecord_sessions AS
SELECT c.[tenant_id], c.[year], c.[month], c.[day], c.[hour], c.id AS callId, c.version AS callVersion, s.id AS sessionId, s.modalities, CASE WHEN LEFT(s.[startDateTime], 4) BETWEEN '1678' AND '2261' AND s.[startDateTime] LIKE '[12][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T%'
      THEN CAST(SWITCHOFFSET(TRY_CAST(s.[startDateTime] AS DATETIMEOFFSET(7)), '+00:00') AS DATETIME2(7)) END AS [startDateTime], CASE WHEN LEFT(s.[endDateTime], 4) BETWEEN '1678' AND '2261' AND s.[endDateTime] LIKE '[12][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T%'
      THEN CAST(SWITCHOFFSET(TRY_CAST(s.[endDateTime] AS DATETIMEOFFSET(7)), '+00:00') AS DATETIME2(7)) END AS [endDateTime],
  CASE WHEN LOWER(LTRIM(RTRIM(s.[isTest]))) = 'true' THEN CAST(1 AS BIT) WHEN LOWER(LTRIM(RTRIM(s.[isTest]))) = 'false' THEN CAST(0 AS BIT)
      WHEN TRY_CAST(s.[isTest] AS FLOAT) IS NOT NULL THEN CAST(CASE WHEN TRY_CAST(s.[isTest] AS FLOAT) = 0 THEN 0 ELSE 1 END AS BIT) END AS [isTest], s.caller, s.callee, s.failureInfo, s.segments,
  JSON_VALUE(s.[caller], '$."@odata.type"') AS [callerEndpointType],
  JSON_VALUE(s.[caller], '$.name') AS [callerName],
  JSON_VALUE(s.[caller], '$.userAgent.platform') AS [callerPlatform],
  JSON_VALUE(s.[caller], '$.userAgent.productFamily') AS [callerProductFamily],
  JSON_VALUE(s.[caller], '$.userAgent.applicationVersion') AS [callerApplicationVersion],
  JSON_VALUE(s.[caller], '$.userAgent.role') AS [callerServiceRole],
  JSON_VALUE(s.[caller], '$.cpuName') AS [callerCpuName],
  COALESCE(TRY_CAST(JSON_VALUE(s.[caller], '$.cpuCoresCount') AS BIGINT), CASE WHEN ABS(TRY_CAST(JSON_VALUE(s.[caller], '$.cpuCoresCount') AS FLOAT)) < 9.2E18 THEN CAST(CASE WHEN TRY_CAST(JSON_VALUE(s.[caller], '$.cpuCoresCount') AS FLOAT) - FLOOR(TRY_CAST(JSON_VALUE(s.[caller], '$.cpuCoresCount') AS FLOAT)) = 0.5 THEN 2 * ROUND(TRY_CAST(JSON_VALUE(s.[caller], '$.cpuCoresCount') AS FLOAT) / 2, 0) ELSE ROUND(TRY_CAST(JSON_VALUE(s.[caller], '$.cpuCoresCount') AS FLOAT), 0) END AS BIGINT) END) AS [callerCpuCoresCount],
  COALESCE(TRY_CAST(JSON_VALUE(s.[caller], '$.cpuProcessorSpeedInMhz') AS BIGINT), CASE WHEN ABS(TRY_CAST(JSON_VALUE(s.[caller], '$.cpuProcessorSpeedInMhz') AS FLOAT)) < 9.2E18 THEN CAST(CASE WHEN TRY_CAST(JSON_VALUE(s.[caller], '$.cpuProcessorSpeedInMhz') AS FLOAT) - FLOOR(TRY_CAST(JSON_VALUE(s.[caller], '$.cpuProcessorSpeedInMhz') AS FLOAT)) = 0.5 THEN 2 * ROUND(TRY_CAST(JSON_VALUE(s.[caller], '$.cpuProcessorSpeedInMhz') AS FLOAT) / 2, 0) ELSE ROUND(TRY_CAST(JSON_VALUE(s.[caller], '$.cpuProcessorSpeedInMhz') AS FLOAT), 0) END AS BIGINT) END) AS [callerCpuProcessorSpeedInMhz],
  JSON_VALUE(s.[caller], '$.feedback.rating') AS [callerFeedbackRating],
  JSON_VALUE(s.[caller], '$.feedback.text') AS [callerFeedbackText],
  JSON_VALUE(s.[callee], '$."@odata.type"') AS [calleeEndpointType],
  JSON_VALUE(s.[callee], '$.name') AS [calleeName],
  JSON_VALUE(s.[callee], '$.userAgent.platform') AS [calleePlatform],
  JSON_VALUE(s.[callee], '$.userAgent.productFamily') AS [calleeProductFamily],
  JSON_VALUE(s.[callee], '$.userAgent.applicationVersion') AS [calleeApplicationVersion],
  JSON_VALUE(s.[callee], '$.userAgent.role') AS [calleeServiceRole],
  JSON_VALUE(s.[callee], '$.cpuName') AS [calleeCpuName],
  COALESCE(TRY_CAST(JSON_VALUE(s.[callee], '$.cpuCoresCount') AS BIGINT), CASE WHEN ABS(TRY_CAST(JSON_VALUE(s.[callee], '$.cpuCoresCount') AS FLOAT)) < 9.2E18 THEN CAST(CASE WHEN TRY_CAST(JSON_VALUE(s.[callee], '$.cpuCoresCount') AS FLOAT) - FLOOR(TRY_CAST(JSON_VALUE(s.[callee], '$.cpuCoresCount') AS FLOAT)) = 0.5 THEN 2 * ROUND(TRY_CAST(JSON_VALUE(s.[callee], '$.cpuCoresCount') AS FLOAT) / 2, 0) ELSE ROUND(TRY_CAST(JSON_VALUE(s.[callee], '$.cpuCoresCount') AS FLOAT), 0) END AS BIGINT) END) AS [calleeCpuCoresCount],
  COALESCE(TRY_CAST(JSON_VALUE(s.[callee], '$.cpuProcessorSpeedInMhz') AS BIGINT), CASE WHEN ABS(TRY_CAST(JSON_VALUE(s.[callee], '$.cpuProcessorSpeedInMhz') AS FLOAT)) < 9.2E18 THEN CAST(CASE WHEN TRY_CAST(JSON_VALUE(s.[callee], '$.cpuProcessorSpeedInMhz') AS FLOAT) - FLOOR(TRY_CAST(JSON_VALUE(s.[callee], '$.cpuProcessorSpeedInMhz') AS FLOAT)) = 0.5 THEN 2 * ROUND(TRY_CAST(JSON_VALUE(s.[callee], '$.cpuProcessorSpeedInMhz') AS FLOAT) / 2, 0) ELSE ROUND(TRY_CAST(JSON_VALUE(s.[callee], '$.cpuProcessorSpeedInMhz') AS FLOAT), 0) END AS BIGINT) END) AS [calleeCpuProcessorSpeedInMhz],
  JSON_VALUE(s.[callee], '$.feedback.rating') AS [calleeFeedbackRating],
  JSON_VALUE(s.[callee], '$.feedback.text') AS [calleeFeedbackText],
  JSON_VALUE(s.[failureInfo], '$.stage') AS [failureStage],
  JSON_VALUE(s.[failureInfo], '$.reason') AS [failureReason],
  COALESCE(JSON_VALUE(s.caller, '$.associatedIdentity.id'), COALESCE(JSON_VALUE(JSON_QUERY(s.caller, '$.identity'), '$.user.id'), JSON_VALUE(JSON_QUERY(s.caller, '$.identity'), '$.guest.id'), JSON_VALUE(JSON_QUERY(s.caller, '$.identity'), '$.phone.id'), JSON_VALUE(JSON_QUERY(s.caller, '$.identity'), '$.acsUser.id'), JSON_VALUE(JSON_QUERY(s.caller, '$.identity'), '$.spoolUser.id'), JSON_VALUE(JSON_QUERY(s.caller, '$.identity'), '$.azureCommunicationServicesUser.id'), JSON_VALUE(JSON_QUERY(s.caller, '$.identity'), '$.application.id'), JSON_VALUE(JSON_QUERY(s.caller, '$.identity'), '$.applicationInstance.id'), JSON_VALUE(JSON_QUERY(s.caller, '$.identity'), '$.acsApplicationInstance.id'), JSON_VALUE(JSON_QUERY(s.caller, '$.identity'), '$.spoolApplicationInstance.id'), JSON_VALUE(JSON_QUERY(s.caller, '$.identity'), '$.assertedIdentity.id'), JSON_VALUE(JSON_QUERY(s.caller, '$.identity'), '$.device.id'), JSON_VALUE(JSON_QUERY(s.caller, '$.identity'), '$.encrypted.id'), JSON_VALUE(JSON_QUERY(s.caller, '$.identity'), '$.onPremises.id'))) AS callerUserId,
  COALESCE(JSON_VALUE(s.callee, '$.associatedIdentity.id'), COALESCE(JSON_VALUE(JSON_QUERY(s.callee, '$.identity'), '$.user.id'), JSON_VALUE(JSON_QUERY(s.callee, '$.identity'), '$.guest.id'), JSON_VALUE(JSON_QUERY(s.callee, '$.identity'), '$.phone.id'), JSON_VALUE(JSON_QUERY(s.callee, '$.identity'), '$.acsUser.id'), JSON_VALUE(JSON_QUERY(s.callee, '$.identity'), '$.spoolUser.id'), JSON_VALUE(JSON_QUERY(s.callee, '$.identity'), '$.azureCommunicationServicesUser.id'), JSON_VALUE(JSON_QUERY(s.callee, '$.identity'), '$.application.id'), JSON_VALUE(JSON_QUERY(s.callee, '$.identity'), '$.applicationInstance.id'), JSON_VALUE(JSON_QUERY(s.callee, '$.identity'), '$.acsApplicationInstance.id'), JSON_VALUE(JSON_QUERY(s.callee, '$.identity'), '$.spoolApplicationInstance.id'), JSON_VALUE(JSON_QUERY(s.callee, '$.identity'), '$.assertedIdentity.id'), JSON_VALUE(JSON_QUERY(s.callee, '$.identity'), '$.device.id'), JSON_VALUE(JSON_QUERY(s.callee, '$.identity'), '$.encrypted.id'), JSON_VALUE(JSON_QUERY(s.callee, '$.identity'), '$.onPremises.id'))) AS calleeUserId
FROM dbo.callrecords_latest c
CROSS APPLY OPENJSON(c.sessions) WITH (
    [id] NVARCHAR(4000) '$.id',
    [modalities] NVARCHAR(MAX) '$.modalities' AS JSON,
    [startDateTime] NVARCHAR(4000) '$.startDateTime',
    [endDateTime] NVARCHAR(4000) '$.endDateTime',
    [isTest] NVARCHAR(4000) '$.isTest',
    [caller] NVARCHAR(MAX) '$.caller' AS JSON,
    [callee] NVARCHAR(MAX) '$.callee' AS JSON,
    [failureInfo] NVARCHAR(MAX) '$.failureInfo' AS JSON,
    [segments] NVARCHAR(MAX) '$.segments' AS JSON
  ) AS s;
GO

CREATE OR ALTER VIEW dbo.callrecord_segments AS
SELECT [tenant_id], [year], [month], [day], [hour], callId, callVersion, sessionId, g.id AS segmentId, CASE WHEN LEFT(g.[startDateTime], 4) BETWEEN '1678' AND '2261' AND g.[startDateTime] LIKE '[12][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T%'
      THEN CAST(SWITCHOFFSET(TRY_CAST(g.[startDateTime] AS DATETIMEOFFSET(7)), '+00:00') AS DATETIME2(7)) END AS [startDateTime], CASE WHEN LEFT(g.[endDateTime], 4) BETWEEN '1678' AND '2261' AND g.[endDateTime] LIKE '[12][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T%'
      THEN CAST(SWITCHOFFSET(TRY_CAST(g.[endDateTime] AS DATETIMEOFFSET(7)), '+00:00') AS DATETIME2(7)) END AS [endDateTime],
  g.caller, g.callee, g.failureInfo, g.media,
  JSON_VALUE(g.[caller], '$."@odata.type"') AS [callerEndpointType],
  JSON_VALUE(g.[caller], '$.name') AS [callerName],
  JSON_VALUE(g.[caller], '$.userAgent.platform') AS [callerPlatform],
  JSON_VALUE(g.[caller], '$.userAgent.productFamily') AS [callerProductFamily],
  JSON_VALUE(g.[caller], '$.userAgent.applicationVersion') AS [callerApplicationVersion],
  JSON_VALUE(g.[caller], '$.userAgent.role') AS [callerServiceRole],
  JSON_VALUE(g.[caller], '$.cpuName') AS [callerCpuName],
  COALESCE(TRY_CAST(JSON_VALUE(g.[caller], '$.cpuCoresCount') AS BIGINT), CASE WHEN ABS(TRY_CAST(JSON_VALUE(g.[caller], '$.cpuCoresCount') AS FLOAT)) < 9.2E18 THEN CAST(CASE WHEN TRY_CAST(JSON_VALUE(g.[caller], '$.cpuCoresCount') AS FLOAT) - FLOOR(TRY_CAST(JSON_VALUE(g.[caller], '$.cpuCoresCount') AS FLOAT)) = 0.5 THEN 2 * ROUND(TRY_CAST(JSON_VALUE(g.[caller], '$.cpuCoresCount') AS FLOAT) / 2, 0) ELSE ROUND(TRY_CAST(JSON_VALUE(g.[caller], '$.cpuCoresCount') AS FLOAT), 0) END AS BIGINT) END) AS [callerCpuCoresCount],
  COALESCE(TRY_CAST(JSON_VALUE(g.[caller], '$.cpuProcessorSpeedInMhz') AS BIGINT), CASE WHEN ABS(TRY_CAST(JSON_VALUE(g.[caller], '$.cpuProcessorSpeedInMhz') AS FLOAT)) < 9.2E18 THEN CAST(CASE WHEN TRY_CAST(JSON_VALUE(g.[caller], '$.cpuProcessorSpeedInMhz') AS FLOAT) - FLOOR(TRY_CAST(JSON_VALUE(g.[caller], '$.cpuProcessorSpeedInMhz') AS FLOAT)) = 0.5 THEN 2 * ROUND(TRY_CAST(JSON_VALUE(g.[caller], '$.cpuProcessorSpeedInMhz') AS FLOAT) / 2, 0) ELSE ROUND(TRY_CAST(JSON_VALUE(g.[caller], '$.cpuProcessorSpeedInMhz') AS FLOAT), 0) END AS BIGINT) END) AS [callerCpuProcessorSpeedInMhz],
  JSON_VALUE(g.[caller], '$.feedback.rating') AS [callerFeedbackRating],
  JSON_VALUE(g.[caller], '$.feedback.text') AS [callerFeedbackText],
  JSON_VALUE(g.[callee], '$."@odata.type"') AS [calleeEndpointType],
  JSON_VALUE(g.[callee], '$.name') AS [calleeName],
  JSON_VALUE(g.[callee], '$.userAgent.platform') AS [calleePlatform],
  JSON_VALUE(g.[callee], '$.userAgent.productFamily') AS [calleeProductFamily],
  JSON_VALUE(g.[callee], '$.userAgent.applicationVersion') AS [calleeApplicationVersion],
  JSON_VALUE(g.[callee], '$.userAgent.role') AS [calleeServiceRole],
  JSON_VALUE(g.[callee], '$.cpuName') AS [calleeCpuName],
  COALESCE(TRY_CAST(JSON_VALUE(g.[callee], '$.cpuCoresCount') AS BIGINT), CASE WHEN ABS(TRY_CAST(JSON_VALUE(g.[callee], '$.cpuCoresCount') AS FLOAT)) < 9.2E18 THEN CAST(CASE WHEN TRY_CAST(JSON_VALUE(g.[callee], '$.cpuCoresCount') AS FLOAT) - FLOOR(TRY_CAST(JSON_VALUE(g.[callee], '$.cpuCoresCount') AS FLOAT)) = 0.5 THEN 2 * ROUND(TRY_CAST(JSON_VALUE(g.[callee], '$.cpuCoresCount') AS FLOAT) / 2, 0) ELSE ROUND(TRY_CAST(JSON_VALUE(g.[callee], '$.cpuCoresCount') AS FLOAT), 0) END AS BIGINT) END) AS [calleeCpuCoresCount],
  COALESCE(TRY_CAST(JSON_VALUE(g.[callee], '$.cpuProcessorSpeedInMhz') AS BIGINT), CASE WHEN ABS(TRY_CAST(JSON_VALUE(g.[callee], '$.cpuProcessorSpeedInMhz') AS FLOAT)) < 9.2E18 THEN CAST(CASE WHEN TRY_CAST(JSON_VALUE(g.[callee], '$.cpuProcessorSpeedInMhz') AS FLOAT) - FLOOR(TRY_CAST(JSON_VALUE(g.[callee], '$.cpuProcessorSpeedInMhz') AS FLOAT)) = 0.5 THEN 2 * ROUND(TRY_CAST(JSON_VALUE(g.[callee], '$.cpuProcessorSpeedInMhz') AS FLOAT) / 2, 0) ELSE ROUND(TRY_CAST(JSON_VALUE(g.[callee], '$.cpuProcessorSpeedInMhz') AS FLOAT), 0) END AS BIGINT) END) AS [calleeCpuProcessorSpeedInMhz],
  JSON_VALUE(g.[callee], '$.feedback.rating') AS [calleeFeedbackRating],
  JSON_VALUE(g.[callee], '$.feedback.text') AS [calleeFeedbackText],
  JSON_VALUE(g.[failureInfo], '$.stage') AS [failureStage],
  JSON_VALUE(g.[failureInfo], '$.reason') AS [failureReason],
  COALESCE(JSON_VALUE(g.caller, '$.associatedIdentity.id'), COALESCE(JSON_VALUE(JSON_QUERY(g.caller, '$.identity'), '$.user.id'), JSON_VALUE(JSON_QUERY(g.caller, '$.identity'), '$.guest.id'), JSON_VALUE(JSON_QUERY(g.caller, '$.identity'), '$.phone.id'), JSON_VALUE(JSON_QUERY(g.caller, '$.identity'), '$.acsUser.id'), JSON_VALUE(JSON_QUERY(g.caller, '$.identity'), '$.spoolUser.id'), JSON_VALUE(JSON_QUERY(g.caller, '$.identity'), '$.azureCommunicationServicesUser.id'), JSON_VALUE(JSON_QUERY(g.caller, '$.identity'), '$.application.id'), JSON_VALUE(JSON_QUERY(g.caller, '$.identity'), '$.applicationInstance.id'), JSON_VALUE(JSON_QUERY(g.caller, '$.identity'), '$.acsApplicationInstance.id'), JSON_VALUE(JSON_QUERY(g.caller, '$.identity'), '$.spoolApplicationInstance.id'), JSON_VALUE(JSON_QUERY(g.caller, '$.identity'), '$.assertedIdentity.id'), JSON_VALUE(JSON_QUERY(g.caller, '$.identity'), '$.device.id'), JSON_VALUE(JSON_QUERY(g.caller, '$.identity'), '$.encrypted.id'), JSON_VALUE(JSON_QUERY(g.caller, '$.identity'), '$.onPremises.id'))) AS callerUserId,
  COALESCE(JSON_VALUE(g.callee, '$.associatedIdentity.id'), COALESCE(JSON_VALUE(JSON_QUERY(g.callee, '$.identity'), '$.user.id'), JSON_VALUE(JSON_QUERY(g.callee, '$.identity'), '$.guest.id'), JSON_VALUE(JSON_QUERY(g.callee, '$.identity'), '$.phone.id'), JSON_VALUE(JSON_QUERY(g.callee, '$.identity'), '$.acsUser.id'), JSON_VALUE(JSON_QUERY(g.callee, '$.identity'), '$.spoolUser.id'), JSON_VALUE(JSON_QUERY(g.callee, '$.identity'), '$.azureCommunicationServicesUser.id'), JSON_VALUE(JSON_QUERY(g.callee, '$.identity'), '$.application.id'), JSON_VALUE(JSON_QUERY(g.callee, '$.identity'), '$.applicationInstance.id'), JSON_VALUE(JSON_QUERY(g.callee, '$.identity'), '$.acsApplicationInstance.id'), JSON_VALUE(JSON_QUERY(g.callee, '$.identity'), '$.spoolApplicationInstance.id'), JSON_VALUE(JSON_QUERY(g.callee, '$.identity'), '$.assertedIdentity.id'), JSON_VALUE(JSON_QUERY(g.callee, '$.identity'), '$.device.id'), JSON_VALUE(JSON_QUERY(g.callee, '$.identity'), '$.encrypted.id'), JSON_VALUE(JSON_QUERY(g.callee, '$.identity'), '$.onPremises.id'))) AS calleeUserId
FROM dbo.callrecord_sessions ss
CROSS APPLY OPENJSON(ss.segments) WITH (
    [id] NVARCHAR(4000) '$.id',
    [startDateTime] NVARCHAR(4000) '$.startDateTime',
    [endDateTime] NVARCHAR(4000) '$.endDateTime',
    [caller] NVARCHAR(MAX) '$.caller' AS JSON,
    [callee] NVARCHAR(MAX) '$.callee' AS JSON,
    [failureInfo] NVARCHAR(MAX) '$.failureInfo' AS JSON,
    [media] NVARCHAR(MAX) '$.media' AS JSON
  ) AS g;
GO

-- One row per media stream, durations also as seconds (averageJitterSeconds, …).
CREATE OR ALTER VIEW dbo.callrecord_streams AS
SELECT [tenant_id], [year], [month], [day], [hour], callId, callVersion, sessionId, segmentId, m.label AS mediaLabel,
  st.[streamId] AS [streamId],
  st.[streamDirection] AS [streamDirection],
  CASE WHEN LEFT(st.[startDateTime], 4) BETWEEN '1678' AND '2261' AND st.[startDateTime] LIKE '[12][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T%'
      THEN CAST(SWITCHOFFSET(TRY_CAST(st.[startDateTime] AS DATETIMEOFFSET(7)), '+00:00') AS DATETIME2(7)) END AS [startDateTime],
  CASE WHEN LEFT(st.[endDateTime], 4) BETWEEN '1678' AND '2261' AND st.[endDateTime] LIKE '[12][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T%'
      THEN CAST(SWITCHOFFSET(TRY_CAST(st.[endDateTime] AS DATETIMEOFFSET(7)), '+00:00') AS DATETIME2(7)) END AS [endDateTime],
  st.[audioCodec] AS [audioCodec],
  st.[videoCodec] AS [videoCodec],
  TRY_CAST(st.[averageAudioDegradation] AS FLOAT) AS [averageAudioDegradation],
  st.[averageJitter], d7.seconds AS [averageJitterSeconds],
  st.[maxJitter], d8.seconds AS [maxJitterSeconds],
  TRY_CAST(st.[averagePacketLossRate] AS FLOAT) AS [averagePacketLossRate],
  TRY_CAST(st.[maxPacketLossRate] AS FLOAT) AS [maxPacketLossRate],
  TRY_CAST(st.[postForwardErrorCorrectionPacketLossRate] AS FLOAT) AS [postForwardErrorCorrectionPacketLossRate],
  TRY_CAST(st.[averageRatioOfConcealedSamples] AS FLOAT) AS [averageRatioOfConcealedSamples],
  TRY_CAST(st.[maxRatioOfConcealedSamples] AS FLOAT) AS [maxRatioOfConcealedSamples],
  st.[averageRoundTripTime], d14.seconds AS [averageRoundTripTimeSeconds],
  st.[maxRoundTripTime], d15.seconds AS [maxRoundTripTimeSeconds],
  COALESCE(TRY_CAST(st.[packetUtilization] AS BIGINT), CASE WHEN ABS(TRY_CAST(st.[packetUtilization] AS FLOAT)) < 9.2E18 THEN CAST(CASE WHEN TRY_CAST(st.[packetUtilization] AS FLOAT) - FLOOR(TRY_CAST(st.[packetUtilization] AS FLOAT)) = 0.5 THEN 2 * ROUND(TRY_CAST(st.[packetUtilization] AS FLOAT) / 2, 0) ELSE ROUND(TRY_CAST(st.[packetUtilization] AS FLOAT), 0) END AS BIGINT) END) AS [packetUtilization],
  COALESCE(TRY_CAST(st.[averageBandwidthEstimate] AS BIGINT), CASE WHEN ABS(TRY_CAST(st.[averageBandwidthEstimate] AS FLOAT)) < 9.2E18 THEN CAST(CASE WHEN TRY_CAST(st.[averageBandwidthEstimate] AS FLOAT) - FLOOR(TRY_CAST(st.[averageBandwidthEstimate] AS FLOAT)) = 0.5 THEN 2 * ROUND(TRY_CAST(st.[averageBandwidthEstimate] AS FLOAT) / 2, 0) ELSE ROUND(TRY_CAST(st.[averageBandwidthEstimate] AS FLOAT), 0) END AS BIGINT) END) AS [averageBandwidthEstimate],
  st.[averageAudioNetworkJitter], d18.seconds AS [averageAudioNetworkJitterSeconds],
  st.[maxAudioNetworkJitter], d19.seconds AS [maxAudioNetworkJitterSeconds],
  TRY_CAST(st.[averageVideoFrameRate] AS FLOAT) AS [averageVideoFrameRate],
  TRY_CAST(st.[averageReceivedFrameRate] AS FLOAT) AS [averageReceivedFrameRate],
  TRY_CAST(st.[averageVideoFrameLossPercentage] AS FLOAT) AS [averageVideoFrameLossPercentage],
  TRY_CAST(st.[averageVideoPacketLossRate] AS FLOAT) AS [averageVideoPacketLossRate],
  TRY_CAST(st.[lowFrameRateRatio] AS FLOAT) AS [lowFrameRateRatio],
  TRY_CAST(st.[lowVideoProcessingCapabilityRatio] AS FLOAT) AS [lowVideoProcessingCapabilityRatio],
  st.[averageFreezeDuration], d26.seconds AS [averageFreezeDurationSeconds],
  st.[rmsFreezeDuration], d27.seconds AS [rmsFreezeDurationSeconds],
  CASE WHEN LOWER(LTRIM(RTRIM(st.[isAudioForwardErrorCorrectionUsed]))) = 'true' THEN CAST(1 AS BIT) WHEN LOWER(LTRIM(RTRIM(st.[isAudioForwardErrorCorrectionUsed]))) = 'false' THEN CAST(0 AS BIT)
      WHEN TRY_CAST(st.[isAudioForwardErrorCorrectionUsed] AS FLOAT) IS NOT NULL THEN CAST(CASE WHEN TRY_CAST(st.[isAudioForwardErrorCorrectionUsed] AS FLOAT) = 0 THEN 0 ELSE 1 END AS BIT) END AS [isAudioForwardErrorCorrectionUsed],
  CASE WHEN LOWER(LTRIM(RTRIM(st.[wasMediaBypassed]))) = 'true' THEN CAST(1 AS BIT) WHEN LOWER(LTRIM(RTRIM(st.[wasMediaBypassed]))) = 'false' THEN CAST(0 AS BIT)
      WHEN TRY_CAST(st.[wasMediaBypassed] AS FLOAT) IS NOT NULL THEN CAST(CASE WHEN TRY_CAST(st.[wasMediaBypassed] AS FLOAT) = 0 THEN 0 ELSE 1 END AS BIT) END AS [wasMediaBypassed]
FROM dbo.callrecord_segments sg
CROSS APPLY OPENJSON(sg.media) WITH (
    [label] NVARCHAR(4000) '$.label',
    [callerDevice] NVARCHAR(MAX) '$.callerDevice' AS JSON,
    [calleeDevice] NVARCHAR(MAX) '$.calleeDevice' AS JSON,
    [callerNetwork] NVARCHAR(MAX) '$.callerNetwork' AS JSON,
    [calleeNetwork] NVARCHAR(MAX) '$.calleeNetwork' AS JSON,
    [streams] NVARCHAR(MAX) '$.streams' AS JSON
  ) AS m
CROSS APPLY OPENJSON(m.streams) WITH (
    [streamId] NVARCHAR(4000) '$.streamId',
    [streamDirection] NVARCHAR(4000) '$.streamDirection',
    [startDateTime] NVARCHAR(4000) '$.startDateTime',
    [endDateTime] NVARCHAR(4000) '$.endDateTime',
    [audioCodec] NVARCHAR(4000) '$.audioCodec',
    [videoCodec] NVARCHAR(4000) '$.videoCodec',
    [averageAudioDegradation] NVARCHAR(4000) '$.averageAudioDegradation',
    [averageJitter] NVARCHAR(4000) '$.averageJitter',
    [maxJitter] NVARCHAR(4000) '$.maxJitter',
    [averagePacketLossRate] NVARCHAR(4000) '$.averagePacketLossRate',
    [maxPacketLossRate] NVARCHAR(4000) '$.maxPacketLossRate',
    [postForwardErrorCorrectionPacketLossRate] NVARCHAR(4000) '$.postForwardErrorCorrectionPacketLossRate',
    [averageRatioOfConcealedSamples] NVARCHAR(4000) '$.averageRatioOfConcealedSamples',
    [maxRatioOfConcealedSamples] NVARCHAR(4000) '$.maxRatioOfConcealedSamples',
    [averageRoundTripTime] NVARCHAR(4000) '$.averageRoundTripTime',
    [maxRoundTripTime] NVARCHAR(4000) '$.maxRoundTripTime',
    [packetUtilization] NVARCHAR(4000) '$.packetUtilization',
    [averageBandwidthEstimate] NVARCHAR(4000) '$.averageBandwidthEstimate',
    [averageAudioNetworkJitter] NVARCHAR(4000) '$.averageAudioNetworkJitter',
    [maxAudioNetworkJitter] NVARCHAR(4000) '$.maxAudioNetworkJitter',
    [averageVideoFrameRate] NVARCHAR(4000) '$.averageVideoFrameRate',
    [averageReceivedFrameRate] NVARCHAR(4000) '$.averageReceivedFrameRate',
    [averageVideoFrameLossPercentage] NVARCHAR(4000) '$.averageVideoFrameLossPercentage',
    [averageVideoPacketLossRate] NVARCHAR(4000) '$.averageVideoPacketLossRate',
    [lowFrameRateRatio] NVARCHAR(4000) '$.lowFrameRateRatio',
    [lowVideoProcessingCapabilityRatio] NVARCHAR(4000) '$.lowVideoProcessingCapabilityRatio',
    [averageFreezeDuration] NVARCHAR(4000) '$.averageFreezeDuration',
    [rmsFreezeDuration] NVARCHAR(4000) '$.rmsFreezeDuration',
    [isAudioForwardErrorCorrectionUsed] NVARCHAR(4000) '$.isAudioForwardErrorCorrectionUsed',
    [wasMediaBypassed] NVARCHAR(4000) '$.wasMediaBypassed'
  ) AS st
OUTER APPLY dbo.iso_duration_seconds(st.[averageJitter]) AS d7
OUTER APPLY dbo.iso_duration_seconds(st.[maxJitter]) AS d8
OUTER APPLY dbo.iso_duration_seconds(st.[averageRoundTripTime]) AS d14
OUTER APPLY dbo.iso_duration_seconds(st.[maxRoundTripTime]) AS d15
OUTER APPLY dbo.iso_duration_seconds(st.[averageAudioNetworkJitter]) AS d18
OUTER APPLY dbo.iso_duration_seconds(st.[maxAudioNetworkJitter]) AS d19
OUTER APPLY dbo.iso_duration_seconds(st.[averageFreezeDuration]) AS d26
OUTER APPLY dbo.iso_duration_seconds(st.[rmsFreezeDuration]) AS d27;
GO

-- One row per participant: users, guests, phone numbers, … (kind says which). source says where the
-- row comes from: participants_v2; participants (records archived before 2026-06-30); or sessions,
-- for a caller or callee the list lacks (Graph documents participants_v2 as possibly incomplete).
CREATE OR ALTER VIEW dbo.callrecord_participants AS
SELECT [tenant_id], [year], [month], [day], [hour], callId, callVersion, p.id AS participantId,
  CASE WHEN JSON_QUERY(p.[identity], '$.user') IS NOT NULL THEN 'user' WHEN JSON_QUERY(p.[identity], '$.guest') IS NOT NULL THEN 'guest' WHEN JSON_QUERY(p.[identity], '$.phone') IS NOT NULL THEN 'phone' WHEN JSON_QUERY(p.[identity], '$.acsUser') IS NOT NULL THEN 'acsUser' WHEN JSON_QUERY(p.[identity], '$.spoolUser') IS NOT NULL THEN 'spoolUser' WHEN JSON_QUERY(p.[identity], '$.azureCommunicationServicesUser') IS NOT NULL THEN 'azureCommunicationServicesUser' WHEN JSON_QUERY(p.[identity], '$.application') IS NOT NULL THEN 'application' WHEN JSON_QUERY(p.[identity], '$.applicationInstance') IS NOT NULL THEN 'applicationInstance' WHEN JSON_QUERY(p.[identity], '$.acsApplicationInstance') IS NOT NULL THEN 'acsApplicationInstance' WHEN JSON_QUERY(p.[identity], '$.spoolApplicationInstance') IS NOT NULL THEN 'spoolApplicationInstance' WHEN JSON_QUERY(p.[identity], '$.assertedIdentity') IS NOT NULL THEN 'assertedIdentity' WHEN JSON_QUERY(p.[identity], '$.device') IS NOT NULL THEN 'device' WHEN JSON_QUERY(p.[identity], '$.encrypted') IS NOT NULL THEN 'encrypted' WHEN JSON_QUERY(p.[identity], '$.onPremises') IS NOT NULL THEN 'onPremises' END AS kind,
  COALESCE(JSON_VALUE(p.[identity], '$.user.displayName'), JSON_VALUE(p.[identity], '$.guest.displayName'), JSON_VALUE(p.[identity], '$.phone.displayName'), JSON_VALUE(p.[identity], '$.acsUser.displayName'), JSON_VALUE(p.[identity], '$.spoolUser.displayName'), JSON_VALUE(p.[identity], '$.azureCommunicationServicesUser.displayName'), JSON_VALUE(p.[identity], '$.application.displayName'), JSON_VALUE(p.[identity], '$.applicationInstance.displayName'), JSON_VALUE(p.[identity], '$.acsApplicationInstance.displayName'), JSON_VALUE(p.[identity], '$.spoolApplicationInstance.displayName'), JSON_VALUE(p.[identity], '$.assertedIdentity.displayName'), JSON_VALUE(p.[identity], '$.device.displayName'), JSON_VALUE(p.[identity], '$.encrypted.displayName'), JSON_VALUE(p.[identity], '$.onPremises.displayName')) AS displayName,
  COALESCE(JSON_VALUE(p.[identity], '$.user.tenantId'), JSON_VALUE(p.[identity], '$.guest.tenantId'), JSON_VALUE(p.[identity], '$.phone.tenantId'), JSON_VALUE(p.[identity], '$.acsUser.tenantId'), JSON_VALUE(p.[identity], '$.spoolUser.tenantId'), JSON_VALUE(p.[identity], '$.azureCommunicationServicesUser.tenantId'), JSON_VALUE(p.[identity], '$.application.tenantId'), JSON_VALUE(p.[identity], '$.applicationInstance.tenantId'), JSON_VALUE(p.[identity], '$.acsApplicationInstance.tenantId'), JSON_VALUE(p.[identity], '$.spoolApplicationInstance.tenantId'), JSON_VALUE(p.[identity], '$.assertedIdentity.tenantId'), JSON_VALUE(p.[identity], '$.device.tenantId'), JSON_VALUE(p.[identity], '$.encrypted.tenantId'), JSON_VALUE(p.[identity], '$.onPremises.tenantId')) AS tenantId,
  JSON_VALUE(p.[identity], '$.user.userPrincipalName') AS userPrincipalName,
  p.source
FROM (
  SELECT c.[tenant_id], c.[year], c.[month], c.[day], c.[hour], c.id AS callId, c.version AS callVersion, l.id, l.[identity], l.source
  FROM dbo.callrecords_latest c
  CROSS APPLY OPENJSON(COALESCE(c.participants_v2, c.participants)) WITH (
      [id] NVARCHAR(4000) '$.id',
      [identity] NVARCHAR(MAX) '$.identity' AS JSON,
      [identitySet] NVARCHAR(MAX) '$' AS JSON
    ) AS e
  CROSS APPLY (
    SELECT
      CASE WHEN c.participants_v2 IS NOT NULL THEN e.[id] ELSE COALESCE(JSON_VALUE(e.identitySet, '$.user.id'), JSON_VALUE(e.identitySet, '$.guest.id'), JSON_VALUE(e.identitySet, '$.phone.id'), JSON_VALUE(e.identitySet, '$.acsUser.id'), JSON_VALUE(e.identitySet, '$.spoolUser.id'), JSON_VALUE(e.identitySet, '$.azureCommunicationServicesUser.id'), JSON_VALUE(e.identitySet, '$.application.id'), JSON_VALUE(e.identitySet, '$.applicationInstance.id'), JSON_VALUE(e.identitySet, '$.acsApplicationInstance.id'), JSON_VALUE(e.identitySet, '$.spoolApplicationInstance.id'), JSON_VALUE(e.identitySet, '$.assertedIdentity.id'), JSON_VALUE(e.identitySet, '$.device.id'), JSON_VALUE(e.identitySet, '$.encrypted.id'), JSON_VALUE(e.identitySet, '$.onPremises.id')) END AS id,
      CASE WHEN c.participants_v2 IS NOT NULL THEN e.[identity] ELSE e.identitySet END AS [identity],
      CASE WHEN c.participants_v2 IS NOT NULL THEN 'participants_v2' ELSE 'participants' END AS source
  ) AS l
  UNION ALL
  -- Each session's caller, then callee, in order; an id already listed, or seen earlier, is skipped.
  SELECT [tenant_id], [year], [month], [day], [hour], callId, callVersion, id, [identity], 'sessions'
  FROM (
    SELECT c.[tenant_id], c.[year], c.[month], c.[day], c.[hour], c.id AS callId, c.version AS callVersion, ep.id, ep.[identity], c.participants_v2, c.participants,
      ROW_NUMBER() OVER (PARTITION BY c.[tenant_id], c.[year], c.[month], c.[day], c.[hour], c.id, ep.id ORDER BY CAST(s.[key] AS INT), ep.side) AS seen
    FROM dbo.callrecords_latest c
    CROSS APPLY OPENJSON(c.sessions) AS s
    CROSS APPLY (VALUES (0, JSON_QUERY(s.value, '$.caller')), (1, JSON_QUERY(s.value, '$.callee'))) AS side(side, endpoint)
    CROSS APPLY (
      SELECT side.side, COALESCE(JSON_VALUE(side.endpoint, '$.associatedIdentity.id'), COALESCE(JSON_VALUE(JSON_QUERY(side.endpoint, '$.identity'), '$.user.id'), JSON_VALUE(JSON_QUERY(side.endpoint, '$.identity'), '$.guest.id'), JSON_VALUE(JSON_QUERY(side.endpoint, '$.identity'), '$.phone.id'), JSON_VALUE(JSON_QUERY(side.endpoint, '$.identity'), '$.acsUser.id'), JSON_VALUE(JSON_QUERY(side.endpoint, '$.identity'), '$.spoolUser.id'), JSON_VALUE(JSON_QUERY(side.endpoint, '$.identity'), '$.azureCommunicationServicesUser.id'), JSON_VALUE(JSON_QUERY(side.endpoint, '$.identity'), '$.application.id'), JSON_VALUE(JSON_QUERY(side.endpoint, '$.identity'), '$.applicationInstance.id'), JSON_VALUE(JSON_QUERY(side.endpoint, '$.identity'), '$.acsApplicationInstance.id'), JSON_VALUE(JSON_QUERY(side.endpoint, '$.identity'), '$.spoolApplicationInstance.id'), JSON_VALUE(JSON_QUERY(side.endpoint, '$.identity'), '$.assertedIdentity.id'), JSON_VALUE(JSON_QUERY(side.endpoint, '$.identity'), '$.device.id'), JSON_VALUE(JSON_QUERY(side.endpoint, '$.identity'), '$.encrypted.id'), JSON_VALUE(JSON_QUERY(side.endpoint, '$.identity'), '$.onPremises.id'))) AS id,
        CASE WHEN JSON_VALUE(side.endpoint, '$.associatedIdentity.id') IS NOT NULL
          THEN JSON_MODIFY('{}', '$.user', JSON_QUERY(side.endpoint, '$.associatedIdentity'))
          ELSE JSON_QUERY(side.endpoint, '$.identity') END AS [identity]
    ) AS ep
    WHERE ep.id IS NOT NULL
  ) AS fromSessions
  WHERE seen = 1 AND NOT EXISTS (
    SELECT 1 FROM OPENJSON(COALESCE(fromSessions.participants_v2, fromSessions.participants)) AS listed
    WHERE COALESCE(JSON_VALUE(listed.value, '$.id'), COALESCE(JSON_VALUE(listed.value, '$.user.id'), JSON_VALUE(listed.value, '$.guest.id'), JSON_VALUE(listed.value, '$.phone.id'), JSON_VALUE(listed.value, '$.acsUser.id'), JSON_VALUE(listed.value, '$.spoolUser.id'), JSON_VALUE(listed.value, '$.azureCommunicationServicesUser.id'), JSON_VALUE(listed.value, '$.application.id'), JSON_VALUE(listed.value, '$.applicationInstance.id'), JSON_VALUE(listed.value, '$.acsApplicationInstance.id'), JSON_VALUE(listed.value, '$.spoolApplicationInstance.id'), JSON_VALUE(listed.value, '$.assertedIdentity.id'), JSON_VALUE(listed.value, '$.device.id'), JSON_VALUE(listed.value, '$.encrypted.id'), JSON_VALUE(listed.value, '$.onPremises.id'))) = fromSessions.id
  )
) AS p;
GO

-- Every archived line of the PSTN calls log: the tenant folder and the day (filepath(1..4)),
-- typed fields, the line as raw.
CREATE OR ALTER VIEW dbo.pstn_calls_raw AS
SELECT f.filepath(1) AS [tenant], f.filepath(1) AS [tenant_id], CAST(f.filepath(2) AS INT) AS [year], CAST(f.filepath(3) AS INT) AS [month],
  CAST(f.filepath(4) AS INT) AS [day], f.filepath() AS archiveFile, f.doc AS raw,
  j.[id] AS [id],
  j.[callId] AS [callId],
  j.[userId] AS [userId],
  j.[userPrincipalName] AS [userPrincipalName],
  j.[userDisplayName] AS [userDisplayName],
  CASE WHEN LEFT(j.[startDateTime], 4) BETWEEN '1678' AND '2261' AND j.[startDateTime] LIKE '[12][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T%'
      THEN CAST(SWITCHOFFSET(TRY_CAST(j.[startDateTime] AS DATETIMEOFFSET(7)), '+00:00') AS DATETIME2(7)) END AS [startDateTime],
  CASE WHEN LEFT(j.[endDateTime], 4) BETWEEN '1678' AND '2261' AND j.[endDateTime] LIKE '[12][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T%'
      THEN CAST(SWITCHOFFSET(TRY_CAST(j.[endDateTime] AS DATETIMEOFFSET(7)), '+00:00') AS DATETIME2(7)) END AS [endDateTime],
  COALESCE(TRY_CAST(j.[duration] AS BIGINT), CASE WHEN ABS(TRY_CAST(j.[duration] AS FLOAT)) < 9.2E18 THEN CAST(CASE WHEN TRY_CAST(j.[duration] AS FLOAT) - FLOOR(TRY_CAST(j.[duration] AS FLOAT)) = 0.5 THEN 2 * ROUND(TRY_CAST(j.[duration] AS FLOAT) / 2, 0) ELSE ROUND(TRY_CAST(j.[duration] AS FLOAT), 0) END AS BIGINT) END) AS [duration],
  TRY_CAST(j.[charge] AS FLOAT) AS [charge],
  j.[callType] AS [callType],
  j.[currency] AS [currency],
  j.[calleeNumber] AS [calleeNumber],
  j.[usageCountryCode] AS [usageCountryCode],
  j.[tenantCountryCode] AS [tenantCountryCode],
  TRY_CAST(j.[connectionCharge] AS FLOAT) AS [connectionCharge],
  j.[callerNumber] AS [callerNumber],
  j.[destinationContext] AS [destinationContext],
  j.[destinationName] AS [destinationName],
  j.[conferenceId] AS [conferenceId],
  j.[licenseCapability] AS [licenseCapability],
  j.[inventoryType] AS [inventoryType],
  j.[operator] AS [operator],
  j.[callDurationSource] AS [callDurationSource],
  COALESCE(TRY_CAST(j.[archivePass] AS BIGINT), CASE WHEN ABS(TRY_CAST(j.[archivePass] AS FLOAT)) < 9.2E18 THEN CAST(CASE WHEN TRY_CAST(j.[archivePass] AS FLOAT) - FLOOR(TRY_CAST(j.[archivePass] AS FLOAT)) = 0.5 THEN 2 * ROUND(TRY_CAST(j.[archivePass] AS FLOAT) / 2, 0) ELSE ROUND(TRY_CAST(j.[archivePass] AS FLOAT), 0) END AS BIGINT) END) AS [archivePass]
FROM OPENROWSET(BULK 'pstncalls/v1/tenant=*/year=*/month=*/day=*/*.jsonl.gz', DATA_SOURCE = 'callrecords_archive',
    FORMAT = 'CSV', FIELDTERMINATOR = '0x0b', FIELDQUOTE = '0x0b', ROWTERMINATOR = '0x0a', DATA_COMPRESSION = 'GZIP')
  WITH (doc NVARCHAR(MAX)) AS f
CROSS APPLY OPENJSON(f.doc) WITH (
    [id] NVARCHAR(4000) '$.id',
    [callId] NVARCHAR(4000) '$.callId',
    [userId] NVARCHAR(4000) '$.userId',
    [userPrincipalName] NVARCHAR(4000) '$.userPrincipalName',
    [userDisplayName] NVARCHAR(4000) '$.userDisplayName',
    [startDateTime] NVARCHAR(4000) '$.startDateTime',
    [endDateTime] NVARCHAR(4000) '$.endDateTime',
    [duration] NVARCHAR(4000) '$.duration',
    [charge] NVARCHAR(4000) '$.charge',
    [callType] NVARCHAR(4000) '$.callType',
    [currency] NVARCHAR(4000) '$.currency',
    [calleeNumber] NVARCHAR(4000) '$.calleeNumber',
    [usageCountryCode] NVARCHAR(4000) '$.usageCountryCode',
    [tenantCountryCode] NVARCHAR(4000) '$.tenantCountryCode',
    [connectionCharge] NVARCHAR(4000) '$.connectionCharge',
    [callerNumber] NVARCHAR(4000) '$.callerNumber',
    [destinationContext] NVARCHAR(4000) '$.destinationContext',
    [destinationName] NVARCHAR(4000) '$.destinationName',
    [conferenceId] NVARCHAR(4000) '$.conferenceId',
    [licenseCapability] NVARCHAR(4000) '$.licenseCapability',
    [inventoryType] NVARCHAR(4000) '$.inventoryType',
    [operator] NVARCHAR(4000) '$.operator',
    [callDurationSource] NVARCHAR(4000) '$.callDurationSource',
    [archivePass] NVARCHAR(4000) '$._archive.pass'
  ) AS j;
GO

-- One row per log row: the last line archived for it.
CREATE OR ALTER VIEW dbo.pstn_calls AS
SELECT * FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY [tenant], [year], [month], [day], COALESCE(id, CONVERT(NVARCHAR(64), HASHBYTES('SHA2_256', raw), 2)) ORDER BY archivePass DESC) AS lineRank
  FROM dbo.pstn_calls_raw
) r
WHERE lineRank = 1;
GO

-- Every archived line of the Direct Routing calls log: the tenant folder and the day (filepath(1..4)),
-- typed fields, the line as raw.
CREATE OR ALTER VIEW dbo.direct_routing_calls_raw AS
SELECT f.filepath(1) AS [tenant], f.filepath(1) AS [tenant_id], CAST(f.filepath(2) AS INT) AS [year], CAST(f.filepath(3) AS INT) AS [month],
  CAST(f.filepath(4) AS INT) AS [day], f.filepath() AS archiveFile, f.doc AS raw,
  j.[id] AS [id],
  j.[correlationId] AS [correlationId],
  j.[userId] AS [userId],
  j.[userPrincipalName] AS [userPrincipalName],
  j.[userDisplayName] AS [userDisplayName],
  CASE WHEN LEFT(j.[startDateTime], 4) BETWEEN '1678' AND '2261' AND j.[startDateTime] LIKE '[12][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T%'
      THEN CAST(SWITCHOFFSET(TRY_CAST(j.[startDateTime] AS DATETIMEOFFSET(7)), '+00:00') AS DATETIME2(7)) END AS [startDateTime],
  CASE WHEN LEFT(j.[inviteDateTime], 4) BETWEEN '1678' AND '2261' AND j.[inviteDateTime] LIKE '[12][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T%'
      THEN CAST(SWITCHOFFSET(TRY_CAST(j.[inviteDateTime] AS DATETIMEOFFSET(7)), '+00:00') AS DATETIME2(7)) END AS [inviteDateTime],
  CASE WHEN LEFT(j.[failureDateTime], 4) BETWEEN '1678' AND '2261' AND j.[failureDateTime] LIKE '[12][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T%'
      THEN CAST(SWITCHOFFSET(TRY_CAST(j.[failureDateTime] AS DATETIMEOFFSET(7)), '+00:00') AS DATETIME2(7)) END AS [failureDateTime],
  CASE WHEN LEFT(j.[endDateTime], 4) BETWEEN '1678' AND '2261' AND j.[endDateTime] LIKE '[12][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T%'
      THEN CAST(SWITCHOFFSET(TRY_CAST(j.[endDateTime] AS DATETIMEOFFSET(7)), '+00:00') AS DATETIME2(7)) END AS [endDateTime],
  COALESCE(TRY_CAST(j.[duration] AS BIGINT), CASE WHEN ABS(TRY_CAST(j.[duration] AS FLOAT)) < 9.2E18 THEN CAST(CASE WHEN TRY_CAST(j.[duration] AS FLOAT) - FLOOR(TRY_CAST(j.[duration] AS FLOAT)) = 0.5 THEN 2 * ROUND(TRY_CAST(j.[duration] AS FLOAT) / 2, 0) ELSE ROUND(TRY_CAST(j.[duration] AS FLOAT), 0) END AS BIGINT) END) AS [duration],
  j.[callType] AS [callType],
  CASE WHEN LOWER(LTRIM(RTRIM(j.[successfulCall]))) = 'true' THEN CAST(1 AS BIT) WHEN LOWER(LTRIM(RTRIM(j.[successfulCall]))) = 'false' THEN CAST(0 AS BIT)
      WHEN TRY_CAST(j.[successfulCall] AS FLOAT) IS NOT NULL THEN CAST(CASE WHEN TRY_CAST(j.[successfulCall] AS FLOAT) = 0 THEN 0 ELSE 1 END AS BIT) END AS [successfulCall],
  j.[callerNumber] AS [callerNumber],
  j.[calleeNumber] AS [calleeNumber],
  j.[mediaPathLocation] AS [mediaPathLocation],
  j.[signalingLocation] AS [signalingLocation],
  COALESCE(TRY_CAST(j.[finalSipCode] AS BIGINT), CASE WHEN ABS(TRY_CAST(j.[finalSipCode] AS FLOAT)) < 9.2E18 THEN CAST(CASE WHEN TRY_CAST(j.[finalSipCode] AS FLOAT) - FLOOR(TRY_CAST(j.[finalSipCode] AS FLOAT)) = 0.5 THEN 2 * ROUND(TRY_CAST(j.[finalSipCode] AS FLOAT) / 2, 0) ELSE ROUND(TRY_CAST(j.[finalSipCode] AS FLOAT), 0) END AS BIGINT) END) AS [finalSipCode],
  COALESCE(TRY_CAST(j.[callEndSubReason] AS BIGINT), CASE WHEN ABS(TRY_CAST(j.[callEndSubReason] AS FLOAT)) < 9.2E18 THEN CAST(CASE WHEN TRY_CAST(j.[callEndSubReason] AS FLOAT) - FLOOR(TRY_CAST(j.[callEndSubReason] AS FLOAT)) = 0.5 THEN 2 * ROUND(TRY_CAST(j.[callEndSubReason] AS FLOAT) / 2, 0) ELSE ROUND(TRY_CAST(j.[callEndSubReason] AS FLOAT), 0) END AS BIGINT) END) AS [callEndSubReason],
  j.[finalSipCodePhrase] AS [finalSipCodePhrase],
  j.[trunkFullyQualifiedDomainName] AS [trunkFullyQualifiedDomainName],
  CASE WHEN LOWER(LTRIM(RTRIM(j.[mediaBypassEnabled]))) = 'true' THEN CAST(1 AS BIT) WHEN LOWER(LTRIM(RTRIM(j.[mediaBypassEnabled]))) = 'false' THEN CAST(0 AS BIT)
      WHEN TRY_CAST(j.[mediaBypassEnabled] AS FLOAT) IS NOT NULL THEN CAST(CASE WHEN TRY_CAST(j.[mediaBypassEnabled] AS FLOAT) = 0 THEN 0 ELSE 1 END AS BIT) END AS [mediaBypassEnabled],
  COALESCE(TRY_CAST(j.[archivePass] AS BIGINT), CASE WHEN ABS(TRY_CAST(j.[archivePass] AS FLOAT)) < 9.2E18 THEN CAST(CASE WHEN TRY_CAST(j.[archivePass] AS FLOAT) - FLOOR(TRY_CAST(j.[archivePass] AS FLOAT)) = 0.5 THEN 2 * ROUND(TRY_CAST(j.[archivePass] AS FLOAT) / 2, 0) ELSE ROUND(TRY_CAST(j.[archivePass] AS FLOAT), 0) END AS BIGINT) END) AS [archivePass]
FROM OPENROWSET(BULK 'directroutingcalls/v1/tenant=*/year=*/month=*/day=*/*.jsonl.gz', DATA_SOURCE = 'callrecords_archive',
    FORMAT = 'CSV', FIELDTERMINATOR = '0x0b', FIELDQUOTE = '0x0b', ROWTERMINATOR = '0x0a', DATA_COMPRESSION = 'GZIP')
  WITH (doc NVARCHAR(MAX)) AS f
CROSS APPLY OPENJSON(f.doc) WITH (
    [id] NVARCHAR(4000) '$.id',
    [correlationId] NVARCHAR(4000) '$.correlationId',
    [userId] NVARCHAR(4000) '$.userId',
    [userPrincipalName] NVARCHAR(4000) '$.userPrincipalName',
    [userDisplayName] NVARCHAR(4000) '$.userDisplayName',
    [startDateTime] NVARCHAR(4000) '$.startDateTime',
    [inviteDateTime] NVARCHAR(4000) '$.inviteDateTime',
    [failureDateTime] NVARCHAR(4000) '$.failureDateTime',
    [endDateTime] NVARCHAR(4000) '$.endDateTime',
    [duration] NVARCHAR(4000) '$.duration',
    [callType] NVARCHAR(4000) '$.callType',
    [successfulCall] NVARCHAR(4000) '$.successfulCall',
    [callerNumber] NVARCHAR(4000) '$.callerNumber',
    [calleeNumber] NVARCHAR(4000) '$.calleeNumber',
    [mediaPathLocation] NVARCHAR(4000) '$.mediaPathLocation',
    [signalingLocation] NVARCHAR(4000) '$.signalingLocation',
    [finalSipCode] NVARCHAR(4000) '$.finalSipCode',
    [callEndSubReason] NVARCHAR(4000) '$.callEndSubReason',
    [finalSipCodePhrase] NVARCHAR(4000) '$.finalSipCodePhrase',
    [trunkFullyQualifiedDomainName] NVARCHAR(4000) '$.trunkFullyQualifiedDomainName',
    [mediaBypassEnabled] NVARCHAR(4000) '$.mediaBypassEnabled',
    [archivePass] NVARCHAR(4000) '$._archive.pass'
  ) AS j;
GO

-- One row per log row: the last line archived for it.
CREATE OR ALTER VIEW dbo.direct_routing_calls AS
SELECT * FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY [tenant], [year], [month], [day], COALESCE(id, CONVERT(NVARCHAR(64), HASHBYTES('SHA2_256', raw), 2)) ORDER BY archivePass DESC) AS lineRank
  FROM dbo.direct_routing_calls_raw
) r
WHERE lineRank = 1;
GO
