/**
 * The DuckDB views over the raw archive (lake/duckdb/views.sql is this text): typed partition
 * columns, one typed reading of every line with the line itself kept as `raw`, the latest version
 * of each call, and its sessions, segments, streams and participants flattened.
 *
 * Two traps are designed out: the glob matches only data files (`*.jsonl.gz` below `hour=`), so
 * manifests and day markers never mix in; and the latest-version window partitions by the
 * partition columns as well as the id (every version of a call is in its window's hour folder),
 * so a filter on year, month, day or hour still prunes files through the view.
 */
import { callRecordFields, identityKinds, partitionColumns, rawDataGlob, tenantColumn, tenantsDataGlob } from "./callRecordSchema.js";
import { duckdbHiveTypes, duckdbStructure, duckdbTenantsHiveTypes } from "./engineSchemas.js";
import { type FlatColumn, legColumns, streamColumns } from "./flatColumns.js";

/** Every view's leading columns: whose call, and its partition folders. */
const partitions = [tenantColumn, ...partitionColumns].join(", ");
const callKey = `${[tenantColumn, ...partitionColumns].map((c) => `c.${c}`).join(", ")}, c.id AS callId, c.version AS callVersion`;

const structureText = () => JSON.stringify(duckdbStructure({ kind: "struct", fields: callRecordFields })).replace(/'/g, "''");

/** The home tenant's lines: the archive's first layout, `home` as their tenant. */
const homeLines = () => `SELECT 'home' AS ${tenantColumn}, ${partitionColumns.join(", ")}, r.*, json AS raw, filename AS archiveFile
FROM (
  SELECT *, json_transform(json, '${structureText()}') AS r
  FROM read_json_objects(getvariable('archive') || '/${rawDataGlob}',
    format = 'newline_delimited', hive_partitioning = true, hive_types = ${duckdbHiveTypes}, filename = true)
)`;

/**
 * The views once the archive holds another tenant (lake/duckdb/tenants.sql, read after views.sql):
 * callrecords_raw again, the other tenants' lines beside the home tenant's. Apart, because DuckDB
 * binds a view's files when it is created and fails on a glob that matches none.
 */
export function duckdbTenantsSql(): string {
  return `-- callrecords-archiver: DuckDB views over an archive that holds other tenants too.
-- Generated from shared/lake/callRecordSchema.ts by \`npm run lake\`; edit that, not this file.
-- Read after views.sql once the archive holds a callrecords/v1/tenant=<id>/ folder (npm run query does).

CREATE OR REPLACE VIEW callrecords_raw AS
${homeLines()}
UNION ALL BY NAME
SELECT tenant AS ${tenantColumn}, ${partitionColumns.join(", ")}, r.*, json AS raw, filename AS archiveFile
FROM (
  SELECT *, json_transform(json, '${structureText()}') AS r
  FROM read_json_objects(getvariable('archive') || '/${tenantsDataGlob}',
    format = 'newline_delimited', hive_partitioning = true, hive_types = ${duckdbTenantsHiveTypes}, filename = true)
);
`;
}


const identityCase = (column: string, field: "kind" | "id" | "displayName" | "tenantId") =>
  field === "kind"
    ? `CASE ${identityKinds.map((k) => `WHEN ${column}.${k} IS NOT NULL THEN '${k}'`).join(" ")} END`
    : `coalesce(${identityKinds.map((k) => `${column}.${k}.${field}`).join(", ")})`;

const quote = (name: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`);

/**
 * A flat column (flatColumns.ts) read from a struct: json_transform has already typed the value by
 * the coercion rule, so only a duration needs its seconds computed.
 */
const flatColumn = (alias: string, column: FlatColumn): string => {
  const path = [alias, ...column.path.map(quote)].join(".");
  return `${column.rule === "seconds" ? `iso_duration_seconds(${path})` : path} AS ${column.name}`;
};

/** A stream's columns: every flat stream column, and each duration's ISO-8601 text beside its seconds. */
const streamSelect = streamColumns.map((c) => (c.rule === "seconds" ? `st.${quote(c.path[0] ?? "")}, ${flatColumn("st", c)}` : flatColumn("st", c)));

/** The user at an endpoint: associatedIdentity since 2026-06-30, the identity set's before. */
const endpointUserId = (endpoint: string) => `coalesce(${endpoint}.associatedIdentity.id, ${identityCase(`${endpoint}.identity`, "id")})`;

/** A leg's flat columns, as the curated sessions and segments tables have them (span columns aside). */
const legSelect = (alias: string) =>
  [
    ...legColumns.filter((c) => c.path.length > 1).map((c) => flatColumn(alias, c)),
    `${endpointUserId(`${alias}.caller`)} AS callerUserId`,
    `${endpointUserId(`${alias}.callee`)} AS calleeUserId`,
  ].join(",\n  ");

/** An endpoint's identity as an identity set: associatedIdentity is a user's. */
const endpointIdentitySet = (endpoint: string) =>
  `CASE WHEN ${endpoint}.associatedIdentity.id IS NOT NULL THEN {${identityKinds.map((k) => `'${k}': ${k === "user" ? `${endpoint}.associatedIdentity` : "NULL"}`).join(", ")}} ELSE ${endpoint}.identity END`;

/** Every statement, in order; the archive root comes from `SET VARIABLE archive = '…'`. */
export function duckdbViewsSql(): string {
  return `-- callrecords-archiver: DuckDB views over the raw archive.
-- Generated from shared/lake/callRecordSchema.ts by \`npm run lake\`; edit that, not this file.
--
-- Set the archive root (a folder, or az://ACCOUNT.blob.core.windows.net/archive with the azure
-- extension and a credential), then read this file:
--   SET VARIABLE archive = '/path/to/archive';
--   .read lake/duckdb/views.sql

-- ISO-8601 duration (PT0.045S, PT1M2.5S, P1DT2H) to seconds; NULL for NULL or anything else.
CREATE OR REPLACE MACRO iso_duration_seconds(d) AS (
  CASE WHEN regexp_full_match(d, '^P(?:(\\d+(?:\\.\\d+)?)D)?(?:T(?:(\\d+(?:\\.\\d+)?)H)?(?:(\\d+(?:\\.\\d+)?)M)?(?:(\\d+(?:\\.\\d+)?)S)?)?$') AND d <> 'P' AND NOT ends_with(d, 'T')
  THEN coalesce(TRY_CAST(regexp_extract(d, '(\\d+(?:\\.\\d+)?)D', 1) AS DOUBLE), 0) * 86400
     + coalesce(TRY_CAST(regexp_extract(d, 'T.*?(\\d+(?:\\.\\d+)?)H', 1) AS DOUBLE), 0) * 3600
     + coalesce(TRY_CAST(regexp_extract(d, 'T.*?(\\d+(?:\\.\\d+)?)M', 1) AS DOUBLE), 0) * 60
     + coalesce(TRY_CAST(regexp_extract(d, 'T.*?(\\d+(?:\\.\\d+)?)S', 1) AS DOUBLE), 0)
  END
);

-- Every archived line, every version: whose (tenant_id: home, or another tenant's id once
-- tenants.sql is read), typed columns from the schema, the partition folders as integers, and the
-- line itself as raw (fields the schema does not name yet are there).
CREATE OR REPLACE VIEW callrecords_raw AS
${homeLines()};

-- One row per call: its latest archived version, a complete line before an incomplete one of the
-- same version (_archive.incomplete says why a line is incomplete). Partitioned by the partition
-- columns too, so a filter on them reaches the file scan.
CREATE OR REPLACE VIEW callrecords_latest AS
SELECT * FROM callrecords_raw
QUALIFY row_number() OVER (PARTITION BY ${partitions}, id ORDER BY version DESC, _archive.incomplete IS NULL DESC, _archive.pass DESC) = 1;

-- Sessions and segments: the whole caller and callee structs, and their fields flattened as the
-- curated tables have them (callerEndpointType tells a participant from a service endpoint).
CREATE OR REPLACE VIEW callrecord_sessions AS
SELECT ${callKey}, s.id AS sessionId, s.modalities, s.startDateTime, s.endDateTime, s.isTest,
  s.caller, s.callee, s.failureInfo, s.segments,
  ${legSelect("s")}
FROM (SELECT *, unnest(sessions) AS s FROM callrecords_latest) c;

CREATE OR REPLACE VIEW callrecord_segments AS
SELECT ${partitions}, callId, callVersion, sessionId, g.id AS segmentId, g.startDateTime, g.endDateTime,
  g.caller, g.callee, g.failureInfo, g.media,
  ${legSelect("g")}
FROM (SELECT ${partitions}, callId, callVersion, sessionId, unnest(segments) AS g FROM callrecord_sessions);

-- One row per media stream, durations also as seconds (averageJitterSeconds, …).
CREATE OR REPLACE VIEW callrecord_streams AS
SELECT ${partitions}, callId, callVersion, sessionId, segmentId, m.label AS mediaLabel,
  ${streamSelect.join(",\n  ")}
FROM (SELECT *, unnest(m.streams) AS st FROM (SELECT *, unnest(media) AS m FROM callrecord_segments));

-- One row per participant: users, guests, phone numbers, … (kind says which). source says where the
-- row comes from: participants_v2; participants (records archived before 2026-06-30); or sessions,
-- for a caller or callee the list lacks (Graph documents participants_v2 as possibly incomplete).
CREATE OR REPLACE VIEW callrecord_participants AS
SELECT ${partitions}, callId, callVersion, p.id AS participantId,
  ${identityCase("p.identity", "kind")} AS kind,
  ${identityCase("p.identity", "displayName")} AS displayName,
  ${identityCase("p.identity", "tenantId")} AS tenantId,
  p.identity.user.userPrincipalName AS userPrincipalName,
  p.source
FROM (
  SELECT ${partitions}, callId, callVersion, unnest(listed || list_filter(
      -- Each session's caller, then callee, in order; an id already listed, or seen earlier, is skipped.
      list_transform(endpoints, e -> {'id': ${endpointUserId("e")}, 'identity': ${endpointIdentitySet("e")}, 'source': 'sessions'}),
      (x, i) -> x.id IS NOT NULL AND NOT list_contains(list_transform(listed, l -> l.id), x.id)
        AND NOT list_contains(list_transform(list_slice(endpoints, 1, i - 1), e -> ${endpointUserId("e")}), x.id))) AS p
  FROM (
    SELECT ${partitions}, id AS callId, version AS callVersion,
      coalesce(
        list_transform(participants_v2, x -> {'id': x.id, 'identity': x.identity, 'source': 'participants_v2'}),
        list_transform(participants, x -> {'id': ${identityCase("x", "id")}, 'identity': x, 'source': 'participants'}),
        []) AS listed,
      flatten(list_transform(coalesce(sessions, []), s -> [s.caller, s.callee])) AS endpoints
    FROM callrecords_latest
  )
);
`;
}
