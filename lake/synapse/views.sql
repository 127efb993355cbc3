-- callrecords-archiver: Synapse serverless SQL objects over the raw archive.
-- Generated from shared/lake/callRecordSchema.ts by `npm run lake`; edit that, not this file.
--
-- One step, in a database of the serverless pool (CREATE DATABASE callrecords first; not master):
--   sqlcmd -S WORKSPACE-ondemand.sql.azuresynapse.net -d callrecords --authentication-method ActiveDirectoryDefault \
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
FROM OPENROWSET(BULK 'callrecords/v1/year=*/month=*/day=*/hour=*/*.jsonl.gz', DATA_SOURCE = 'callrecords_archive',
    FORMAT = 'CSV', FIELDTERMINATOR = '0x0b', FIELDQUOTE = '0x0b', ROWTERMINATOR = '0x0a', DATA_COMPRESSION = 'GZIP')
  WITH (doc NVARCHAR(MAX)) AS f
CROSS APPLY OPENJSON(f.doc) WITH (
    [id] NVARCHAR(4000) '$.id',
    [version] BIGINT '$.version',
    [type] NVARCHAR(4000) '$.type',
    [modalities] NVARCHAR(MAX) '$.modalities' AS JSON,
    [lastModifiedDateTime] DATETIME2(7) '$.lastModifiedDateTime',
    [startDateTime] DATETIME2(7) '$.startDateTime',
    [endDateTime] DATETIME2(7) '$.endDateTime',
    [joinWebUrl] NVARCHAR(4000) '$.joinWebUrl',
    [organizer_v2] NVARCHAR(MAX) '$.organizer_v2' AS JSON,
    [sessions] NVARCHAR(MAX) '$.sessions' AS JSON,
    [participants_v2] NVARCHAR(MAX) '$.participants_v2' AS JSON,
    [participants] NVARCHAR(MAX) '$.participants' AS JSON,
    [_archive] NVARCHAR(MAX) '$._archive' AS JSON,
    [archivePass] BIGINT '$._archive.pass'
  ) AS j;
GO

-- One row per call, its latest archived version. Partitioned by the partition columns too, so a
-- filter on them still eliminates folders.
CREATE OR ALTER VIEW dbo.callrecords_latest AS
SELECT * FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY [year], [month], [day], [hour], id ORDER BY version DESC, archivePass DESC) AS versionRank
  FROM dbo.callrecords_raw
) r
WHERE versionRank = 1;
GO

CREATE OR ALTER VIEW dbo.callrecord_sessions AS
SELECT c.[year], c.[month], c.[day], c.[hour], c.id AS callId, c.version AS callVersion, s.id AS sessionId, s.modalities, s.startDateTime, s.endDateTime, s.isTest,
  s.caller, s.callee, s.failureInfo, s.segments
FROM dbo.callrecords_latest c
CROSS APPLY OPENJSON(c.sessions) WITH (
    [id] NVARCHAR(4000) '$.id',
    [modalities] NVARCHAR(MAX) '$.modalities' AS JSON,
    [startDateTime] DATETIME2(7) '$.startDateTime',
    [endDateTime] DATETIME2(7) '$.endDateTime',
    [isTest] BIT '$.isTest',
    [caller] NVARCHAR(MAX) '$.caller' AS JSON,
    [callee] NVARCHAR(MAX) '$.callee' AS JSON,
    [failureInfo] NVARCHAR(MAX) '$.failureInfo' AS JSON,
    [segments] NVARCHAR(MAX) '$.segments' AS JSON
  ) AS s;
GO

CREATE OR ALTER VIEW dbo.callrecord_segments AS
SELECT [year], [month], [day], [hour], callId, callVersion, sessionId, g.id AS segmentId, g.startDateTime, g.endDateTime,
  g.caller, g.callee, g.failureInfo, g.media
FROM dbo.callrecord_sessions ss
CROSS APPLY OPENJSON(ss.segments) WITH (
    [id] NVARCHAR(4000) '$.id',
    [startDateTime] DATETIME2(7) '$.startDateTime',
    [endDateTime] DATETIME2(7) '$.endDateTime',
    [caller] NVARCHAR(MAX) '$.caller' AS JSON,
    [callee] NVARCHAR(MAX) '$.callee' AS JSON,
    [failureInfo] NVARCHAR(MAX) '$.failureInfo' AS JSON,
    [media] NVARCHAR(MAX) '$.media' AS JSON
  ) AS g;
GO

-- One row per media stream, durations also as seconds (averageJitterSeconds, …).
CREATE OR ALTER VIEW dbo.callrecord_streams AS
SELECT [year], [month], [day], [hour], callId, callVersion, sessionId, segmentId, m.label AS mediaLabel,
  st.[streamId],
  st.[streamDirection],
  st.[averageAudioDegradation],
  st.[averageJitter], CASE
      WHEN st.[averageJitter] LIKE 'PT%S' AND st.[averageJitter] NOT LIKE '%[HMD]%' THEN TRY_CAST(SUBSTRING(st.[averageJitter], 3, LEN(st.[averageJitter]) - 3) AS FLOAT)
      WHEN st.[averageJitter] LIKE 'PT%M%S' AND st.[averageJitter] NOT LIKE '%[HD]%' THEN 60 * TRY_CAST(SUBSTRING(st.[averageJitter], 3, CHARINDEX('M', st.[averageJitter]) - 3) AS FLOAT) + TRY_CAST(SUBSTRING(st.[averageJitter], CHARINDEX('M', st.[averageJitter]) + 1, LEN(st.[averageJitter]) - CHARINDEX('M', st.[averageJitter]) - 1) AS FLOAT)
      WHEN st.[averageJitter] LIKE 'PT%H%M%S' AND st.[averageJitter] NOT LIKE '%D%' THEN 3600 * TRY_CAST(SUBSTRING(st.[averageJitter], 3, CHARINDEX('H', st.[averageJitter]) - 3) AS FLOAT)
        + 60 * TRY_CAST(SUBSTRING(st.[averageJitter], CHARINDEX('H', st.[averageJitter]) + 1, CHARINDEX('M', st.[averageJitter]) - CHARINDEX('H', st.[averageJitter]) - 1) AS FLOAT) + TRY_CAST(SUBSTRING(st.[averageJitter], CHARINDEX('M', st.[averageJitter]) + 1, LEN(st.[averageJitter]) - CHARINDEX('M', st.[averageJitter]) - 1) AS FLOAT)
    END AS [averageJitterSeconds],
  st.[maxJitter], CASE
      WHEN st.[maxJitter] LIKE 'PT%S' AND st.[maxJitter] NOT LIKE '%[HMD]%' THEN TRY_CAST(SUBSTRING(st.[maxJitter], 3, LEN(st.[maxJitter]) - 3) AS FLOAT)
      WHEN st.[maxJitter] LIKE 'PT%M%S' AND st.[maxJitter] NOT LIKE '%[HD]%' THEN 60 * TRY_CAST(SUBSTRING(st.[maxJitter], 3, CHARINDEX('M', st.[maxJitter]) - 3) AS FLOAT) + TRY_CAST(SUBSTRING(st.[maxJitter], CHARINDEX('M', st.[maxJitter]) + 1, LEN(st.[maxJitter]) - CHARINDEX('M', st.[maxJitter]) - 1) AS FLOAT)
      WHEN st.[maxJitter] LIKE 'PT%H%M%S' AND st.[maxJitter] NOT LIKE '%D%' THEN 3600 * TRY_CAST(SUBSTRING(st.[maxJitter], 3, CHARINDEX('H', st.[maxJitter]) - 3) AS FLOAT)
        + 60 * TRY_CAST(SUBSTRING(st.[maxJitter], CHARINDEX('H', st.[maxJitter]) + 1, CHARINDEX('M', st.[maxJitter]) - CHARINDEX('H', st.[maxJitter]) - 1) AS FLOAT) + TRY_CAST(SUBSTRING(st.[maxJitter], CHARINDEX('M', st.[maxJitter]) + 1, LEN(st.[maxJitter]) - CHARINDEX('M', st.[maxJitter]) - 1) AS FLOAT)
    END AS [maxJitterSeconds],
  st.[averagePacketLossRate],
  st.[maxPacketLossRate],
  st.[averageRoundTripTime], CASE
      WHEN st.[averageRoundTripTime] LIKE 'PT%S' AND st.[averageRoundTripTime] NOT LIKE '%[HMD]%' THEN TRY_CAST(SUBSTRING(st.[averageRoundTripTime], 3, LEN(st.[averageRoundTripTime]) - 3) AS FLOAT)
      WHEN st.[averageRoundTripTime] LIKE 'PT%M%S' AND st.[averageRoundTripTime] NOT LIKE '%[HD]%' THEN 60 * TRY_CAST(SUBSTRING(st.[averageRoundTripTime], 3, CHARINDEX('M', st.[averageRoundTripTime]) - 3) AS FLOAT) + TRY_CAST(SUBSTRING(st.[averageRoundTripTime], CHARINDEX('M', st.[averageRoundTripTime]) + 1, LEN(st.[averageRoundTripTime]) - CHARINDEX('M', st.[averageRoundTripTime]) - 1) AS FLOAT)
      WHEN st.[averageRoundTripTime] LIKE 'PT%H%M%S' AND st.[averageRoundTripTime] NOT LIKE '%D%' THEN 3600 * TRY_CAST(SUBSTRING(st.[averageRoundTripTime], 3, CHARINDEX('H', st.[averageRoundTripTime]) - 3) AS FLOAT)
        + 60 * TRY_CAST(SUBSTRING(st.[averageRoundTripTime], CHARINDEX('H', st.[averageRoundTripTime]) + 1, CHARINDEX('M', st.[averageRoundTripTime]) - CHARINDEX('H', st.[averageRoundTripTime]) - 1) AS FLOAT) + TRY_CAST(SUBSTRING(st.[averageRoundTripTime], CHARINDEX('M', st.[averageRoundTripTime]) + 1, LEN(st.[averageRoundTripTime]) - CHARINDEX('M', st.[averageRoundTripTime]) - 1) AS FLOAT)
    END AS [averageRoundTripTimeSeconds],
  st.[maxRoundTripTime], CASE
      WHEN st.[maxRoundTripTime] LIKE 'PT%S' AND st.[maxRoundTripTime] NOT LIKE '%[HMD]%' THEN TRY_CAST(SUBSTRING(st.[maxRoundTripTime], 3, LEN(st.[maxRoundTripTime]) - 3) AS FLOAT)
      WHEN st.[maxRoundTripTime] LIKE 'PT%M%S' AND st.[maxRoundTripTime] NOT LIKE '%[HD]%' THEN 60 * TRY_CAST(SUBSTRING(st.[maxRoundTripTime], 3, CHARINDEX('M', st.[maxRoundTripTime]) - 3) AS FLOAT) + TRY_CAST(SUBSTRING(st.[maxRoundTripTime], CHARINDEX('M', st.[maxRoundTripTime]) + 1, LEN(st.[maxRoundTripTime]) - CHARINDEX('M', st.[maxRoundTripTime]) - 1) AS FLOAT)
      WHEN st.[maxRoundTripTime] LIKE 'PT%H%M%S' AND st.[maxRoundTripTime] NOT LIKE '%D%' THEN 3600 * TRY_CAST(SUBSTRING(st.[maxRoundTripTime], 3, CHARINDEX('H', st.[maxRoundTripTime]) - 3) AS FLOAT)
        + 60 * TRY_CAST(SUBSTRING(st.[maxRoundTripTime], CHARINDEX('H', st.[maxRoundTripTime]) + 1, CHARINDEX('M', st.[maxRoundTripTime]) - CHARINDEX('H', st.[maxRoundTripTime]) - 1) AS FLOAT) + TRY_CAST(SUBSTRING(st.[maxRoundTripTime], CHARINDEX('M', st.[maxRoundTripTime]) + 1, LEN(st.[maxRoundTripTime]) - CHARINDEX('M', st.[maxRoundTripTime]) - 1) AS FLOAT)
    END AS [maxRoundTripTimeSeconds],
  st.[averageBandwidthEstimate],
  st.[averageAudioNetworkJitter], CASE
      WHEN st.[averageAudioNetworkJitter] LIKE 'PT%S' AND st.[averageAudioNetworkJitter] NOT LIKE '%[HMD]%' THEN TRY_CAST(SUBSTRING(st.[averageAudioNetworkJitter], 3, LEN(st.[averageAudioNetworkJitter]) - 3) AS FLOAT)
      WHEN st.[averageAudioNetworkJitter] LIKE 'PT%M%S' AND st.[averageAudioNetworkJitter] NOT LIKE '%[HD]%' THEN 60 * TRY_CAST(SUBSTRING(st.[averageAudioNetworkJitter], 3, CHARINDEX('M', st.[averageAudioNetworkJitter]) - 3) AS FLOAT) + TRY_CAST(SUBSTRING(st.[averageAudioNetworkJitter], CHARINDEX('M', st.[averageAudioNetworkJitter]) + 1, LEN(st.[averageAudioNetworkJitter]) - CHARINDEX('M', st.[averageAudioNetworkJitter]) - 1) AS FLOAT)
      WHEN st.[averageAudioNetworkJitter] LIKE 'PT%H%M%S' AND st.[averageAudioNetworkJitter] NOT LIKE '%D%' THEN 3600 * TRY_CAST(SUBSTRING(st.[averageAudioNetworkJitter], 3, CHARINDEX('H', st.[averageAudioNetworkJitter]) - 3) AS FLOAT)
        + 60 * TRY_CAST(SUBSTRING(st.[averageAudioNetworkJitter], CHARINDEX('H', st.[averageAudioNetworkJitter]) + 1, CHARINDEX('M', st.[averageAudioNetworkJitter]) - CHARINDEX('H', st.[averageAudioNetworkJitter]) - 1) AS FLOAT) + TRY_CAST(SUBSTRING(st.[averageAudioNetworkJitter], CHARINDEX('M', st.[averageAudioNetworkJitter]) + 1, LEN(st.[averageAudioNetworkJitter]) - CHARINDEX('M', st.[averageAudioNetworkJitter]) - 1) AS FLOAT)
    END AS [averageAudioNetworkJitterSeconds],
  st.[averageVideoFrameRate],
  st.[wasMediaBypassed]
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
    [averageAudioDegradation] FLOAT '$.averageAudioDegradation',
    [averageJitter] VARCHAR(64) '$.averageJitter',
    [maxJitter] VARCHAR(64) '$.maxJitter',
    [averagePacketLossRate] FLOAT '$.averagePacketLossRate',
    [maxPacketLossRate] FLOAT '$.maxPacketLossRate',
    [averageRoundTripTime] VARCHAR(64) '$.averageRoundTripTime',
    [maxRoundTripTime] VARCHAR(64) '$.maxRoundTripTime',
    [averageBandwidthEstimate] BIGINT '$.averageBandwidthEstimate',
    [averageAudioNetworkJitter] VARCHAR(64) '$.averageAudioNetworkJitter',
    [averageVideoFrameRate] FLOAT '$.averageVideoFrameRate',
    [wasMediaBypassed] BIT '$.wasMediaBypassed'
  ) AS st;
GO

-- One row per participant: users, guests, phone numbers, … (kind says which). Records archived
-- before 2026-06-30 have no participants_v2 but a participants list of identity sets; source says which.
CREATE OR ALTER VIEW dbo.callrecord_participants AS
SELECT c.[year], c.[month], c.[day], c.[hour], c.id AS callId, c.version AS callVersion, p.id AS participantId,
  CASE WHEN JSON_QUERY(p.[identity], '$.user') IS NOT NULL THEN 'user' WHEN JSON_QUERY(p.[identity], '$.guest') IS NOT NULL THEN 'guest' WHEN JSON_QUERY(p.[identity], '$.phone') IS NOT NULL THEN 'phone' WHEN JSON_QUERY(p.[identity], '$.acsUser') IS NOT NULL THEN 'acsUser' WHEN JSON_QUERY(p.[identity], '$.spoolUser') IS NOT NULL THEN 'spoolUser' WHEN JSON_QUERY(p.[identity], '$.azureCommunicationServicesUser') IS NOT NULL THEN 'azureCommunicationServicesUser' WHEN JSON_QUERY(p.[identity], '$.application') IS NOT NULL THEN 'application' WHEN JSON_QUERY(p.[identity], '$.applicationInstance') IS NOT NULL THEN 'applicationInstance' WHEN JSON_QUERY(p.[identity], '$.acsApplicationInstance') IS NOT NULL THEN 'acsApplicationInstance' WHEN JSON_QUERY(p.[identity], '$.spoolApplicationInstance') IS NOT NULL THEN 'spoolApplicationInstance' WHEN JSON_QUERY(p.[identity], '$.assertedIdentity') IS NOT NULL THEN 'assertedIdentity' WHEN JSON_QUERY(p.[identity], '$.device') IS NOT NULL THEN 'device' WHEN JSON_QUERY(p.[identity], '$.encrypted') IS NOT NULL THEN 'encrypted' WHEN JSON_QUERY(p.[identity], '$.onPremises') IS NOT NULL THEN 'onPremises' END AS kind,
  COALESCE(JSON_VALUE(p.[identity], '$.user.displayName'), JSON_VALUE(p.[identity], '$.guest.displayName'), JSON_VALUE(p.[identity], '$.phone.displayName'), JSON_VALUE(p.[identity], '$.acsUser.displayName'), JSON_VALUE(p.[identity], '$.spoolUser.displayName'), JSON_VALUE(p.[identity], '$.azureCommunicationServicesUser.displayName'), JSON_VALUE(p.[identity], '$.application.displayName'), JSON_VALUE(p.[identity], '$.applicationInstance.displayName'), JSON_VALUE(p.[identity], '$.acsApplicationInstance.displayName'), JSON_VALUE(p.[identity], '$.spoolApplicationInstance.displayName'), JSON_VALUE(p.[identity], '$.assertedIdentity.displayName'), JSON_VALUE(p.[identity], '$.device.displayName'), JSON_VALUE(p.[identity], '$.encrypted.displayName'), JSON_VALUE(p.[identity], '$.onPremises.displayName')) AS displayName,
  COALESCE(JSON_VALUE(p.[identity], '$.user.tenantId'), JSON_VALUE(p.[identity], '$.guest.tenantId'), JSON_VALUE(p.[identity], '$.phone.tenantId'), JSON_VALUE(p.[identity], '$.acsUser.tenantId'), JSON_VALUE(p.[identity], '$.spoolUser.tenantId'), JSON_VALUE(p.[identity], '$.azureCommunicationServicesUser.tenantId'), JSON_VALUE(p.[identity], '$.application.tenantId'), JSON_VALUE(p.[identity], '$.applicationInstance.tenantId'), JSON_VALUE(p.[identity], '$.acsApplicationInstance.tenantId'), JSON_VALUE(p.[identity], '$.spoolApplicationInstance.tenantId'), JSON_VALUE(p.[identity], '$.assertedIdentity.tenantId'), JSON_VALUE(p.[identity], '$.device.tenantId'), JSON_VALUE(p.[identity], '$.encrypted.tenantId'), JSON_VALUE(p.[identity], '$.onPremises.tenantId')) AS tenantId,
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
    CASE WHEN c.participants_v2 IS NOT NULL THEN e.[id] ELSE COALESCE(JSON_VALUE(e.identitySet, '$.user.id'), JSON_VALUE(e.identitySet, '$.guest.id'), JSON_VALUE(e.identitySet, '$.phone.id'), JSON_VALUE(e.identitySet, '$.acsUser.id'), JSON_VALUE(e.identitySet, '$.spoolUser.id'), JSON_VALUE(e.identitySet, '$.azureCommunicationServicesUser.id'), JSON_VALUE(e.identitySet, '$.application.id'), JSON_VALUE(e.identitySet, '$.applicationInstance.id'), JSON_VALUE(e.identitySet, '$.acsApplicationInstance.id'), JSON_VALUE(e.identitySet, '$.spoolApplicationInstance.id'), JSON_VALUE(e.identitySet, '$.assertedIdentity.id'), JSON_VALUE(e.identitySet, '$.device.id'), JSON_VALUE(e.identitySet, '$.encrypted.id'), JSON_VALUE(e.identitySet, '$.onPremises.id')) END AS id,
    CASE WHEN c.participants_v2 IS NOT NULL THEN e.[identity] ELSE e.identitySet END AS [identity],
    CASE WHEN c.participants_v2 IS NOT NULL THEN 'participants_v2' ELSE 'participants' END AS source
) AS p;
GO
