-- callrecords-archiver: DuckDB views over the raw archive.
-- Generated from shared/lake/callRecordSchema.ts by `npm run lake`; edit that, not this file.
--
-- Set the archive root (a folder, or az://ACCOUNT.blob.core.windows.net/archive with the azure
-- extension and a credential), then read this file:
--   SET VARIABLE archive = '/path/to/archive';
--   .read lake/duckdb/views.sql

-- ISO-8601 duration (PT0.045S, PT1M2.5S, P1DT2H) to seconds; NULL for NULL or anything else.
CREATE OR REPLACE MACRO iso_duration_seconds(d) AS (
  CASE WHEN regexp_full_match(d, '^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$') AND d <> 'P' AND NOT ends_with(d, 'T')
  THEN coalesce(TRY_CAST(regexp_extract(d, '(\d+(?:\.\d+)?)D', 1) AS DOUBLE), 0) * 86400
     + coalesce(TRY_CAST(regexp_extract(d, 'T.*?(\d+(?:\.\d+)?)H', 1) AS DOUBLE), 0) * 3600
     + coalesce(TRY_CAST(regexp_extract(d, 'T.*?(\d+(?:\.\d+)?)M', 1) AS DOUBLE), 0) * 60
     + coalesce(TRY_CAST(regexp_extract(d, 'T.*?(\d+(?:\.\d+)?)S', 1) AS DOUBLE), 0)
  END
);

-- Every archived line, every version: whose (tenant_id: home, or another tenant's id once
-- tenants.sql is read), typed columns from the schema, the partition folders as integers, and the
-- line itself as raw (fields the schema does not name yet are there).
CREATE OR REPLACE VIEW callrecords_raw AS
SELECT 'home' AS tenant_id, year, month, day, hour, r.*, json AS raw, filename AS archiveFile
FROM (
  SELECT *, json_transform(json, '{"id":"VARCHAR","version":"BIGINT","type":"VARCHAR","modalities":["VARCHAR"],"lastModifiedDateTime":"TIMESTAMP_NS","startDateTime":"TIMESTAMP_NS","endDateTime":"TIMESTAMP_NS","joinWebUrl":"VARCHAR","organizer_v2":{"id":"VARCHAR","identity":{"user":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR","userPrincipalName":"VARCHAR"},"guest":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"phone":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"acsUser":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"spoolUser":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"azureCommunicationServicesUser":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"application":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"applicationInstance":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"acsApplicationInstance":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"spoolApplicationInstance":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"assertedIdentity":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"device":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"encrypted":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"onPremises":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"}}},"organizer":{"user":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR","userPrincipalName":"VARCHAR"},"guest":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"phone":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"acsUser":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"spoolUser":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"azureCommunicationServicesUser":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"application":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"applicationInstance":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"acsApplicationInstance":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"spoolApplicationInstance":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"assertedIdentity":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"device":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"encrypted":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"onPremises":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"}},"sessions":[{"id":"VARCHAR","modalities":["VARCHAR"],"startDateTime":"TIMESTAMP_NS","endDateTime":"TIMESTAMP_NS","isTest":"BOOLEAN","caller":{"@odata.type":"VARCHAR","name":"VARCHAR","cpuName":"VARCHAR","cpuCoresCount":"BIGINT","cpuProcessorSpeedInMhz":"BIGINT","userAgent":{"headerValue":"VARCHAR","applicationVersion":"VARCHAR","platform":"VARCHAR","productFamily":"VARCHAR","role":"VARCHAR"},"associatedIdentity":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR","userPrincipalName":"VARCHAR"},"identity":{"user":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR","userPrincipalName":"VARCHAR"},"guest":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"phone":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"acsUser":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"spoolUser":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"azureCommunicationServicesUser":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"application":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"applicationInstance":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"acsApplicationInstance":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"spoolApplicationInstance":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"assertedIdentity":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"device":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"encrypted":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"onPremises":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"}},"feedback":{"rating":"VARCHAR","text":"VARCHAR"}},"callee":{"@odata.type":"VARCHAR","name":"VARCHAR","cpuName":"VARCHAR","cpuCoresCount":"BIGINT","cpuProcessorSpeedInMhz":"BIGINT","userAgent":{"headerValue":"VARCHAR","applicationVersion":"VARCHAR","platform":"VARCHAR","productFamily":"VARCHAR","role":"VARCHAR"},"associatedIdentity":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR","userPrincipalName":"VARCHAR"},"identity":{"user":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR","userPrincipalName":"VARCHAR"},"guest":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"phone":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"acsUser":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"spoolUser":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"azureCommunicationServicesUser":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"application":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"applicationInstance":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"acsApplicationInstance":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"spoolApplicationInstance":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"assertedIdentity":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"device":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"encrypted":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"onPremises":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"}},"feedback":{"rating":"VARCHAR","text":"VARCHAR"}},"failureInfo":{"stage":"VARCHAR","reason":"VARCHAR"},"segments":[{"id":"VARCHAR","startDateTime":"TIMESTAMP_NS","endDateTime":"TIMESTAMP_NS","caller":{"@odata.type":"VARCHAR","name":"VARCHAR","cpuName":"VARCHAR","cpuCoresCount":"BIGINT","cpuProcessorSpeedInMhz":"BIGINT","userAgent":{"headerValue":"VARCHAR","applicationVersion":"VARCHAR","platform":"VARCHAR","productFamily":"VARCHAR","role":"VARCHAR"},"associatedIdentity":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR","userPrincipalName":"VARCHAR"},"identity":{"user":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR","userPrincipalName":"VARCHAR"},"guest":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"phone":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"acsUser":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"spoolUser":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"azureCommunicationServicesUser":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"application":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"applicationInstance":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"acsApplicationInstance":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"spoolApplicationInstance":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"assertedIdentity":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"device":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"encrypted":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"onPremises":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"}},"feedback":{"rating":"VARCHAR","text":"VARCHAR"}},"callee":{"@odata.type":"VARCHAR","name":"VARCHAR","cpuName":"VARCHAR","cpuCoresCount":"BIGINT","cpuProcessorSpeedInMhz":"BIGINT","userAgent":{"headerValue":"VARCHAR","applicationVersion":"VARCHAR","platform":"VARCHAR","productFamily":"VARCHAR","role":"VARCHAR"},"associatedIdentity":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR","userPrincipalName":"VARCHAR"},"identity":{"user":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR","userPrincipalName":"VARCHAR"},"guest":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"phone":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"acsUser":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"spoolUser":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"azureCommunicationServicesUser":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"application":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"applicationInstance":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"acsApplicationInstance":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"spoolApplicationInstance":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"assertedIdentity":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"device":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"encrypted":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"onPremises":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"}},"feedback":{"rating":"VARCHAR","text":"VARCHAR"}},"failureInfo":{"stage":"VARCHAR","reason":"VARCHAR"},"media":[{"label":"VARCHAR","callerDevice":{"captureDeviceName":"VARCHAR","renderDeviceName":"VARCHAR","receivedSignalLevel":"BIGINT","sentSignalLevel":"BIGINT"},"calleeDevice":{"captureDeviceName":"VARCHAR","renderDeviceName":"VARCHAR","receivedSignalLevel":"BIGINT","sentSignalLevel":"BIGINT"},"callerNetwork":{"ipAddress":"VARCHAR","subnet":"VARCHAR","linkSpeed":"BIGINT","connectionType":"VARCHAR","wifiBand":"VARCHAR","bandwidthLowEventRatio":"DOUBLE","delayEventRatio":"DOUBLE","sentQualityEventRatio":"DOUBLE","receivedQualityEventRatio":"DOUBLE"},"calleeNetwork":{"ipAddress":"VARCHAR","subnet":"VARCHAR","linkSpeed":"BIGINT","connectionType":"VARCHAR","wifiBand":"VARCHAR","bandwidthLowEventRatio":"DOUBLE","delayEventRatio":"DOUBLE","sentQualityEventRatio":"DOUBLE","receivedQualityEventRatio":"DOUBLE"},"streams":[{"streamId":"VARCHAR","streamDirection":"VARCHAR","startDateTime":"TIMESTAMP_NS","endDateTime":"TIMESTAMP_NS","audioCodec":"VARCHAR","videoCodec":"VARCHAR","averageAudioDegradation":"DOUBLE","averageJitter":"VARCHAR","maxJitter":"VARCHAR","averagePacketLossRate":"DOUBLE","maxPacketLossRate":"DOUBLE","postForwardErrorCorrectionPacketLossRate":"DOUBLE","averageRatioOfConcealedSamples":"DOUBLE","maxRatioOfConcealedSamples":"DOUBLE","averageRoundTripTime":"VARCHAR","maxRoundTripTime":"VARCHAR","packetUtilization":"BIGINT","averageBandwidthEstimate":"BIGINT","averageAudioNetworkJitter":"VARCHAR","maxAudioNetworkJitter":"VARCHAR","averageVideoFrameRate":"DOUBLE","averageReceivedFrameRate":"DOUBLE","averageVideoFrameLossPercentage":"DOUBLE","averageVideoPacketLossRate":"DOUBLE","lowFrameRateRatio":"DOUBLE","lowVideoProcessingCapabilityRatio":"DOUBLE","averageFreezeDuration":"VARCHAR","rmsFreezeDuration":"VARCHAR","isAudioForwardErrorCorrectionUsed":"BOOLEAN","wasMediaBypassed":"BOOLEAN"}]}]}]}],"participants_v2":[{"id":"VARCHAR","identity":{"user":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR","userPrincipalName":"VARCHAR"},"guest":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"phone":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"acsUser":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"spoolUser":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"azureCommunicationServicesUser":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"application":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"applicationInstance":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"acsApplicationInstance":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"spoolApplicationInstance":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"assertedIdentity":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"device":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"encrypted":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"onPremises":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"}}}],"participants":[{"user":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR","userPrincipalName":"VARCHAR"},"guest":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"phone":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"acsUser":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"spoolUser":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"azureCommunicationServicesUser":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"application":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"applicationInstance":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"acsApplicationInstance":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"spoolApplicationInstance":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"assertedIdentity":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"device":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"encrypted":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"},"onPremises":{"id":"VARCHAR","displayName":"VARCHAR","tenantId":"VARCHAR"}}],"_archive":{"harvestedAt":"TIMESTAMP_NS","window":{"start":"TIMESTAMP_NS","end":"TIMESTAMP_NS"},"pass":"BIGINT","cloud":"VARCHAR","participantsListed":"BOOLEAN","incomplete":{"reason":"VARCHAR","list":"VARCHAR","pagesRead":"BIGINT"}}}') AS r
  FROM read_json_objects(getvariable('archive') || '/callrecords/v1/year=*/month=*/day=*/hour=*/*.jsonl.gz',
    format = 'newline_delimited', hive_partitioning = true, hive_types = {'year': INTEGER, 'month': INTEGER, 'day': INTEGER, 'hour': INTEGER}, filename = true)
);

-- One row per call: its latest archived version, a complete line before an incomplete one of the
-- same version (_archive.incomplete says why a line is incomplete). Partitioned by the partition
-- columns too, so a filter on them reaches the file scan.
CREATE OR REPLACE VIEW callrecords_latest AS
SELECT * FROM callrecords_raw
QUALIFY row_number() OVER (PARTITION BY tenant_id, year, month, day, hour, id ORDER BY version DESC, _archive.incomplete IS NULL DESC, _archive.pass DESC) = 1;

-- Sessions and segments: the whole caller and callee structs, and their fields flattened as the
-- curated tables have them (callerEndpointType tells a participant from a service endpoint).
CREATE OR REPLACE VIEW callrecord_sessions AS
SELECT c.tenant_id, c.year, c.month, c.day, c.hour, c.id AS callId, c.version AS callVersion, s.id AS sessionId, s.modalities, s.startDateTime, s.endDateTime, s.isTest,
  s.caller, s.callee, s.failureInfo, s.segments,
  s.caller."@odata.type" AS callerEndpointType,
  s.caller.name AS callerName,
  s.caller.userAgent.platform AS callerPlatform,
  s.caller.userAgent.productFamily AS callerProductFamily,
  s.caller.userAgent.applicationVersion AS callerApplicationVersion,
  s.caller.userAgent.role AS callerServiceRole,
  s.caller.cpuName AS callerCpuName,
  s.caller.cpuCoresCount AS callerCpuCoresCount,
  s.caller.cpuProcessorSpeedInMhz AS callerCpuProcessorSpeedInMhz,
  s.caller.feedback.rating AS callerFeedbackRating,
  s.caller.feedback.text AS callerFeedbackText,
  s.callee."@odata.type" AS calleeEndpointType,
  s.callee.name AS calleeName,
  s.callee.userAgent.platform AS calleePlatform,
  s.callee.userAgent.productFamily AS calleeProductFamily,
  s.callee.userAgent.applicationVersion AS calleeApplicationVersion,
  s.callee.userAgent.role AS calleeServiceRole,
  s.callee.cpuName AS calleeCpuName,
  s.callee.cpuCoresCount AS calleeCpuCoresCount,
  s.callee.cpuProcessorSpeedInMhz AS calleeCpuProcessorSpeedInMhz,
  s.callee.feedback.rating AS calleeFeedbackRating,
  s.callee.feedback.text AS calleeFeedbackText,
  s.failureInfo.stage AS failureStage,
  s.failureInfo.reason AS failureReason,
  coalesce(s.caller.associatedIdentity.id, coalesce(s.caller.identity.user.id, s.caller.identity.guest.id, s.caller.identity.phone.id, s.caller.identity.acsUser.id, s.caller.identity.spoolUser.id, s.caller.identity.azureCommunicationServicesUser.id, s.caller.identity.application.id, s.caller.identity.applicationInstance.id, s.caller.identity.acsApplicationInstance.id, s.caller.identity.spoolApplicationInstance.id, s.caller.identity.assertedIdentity.id, s.caller.identity.device.id, s.caller.identity.encrypted.id, s.caller.identity.onPremises.id)) AS callerUserId,
  coalesce(s.callee.associatedIdentity.id, coalesce(s.callee.identity.user.id, s.callee.identity.guest.id, s.callee.identity.phone.id, s.callee.identity.acsUser.id, s.callee.identity.spoolUser.id, s.callee.identity.azureCommunicationServicesUser.id, s.callee.identity.application.id, s.callee.identity.applicationInstance.id, s.callee.identity.acsApplicationInstance.id, s.callee.identity.spoolApplicationInstance.id, s.callee.identity.assertedIdentity.id, s.callee.identity.device.id, s.callee.identity.encrypted.id, s.callee.identity.onPremises.id)) AS calleeUserId
FROM (SELECT *, unnest(sessions) AS s FROM callrecords_latest) c;

CREATE OR REPLACE VIEW callrecord_segments AS
SELECT tenant_id, year, month, day, hour, callId, callVersion, sessionId, g.id AS segmentId, g.startDateTime, g.endDateTime,
  g.caller, g.callee, g.failureInfo, g.media,
  g.caller."@odata.type" AS callerEndpointType,
  g.caller.name AS callerName,
  g.caller.userAgent.platform AS callerPlatform,
  g.caller.userAgent.productFamily AS callerProductFamily,
  g.caller.userAgent.applicationVersion AS callerApplicationVersion,
  g.caller.userAgent.role AS callerServiceRole,
  g.caller.cpuName AS callerCpuName,
  g.caller.cpuCoresCount AS callerCpuCoresCount,
  g.caller.cpuProcessorSpeedInMhz AS callerCpuProcessorSpeedInMhz,
  g.caller.feedback.rating AS callerFeedbackRating,
  g.caller.feedback.text AS callerFeedbackText,
  g.callee."@odata.type" AS calleeEndpointType,
  g.callee.name AS calleeName,
  g.callee.userAgent.platform AS calleePlatform,
  g.callee.userAgent.productFamily AS calleeProductFamily,
  g.callee.userAgent.applicationVersion AS calleeApplicationVersion,
  g.callee.userAgent.role AS calleeServiceRole,
  g.callee.cpuName AS calleeCpuName,
  g.callee.cpuCoresCount AS calleeCpuCoresCount,
  g.callee.cpuProcessorSpeedInMhz AS calleeCpuProcessorSpeedInMhz,
  g.callee.feedback.rating AS calleeFeedbackRating,
  g.callee.feedback.text AS calleeFeedbackText,
  g.failureInfo.stage AS failureStage,
  g.failureInfo.reason AS failureReason,
  coalesce(g.caller.associatedIdentity.id, coalesce(g.caller.identity.user.id, g.caller.identity.guest.id, g.caller.identity.phone.id, g.caller.identity.acsUser.id, g.caller.identity.spoolUser.id, g.caller.identity.azureCommunicationServicesUser.id, g.caller.identity.application.id, g.caller.identity.applicationInstance.id, g.caller.identity.acsApplicationInstance.id, g.caller.identity.spoolApplicationInstance.id, g.caller.identity.assertedIdentity.id, g.caller.identity.device.id, g.caller.identity.encrypted.id, g.caller.identity.onPremises.id)) AS callerUserId,
  coalesce(g.callee.associatedIdentity.id, coalesce(g.callee.identity.user.id, g.callee.identity.guest.id, g.callee.identity.phone.id, g.callee.identity.acsUser.id, g.callee.identity.spoolUser.id, g.callee.identity.azureCommunicationServicesUser.id, g.callee.identity.application.id, g.callee.identity.applicationInstance.id, g.callee.identity.acsApplicationInstance.id, g.callee.identity.spoolApplicationInstance.id, g.callee.identity.assertedIdentity.id, g.callee.identity.device.id, g.callee.identity.encrypted.id, g.callee.identity.onPremises.id)) AS calleeUserId
FROM (SELECT tenant_id, year, month, day, hour, callId, callVersion, sessionId, unnest(segments) AS g FROM callrecord_sessions);

-- One row per media stream, durations also as seconds (averageJitterSeconds, …).
CREATE OR REPLACE VIEW callrecord_streams AS
SELECT tenant_id, year, month, day, hour, callId, callVersion, sessionId, segmentId, m.label AS mediaLabel,
  st.streamId AS streamId,
  st.streamDirection AS streamDirection,
  st.startDateTime AS startDateTime,
  st.endDateTime AS endDateTime,
  st.audioCodec AS audioCodec,
  st.videoCodec AS videoCodec,
  st.averageAudioDegradation AS averageAudioDegradation,
  st.averageJitter, iso_duration_seconds(st.averageJitter) AS averageJitterSeconds,
  st.maxJitter, iso_duration_seconds(st.maxJitter) AS maxJitterSeconds,
  st.averagePacketLossRate AS averagePacketLossRate,
  st.maxPacketLossRate AS maxPacketLossRate,
  st.postForwardErrorCorrectionPacketLossRate AS postForwardErrorCorrectionPacketLossRate,
  st.averageRatioOfConcealedSamples AS averageRatioOfConcealedSamples,
  st.maxRatioOfConcealedSamples AS maxRatioOfConcealedSamples,
  st.averageRoundTripTime, iso_duration_seconds(st.averageRoundTripTime) AS averageRoundTripTimeSeconds,
  st.maxRoundTripTime, iso_duration_seconds(st.maxRoundTripTime) AS maxRoundTripTimeSeconds,
  st.packetUtilization AS packetUtilization,
  st.averageBandwidthEstimate AS averageBandwidthEstimate,
  st.averageAudioNetworkJitter, iso_duration_seconds(st.averageAudioNetworkJitter) AS averageAudioNetworkJitterSeconds,
  st.maxAudioNetworkJitter, iso_duration_seconds(st.maxAudioNetworkJitter) AS maxAudioNetworkJitterSeconds,
  st.averageVideoFrameRate AS averageVideoFrameRate,
  st.averageReceivedFrameRate AS averageReceivedFrameRate,
  st.averageVideoFrameLossPercentage AS averageVideoFrameLossPercentage,
  st.averageVideoPacketLossRate AS averageVideoPacketLossRate,
  st.lowFrameRateRatio AS lowFrameRateRatio,
  st.lowVideoProcessingCapabilityRatio AS lowVideoProcessingCapabilityRatio,
  st.averageFreezeDuration, iso_duration_seconds(st.averageFreezeDuration) AS averageFreezeDurationSeconds,
  st.rmsFreezeDuration, iso_duration_seconds(st.rmsFreezeDuration) AS rmsFreezeDurationSeconds,
  st.isAudioForwardErrorCorrectionUsed AS isAudioForwardErrorCorrectionUsed,
  st.wasMediaBypassed AS wasMediaBypassed
FROM (SELECT *, unnest(m.streams) AS st FROM (SELECT *, unnest(media) AS m FROM callrecord_segments));

-- One row per participant: users, guests, phone numbers, … (kind says which). source says where the
-- row comes from: participants_v2; participants (records archived before 2026-06-30); or sessions,
-- for a caller or callee the list lacks (Graph documents participants_v2 as possibly incomplete).
CREATE OR REPLACE VIEW callrecord_participants AS
SELECT tenant_id, year, month, day, hour, callId, callVersion, p.id AS participantId,
  CASE WHEN p.identity.user IS NOT NULL THEN 'user' WHEN p.identity.guest IS NOT NULL THEN 'guest' WHEN p.identity.phone IS NOT NULL THEN 'phone' WHEN p.identity.acsUser IS NOT NULL THEN 'acsUser' WHEN p.identity.spoolUser IS NOT NULL THEN 'spoolUser' WHEN p.identity.azureCommunicationServicesUser IS NOT NULL THEN 'azureCommunicationServicesUser' WHEN p.identity.application IS NOT NULL THEN 'application' WHEN p.identity.applicationInstance IS NOT NULL THEN 'applicationInstance' WHEN p.identity.acsApplicationInstance IS NOT NULL THEN 'acsApplicationInstance' WHEN p.identity.spoolApplicationInstance IS NOT NULL THEN 'spoolApplicationInstance' WHEN p.identity.assertedIdentity IS NOT NULL THEN 'assertedIdentity' WHEN p.identity.device IS NOT NULL THEN 'device' WHEN p.identity.encrypted IS NOT NULL THEN 'encrypted' WHEN p.identity.onPremises IS NOT NULL THEN 'onPremises' END AS kind,
  coalesce(p.identity.user.displayName, p.identity.guest.displayName, p.identity.phone.displayName, p.identity.acsUser.displayName, p.identity.spoolUser.displayName, p.identity.azureCommunicationServicesUser.displayName, p.identity.application.displayName, p.identity.applicationInstance.displayName, p.identity.acsApplicationInstance.displayName, p.identity.spoolApplicationInstance.displayName, p.identity.assertedIdentity.displayName, p.identity.device.displayName, p.identity.encrypted.displayName, p.identity.onPremises.displayName) AS displayName,
  coalesce(p.identity.user.tenantId, p.identity.guest.tenantId, p.identity.phone.tenantId, p.identity.acsUser.tenantId, p.identity.spoolUser.tenantId, p.identity.azureCommunicationServicesUser.tenantId, p.identity.application.tenantId, p.identity.applicationInstance.tenantId, p.identity.acsApplicationInstance.tenantId, p.identity.spoolApplicationInstance.tenantId, p.identity.assertedIdentity.tenantId, p.identity.device.tenantId, p.identity.encrypted.tenantId, p.identity.onPremises.tenantId) AS tenantId,
  p.identity.user.userPrincipalName AS userPrincipalName,
  p.source
FROM (
  SELECT tenant_id, year, month, day, hour, callId, callVersion, unnest(listed || list_filter(
      -- Each session's caller, then callee, in order; an id already listed, or seen earlier, is skipped.
      list_transform(endpoints, e -> {'id': coalesce(e.associatedIdentity.id, coalesce(e.identity.user.id, e.identity.guest.id, e.identity.phone.id, e.identity.acsUser.id, e.identity.spoolUser.id, e.identity.azureCommunicationServicesUser.id, e.identity.application.id, e.identity.applicationInstance.id, e.identity.acsApplicationInstance.id, e.identity.spoolApplicationInstance.id, e.identity.assertedIdentity.id, e.identity.device.id, e.identity.encrypted.id, e.identity.onPremises.id)), 'identity': CASE WHEN e.associatedIdentity.id IS NOT NULL THEN {'user': e.associatedIdentity, 'guest': NULL, 'phone': NULL, 'acsUser': NULL, 'spoolUser': NULL, 'azureCommunicationServicesUser': NULL, 'application': NULL, 'applicationInstance': NULL, 'acsApplicationInstance': NULL, 'spoolApplicationInstance': NULL, 'assertedIdentity': NULL, 'device': NULL, 'encrypted': NULL, 'onPremises': NULL} ELSE e.identity END, 'source': 'sessions'}),
      (x, i) -> x.id IS NOT NULL AND NOT list_contains(list_transform(listed, l -> l.id), x.id)
        AND NOT list_contains(list_transform(list_slice(endpoints, 1, i - 1), e -> coalesce(e.associatedIdentity.id, coalesce(e.identity.user.id, e.identity.guest.id, e.identity.phone.id, e.identity.acsUser.id, e.identity.spoolUser.id, e.identity.azureCommunicationServicesUser.id, e.identity.application.id, e.identity.applicationInstance.id, e.identity.acsApplicationInstance.id, e.identity.spoolApplicationInstance.id, e.identity.assertedIdentity.id, e.identity.device.id, e.identity.encrypted.id, e.identity.onPremises.id))), x.id))) AS p
  FROM (
    SELECT tenant_id, year, month, day, hour, id AS callId, version AS callVersion,
      coalesce(
        list_transform(participants_v2, x -> {'id': x.id, 'identity': x.identity, 'source': 'participants_v2'}),
        list_transform(participants, x -> {'id': coalesce(x.user.id, x.guest.id, x.phone.id, x.acsUser.id, x.spoolUser.id, x.azureCommunicationServicesUser.id, x.application.id, x.applicationInstance.id, x.acsApplicationInstance.id, x.spoolApplicationInstance.id, x.assertedIdentity.id, x.device.id, x.encrypted.id, x.onPremises.id), 'identity': x, 'source': 'participants'}),
        []) AS listed,
      flatten(list_transform(coalesce(sessions, []), s -> [s.caller, s.callee])) AS endpoints
    FROM callrecords_latest
  )
);
