-- callrecords-archiver: Synapse serverless SQL views over an archive that holds other tenants too.
-- Generated from shared/lake/callRecordSchema.ts by `npm run lake`; edit that, not this file.
-- Run after views.sql, in the same database, once the archive holds a callrecords/v1/tenant=<id>/ folder.

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
  ) AS j
UNION ALL
SELECT CAST(f.filepath(1) AS VARCHAR(36)) AS [tenant_id], CAST(f.filepath(2) AS INT) AS [year], CAST(f.filepath(3) AS INT) AS [month],
  CAST(f.filepath(4) AS INT) AS [day], CAST(f.filepath(5) AS INT) AS [hour],
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
FROM OPENROWSET(BULK 'callrecords/v1/tenant=*/year=*/month=*/day=*/hour=*/*.jsonl.gz', DATA_SOURCE = 'callrecords_archive',
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
