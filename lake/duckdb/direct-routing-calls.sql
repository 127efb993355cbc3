-- callrecords-archiver: DuckDB views over the archived Direct Routing calls log.
-- Generated from shared/lake/telephonyLogSchema.ts by `npm run lake`; edit that, not this file.
--
-- With the archive root set (SET VARIABLE archive = '/path/to/archive'), and once the archive holds
-- this log (DuckDB needs a file to bind the view to):
--   .read lake/duckdb/direct-routing-calls.sql

-- Every archived line of every pass: the tenant folder ('home': the deployment's own tenant; also as
-- tenant_id, the call records views' name for it) and the day as columns, typed fields, and the line
-- itself as raw.
CREATE OR REPLACE VIEW direct_routing_calls_raw AS
SELECT tenant, year, month, day, tenant AS tenant_id, r.*, json AS raw, filename AS archiveFile
FROM (
  SELECT *, json_transform(json, '{"id":"VARCHAR","correlationId":"VARCHAR","userId":"VARCHAR","userPrincipalName":"VARCHAR","userDisplayName":"VARCHAR","startDateTime":"TIMESTAMP_NS","inviteDateTime":"TIMESTAMP_NS","failureDateTime":"TIMESTAMP_NS","endDateTime":"TIMESTAMP_NS","duration":"BIGINT","callType":"VARCHAR","successfulCall":"BOOLEAN","callerNumber":"VARCHAR","calleeNumber":"VARCHAR","mediaPathLocation":"VARCHAR","signalingLocation":"VARCHAR","finalSipCode":"BIGINT","callEndSubReason":"BIGINT","finalSipCodePhrase":"VARCHAR","trunkFullyQualifiedDomainName":"VARCHAR","mediaBypassEnabled":"BOOLEAN","_archive":{"source":"VARCHAR","harvestedAt":"TIMESTAMP_NS","window":{"start":"TIMESTAMP_NS","end":"TIMESTAMP_NS"},"pass":"BIGINT","cloud":"VARCHAR"}}') AS r
  FROM read_json_objects(getvariable('archive') || '/directroutingcalls/v1/tenant=*/year=*/month=*/day=*/*.jsonl.gz',
    format = 'newline_delimited', hive_partitioning = true, hive_types = {'tenant': VARCHAR, 'year': INTEGER, 'month': INTEGER, 'day': INTEGER}, filename = true)
);

-- One row per log row: the last line archived for it (a re-read writes a row again only when Graph's
-- content changed). A row without an id (none has been seen) is its own.
CREATE OR REPLACE VIEW direct_routing_calls AS
SELECT * FROM direct_routing_calls_raw
QUALIFY row_number() OVER (PARTITION BY tenant, year, month, day, coalesce(id, md5(raw::VARCHAR)) ORDER BY _archive.pass DESC) = 1;
