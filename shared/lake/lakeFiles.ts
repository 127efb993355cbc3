/** The files of lake/, path → content, all derived from the one schema. */
import { callRecordFields } from "./callRecordSchema.js";
import { duckdbTenantsSql, duckdbViewsSql } from "./duckdbViews.js";
import { duckdbColumns, duckdbHiveTypes, sparkStructType, synapseWith } from "./engineSchemas.js";
import { synapseTenantsSql, synapseViewsSql } from "./synapseViews.js";
import { duckdbLogViewsSql, logViewFiles, synapseLogViewsSql } from "./telephonyViews.js";

const generated = "Generated from shared/lake/callRecordSchema.ts by `npm run lake`; edit that, not this file.";

export function lakeFiles(): Record<string, string> {
  return {
    "lake/duckdb/views.sql": duckdbViewsSql(),
    "lake/duckdb/tenants.sql": duckdbTenantsSql(),
    "lake/synapse/views.sql": `${synapseViewsSql()}\n${synapseLogViewsSql()}`,
    "lake/synapse/tenants.sql": synapseTenantsSql(),
    [`lake/duckdb/${logViewFiles.pstnCalls}`]: duckdbLogViewsSql("pstnCalls"),
    [`lake/duckdb/${logViewFiles.directRoutingCalls}`]: duckdbLogViewsSql("directRoutingCalls"),
    "lake/schema/spark-schema.json": `${JSON.stringify(sparkStructType(callRecordFields), null, 2)}\n`,
    "lake/schema/duckdb-read_json.sql": `-- ${generated}\n-- The arguments that make read_json type every line alike, whatever the first files hold:\n--   SELECT * FROM read_json('…/callrecords/v1/year=*/month=*/day=*/hour=*/*.jsonl.gz', format = 'newline_delimited', hive_partitioning = true,\n--     hive_types = <hive_types below>, columns = <columns below>)\nhive_types = ${duckdbHiveTypes},\ncolumns = ${duckdbColumns(callRecordFields)}\n`,
    "lake/schema/synapse-with.sql": `-- ${generated}\n-- OPENJSON(doc) WITH clause of one archive line; nested levels are JSON for the next OPENJSON.\n${synapseWith(callRecordFields)}\n`,
  };
}
