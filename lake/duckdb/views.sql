-- callrecords-archiver: DuckDB views over the raw archive.
-- Generated from shared/lake/callRecordSchema.ts by `npm run lake`; edit that, not this file.
--
-- Set the archive root (a folder, or az://ACCOUNT.blob.core.windows.net/archive with the azure
-- extension and a credential), then read this file:
--   SET VARIABLE archive = '/path/to/archive';
--   .read lake/duckdb/views.sql

-- ISO-8601 duration (PT0.045S, PT1M2.5S, P1DT2H) to seconds; NULL for NULL or anything else.
CREATE OR REPLACE MACRO iso_duration_seconds(d) AS (
  CASE WHEN regexp_full_match(d, '^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$')
  THEN coalesce(TRY_CAST(regexp_extract(d, '(\d+(?:\.\d+)?)D', 1) AS DOUBLE), 0) * 86400
     + coalesce(TRY_CAST(regexp_extract(d, 'T.*?(\d+(?:\.\d+)?)H', 1) AS DOUBLE), 0) * 3600
     + coalesce(TRY_CAST(regexp_extract(d, 'T.*?(\d+(?:\.\d+)?)M', 1) AS DOUBLE), 0) * 60
     + coalesce(TRY_CAST(regexp_extract(d, 'T.*?(\d+(?:\.\d+)?)S', 1) AS DOUBLE), 0)
  END
);

-- Every archived line, every version: typed columns from the schema, the partition folders as
-- integers, and the line itself as raw (fields the schema does not name yet are there).
CREATE OR REPLACE VIEW callrecords_raw AS
SELECT year, month, day, hour, r.*, json AS raw, filename AS archiveFile
FROM (
  SELECT *, json_transform(json, '{"id":"VARCHAR","version":"BIGINT","type":"VARCHAR","modalities":["VARCHAR"],"lastModifiedDateTime":"TIMESTAMP_NS","startDateTime":"TIMESTAMP_NS","endDateTime":"TIMESTAMP_NS","joinWebUrl":"VARCHAR","organizer_v2":{"id":"VARCHAR","identity":{"user":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR","userPrincipalName":"VARCHAR"},"guest":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"phone":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"acsUser":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"spoolUser":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"azureCommunicationServicesUser":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"application":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"applicationInstance":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"acsApplicationInstance":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"spoolApplicationInstance":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"assertedIdentity":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"device":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"encrypted":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"onPremises":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"}}},"sessions":[{"id":"VARCHAR","modalities":["VARCHAR"],"startDateTime":"TIMESTAMP_NS","endDateTime":"TIMESTAMP_NS","isTest":"BOOLEAN","caller":{"name":"VARCHAR","userAgent":{"headerValue":"VARCHAR","platform":"VARCHAR","productFamily":"VARCHAR"},"associatedIdentity":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR","userPrincipalName":"VARCHAR"},"feedback":{"rating":"VARCHAR","text":"VARCHAR"}},"callee":{"name":"VARCHAR","userAgent":{"headerValue":"VARCHAR","platform":"VARCHAR","productFamily":"VARCHAR"},"associatedIdentity":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR","userPrincipalName":"VARCHAR"},"feedback":{"rating":"VARCHAR","text":"VARCHAR"}},"failureInfo":{"stage":"VARCHAR","reason":"VARCHAR"},"segments":[{"id":"VARCHAR","startDateTime":"TIMESTAMP_NS","endDateTime":"TIMESTAMP_NS","caller":{"name":"VARCHAR","userAgent":{"headerValue":"VARCHAR","platform":"VARCHAR","productFamily":"VARCHAR"},"associatedIdentity":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR","userPrincipalName":"VARCHAR"},"feedback":{"rating":"VARCHAR","text":"VARCHAR"}},"callee":{"name":"VARCHAR","userAgent":{"headerValue":"VARCHAR","platform":"VARCHAR","productFamily":"VARCHAR"},"associatedIdentity":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR","userPrincipalName":"VARCHAR"},"feedback":{"rating":"VARCHAR","text":"VARCHAR"}},"failureInfo":{"stage":"VARCHAR","reason":"VARCHAR"},"media":[{"label":"VARCHAR","callerDevice":{"captureDeviceName":"VARCHAR","renderDeviceName":"VARCHAR","receivedSignalLevel":"BIGINT","sentSignalLevel":"BIGINT"},"calleeDevice":{"captureDeviceName":"VARCHAR","renderDeviceName":"VARCHAR","receivedSignalLevel":"BIGINT","sentSignalLevel":"BIGINT"},"callerNetwork":{"ipAddress":"VARCHAR","subnet":"VARCHAR","linkSpeed":"BIGINT","connectionType":"VARCHAR","wifiBand":"VARCHAR","bandwidthLowEventRatio":"DOUBLE","delayEventRatio":"DOUBLE","sentQualityEventRatio":"DOUBLE","receivedQualityEventRatio":"DOUBLE"},"calleeNetwork":{"ipAddress":"VARCHAR","subnet":"VARCHAR","linkSpeed":"BIGINT","connectionType":"VARCHAR","wifiBand":"VARCHAR","bandwidthLowEventRatio":"DOUBLE","delayEventRatio":"DOUBLE","sentQualityEventRatio":"DOUBLE","receivedQualityEventRatio":"DOUBLE"},"streams":[{"streamId":"VARCHAR","streamDirection":"VARCHAR","averageAudioDegradation":"DOUBLE","averageJitter":"VARCHAR","maxJitter":"VARCHAR","averagePacketLossRate":"DOUBLE","maxPacketLossRate":"DOUBLE","averageRoundTripTime":"VARCHAR","maxRoundTripTime":"VARCHAR","averageBandwidthEstimate":"BIGINT","averageAudioNetworkJitter":"VARCHAR","averageVideoFrameRate":"DOUBLE","wasMediaBypassed":"BOOLEAN"}]}]}]}],"participants_v2":[{"id":"VARCHAR","identity":{"user":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR","userPrincipalName":"VARCHAR"},"guest":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"phone":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"acsUser":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"spoolUser":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"azureCommunicationServicesUser":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"application":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"applicationInstance":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"acsApplicationInstance":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"spoolApplicationInstance":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"assertedIdentity":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"device":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"encrypted":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"onPremises":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"}}}],"_archive":{"harvestedAt":"TIMESTAMP_NS","window":{"start":"TIMESTAMP_NS","end":"TIMESTAMP_NS"},"pass":"BIGINT","cloud":"VARCHAR","participantsListed":"BOOLEAN"}}') AS r
  FROM read_json_objects(getvariable('archive') || '/callrecords/v1/year=*/month=*/day=*/hour=*/*.jsonl.gz',
    format = 'newline_delimited', hive_partitioning = true, hive_types = {'year': INTEGER, 'month': INTEGER, 'day': INTEGER, 'hour': INTEGER}, filename = true)
);

-- One row per call: its latest archived version. Partitioned by the partition columns too, so a
-- filter on them reaches the file scan.
CREATE OR REPLACE VIEW callrecords_latest AS
SELECT * FROM callrecords_raw
QUALIFY row_number() OVER (PARTITION BY year, month, day, hour, id ORDER BY version DESC, _archive.pass DESC) = 1;

CREATE OR REPLACE VIEW callrecord_sessions AS
SELECT c.year, c.month, c.day, c.hour, c.id AS callId, c.version AS callVersion, s.id AS sessionId, s.modalities, s.startDateTime, s.endDateTime, s.isTest,
  s.caller, s.callee, s.failureInfo, s.segments
FROM (SELECT *, unnest(sessions) AS s FROM callrecords_latest) c;

CREATE OR REPLACE VIEW callrecord_segments AS
SELECT year, month, day, hour, callId, callVersion, sessionId, g.id AS segmentId, g.startDateTime, g.endDateTime,
  g.caller, g.callee, g.failureInfo, g.media
FROM (SELECT *, unnest(segments) AS g FROM callrecord_sessions);

-- One row per media stream, durations also as seconds (averageJitterSeconds, …).
CREATE OR REPLACE VIEW callrecord_streams AS
SELECT year, month, day, hour, callId, callVersion, sessionId, segmentId, m.label AS mediaLabel,
  st.streamId,
  st.streamDirection,
  st.averageAudioDegradation,
  st.averageJitter, iso_duration_seconds(st.averageJitter) AS averageJitterSeconds,
  st.maxJitter, iso_duration_seconds(st.maxJitter) AS maxJitterSeconds,
  st.averagePacketLossRate,
  st.maxPacketLossRate,
  st.averageRoundTripTime, iso_duration_seconds(st.averageRoundTripTime) AS averageRoundTripTimeSeconds,
  st.maxRoundTripTime, iso_duration_seconds(st.maxRoundTripTime) AS maxRoundTripTimeSeconds,
  st.averageBandwidthEstimate,
  st.averageAudioNetworkJitter, iso_duration_seconds(st.averageAudioNetworkJitter) AS averageAudioNetworkJitterSeconds,
  st.averageVideoFrameRate,
  st.wasMediaBypassed
FROM (SELECT *, unnest(m.streams) AS st FROM (SELECT *, unnest(media) AS m FROM callrecord_segments));

-- One row per participant: users, guests, phone numbers, … (kind says which).
CREATE OR REPLACE VIEW callrecord_participants AS
SELECT c.year, c.month, c.day, c.hour, c.id AS callId, c.version AS callVersion, p.id AS participantId,
  CASE WHEN p.identity.user IS NOT NULL THEN 'user' WHEN p.identity.guest IS NOT NULL THEN 'guest' WHEN p.identity.phone IS NOT NULL THEN 'phone' WHEN p.identity.acsUser IS NOT NULL THEN 'acsUser' WHEN p.identity.spoolUser IS NOT NULL THEN 'spoolUser' WHEN p.identity.azureCommunicationServicesUser IS NOT NULL THEN 'azureCommunicationServicesUser' WHEN p.identity.application IS NOT NULL THEN 'application' WHEN p.identity.applicationInstance IS NOT NULL THEN 'applicationInstance' WHEN p.identity.acsApplicationInstance IS NOT NULL THEN 'acsApplicationInstance' WHEN p.identity.spoolApplicationInstance IS NOT NULL THEN 'spoolApplicationInstance' WHEN p.identity.assertedIdentity IS NOT NULL THEN 'assertedIdentity' WHEN p.identity.device IS NOT NULL THEN 'device' WHEN p.identity.encrypted IS NOT NULL THEN 'encrypted' WHEN p.identity.onPremises IS NOT NULL THEN 'onPremises' END AS kind,
  coalesce(p.identity.user.displayName, p.identity.guest.displayName, p.identity.phone.displayName, p.identity.acsUser.displayName, p.identity.spoolUser.displayName, p.identity.azureCommunicationServicesUser.displayName, p.identity.application.displayName, p.identity.applicationInstance.displayName, p.identity.acsApplicationInstance.displayName, p.identity.spoolApplicationInstance.displayName, p.identity.assertedIdentity.displayName, p.identity.device.displayName, p.identity.encrypted.displayName, p.identity.onPremises.displayName) AS displayName,
  coalesce(p.identity.user.tenantId, p.identity.guest.tenantId, p.identity.phone.tenantId, p.identity.acsUser.tenantId, p.identity.spoolUser.tenantId, p.identity.azureCommunicationServicesUser.tenantId, p.identity.application.tenantId, p.identity.applicationInstance.tenantId, p.identity.acsApplicationInstance.tenantId, p.identity.spoolApplicationInstance.tenantId, p.identity.assertedIdentity.tenantId, p.identity.device.tenantId, p.identity.encrypted.tenantId, p.identity.onPremises.tenantId) AS tenantId,
  p.identity.user.userPrincipalName AS userPrincipalName
FROM (SELECT *, unnest(participants_v2) AS p FROM callrecords_latest) c;
