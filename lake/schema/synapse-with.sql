-- Generated from shared/lake/callRecordSchema.ts by `npm run lake`; edit that, not this file.
-- OPENJSON(doc) WITH clause of one archive line; nested levels are JSON for the next OPENJSON.
WITH (
    [id] NVARCHAR(4000) '$.id',
    [version] BIGINT '$.version',
    [type] NVARCHAR(4000) '$.type',
    [modalities] NVARCHAR(MAX) '$.modalities' AS JSON,
    [lastModifiedDateTime] DATETIME2(7) '$.lastModifiedDateTime',
    [startDateTime] DATETIME2(7) '$.startDateTime',
    [endDateTime] DATETIME2(7) '$.endDateTime',
    [joinWebUrl] NVARCHAR(4000) '$.joinWebUrl',
    [organizer_v2] NVARCHAR(MAX) '$.organizer_v2' AS JSON,
    [organizer] NVARCHAR(MAX) '$.organizer' AS JSON,
    [sessions] NVARCHAR(MAX) '$.sessions' AS JSON,
    [participants_v2] NVARCHAR(MAX) '$.participants_v2' AS JSON,
    [participants] NVARCHAR(MAX) '$.participants' AS JSON,
    [_archive] NVARCHAR(MAX) '$._archive' AS JSON
  )
