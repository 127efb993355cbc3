/**
 * What each engine needs, derived from the one description in callRecordSchema.ts: DuckDB SQL
 * types (for `read_json(columns = …)` or a cast of the raw JSON), a Spark StructType (JSON), and
 * Synapse serverless SQL `OPENJSON … WITH` clauses. Pure: the generated lake/ files are these
 * strings, and a test keeps the committed files equal to them.
 */
import { type Field, type FieldType, partitionColumns } from "./callRecordSchema.js";

const quoteDuckdb = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** A DuckDB SQL type. Timestamps are TIMESTAMP_NS, which holds Graph's 7th digit (TIMESTAMP stops at 6). */
export function duckdbType(type: FieldType): string {
  switch (type.kind) {
    case "string":
    case "duration":
      return "VARCHAR";
    case "bigint":
      return "BIGINT";
    case "double":
      return "DOUBLE";
    case "boolean":
      return "BOOLEAN";
    case "timestamp":
      return "TIMESTAMP_NS";
    case "list":
      return `${duckdbType(type.of)}[]`;
    case "struct":
      return `STRUCT(${type.fields.map((f) => `${quoteDuckdb(f.name)} ${duckdbType(f.type)}`).join(", ")})`;
  }
}

/**
 * The structure `json_transform` takes (a JSON document of type names). Unlike a cast, it leaves a
 * key the line lacks NULL: a guest has no `user`, a version-1 stream no `averageAudioNetworkJitter`.
 */
export function duckdbStructure(type: FieldType): unknown {
  if (type.kind === "list") return [duckdbStructure(type.of)];
  if (type.kind === "struct") return Object.fromEntries(type.fields.map((f) => [f.name, duckdbStructure(f.type)]));
  return duckdbType(type);
}

/** `read_json`'s `columns` argument: a struct literal of column name → type. */
export function duckdbColumns(fields: readonly Field[]): string {
  return `{${fields.map((f) => `'${f.name}': '${duckdbType(f.type)}'`).join(", ")}}`;
}

/** `hive_types`: the partition folders read as integers, whatever their text looks like. */
export const duckdbHiveTypes = `{${partitionColumns.map((c) => `'${c}': INTEGER`).join(", ")}}`;

/** The same, below the other tenants' `tenant=` folder (a GUID: text). */
export const duckdbTenantsHiveTypes = `{'tenant': VARCHAR, ${partitionColumns.map((c) => `'${c}': INTEGER`).join(", ")}}`;

export interface SparkField {
  readonly name: string;
  readonly type: SparkType;
  readonly nullable: true;
  readonly metadata: Record<string, string>;
}
export type SparkType =
  | string
  | { readonly type: "struct"; readonly fields: readonly SparkField[] }
  | { readonly type: "array"; readonly elementType: SparkType; readonly containsNull: true };

const sparkTypeOf = (type: FieldType): SparkType => {
  switch (type.kind) {
    // Spark's timestamp holds microseconds: the text keeps the 7th digit; to_timestamp() when needed.
    case "string":
    case "timestamp":
    case "duration":
      return "string";
    case "bigint":
      return "long";
    case "double":
      return "double";
    case "boolean":
      return "boolean";
    case "list":
      return { type: "array", elementType: sparkTypeOf(type.of), containsNull: true };
    case "struct":
      return { type: "struct", fields: type.fields.map(sparkField) };
  }
};

const sparkComments: Partial<Record<FieldType["kind"], string>> = {
  timestamp: "ISO-8601 UTC instant with 7 fractional digits",
  duration: "ISO-8601 duration, e.g. PT0.045S",
};

const sparkField = (field: Field): SparkField => {
  const comment = sparkComments[field.type.kind];
  return { name: field.name, type: sparkTypeOf(field.type), nullable: true, metadata: comment ? { comment } : {} };
};

/** A Spark StructType as JSON (`StructType.fromJson`, or `spark.read.schema(…)` after parsing). */
export function sparkStructType(fields: readonly Field[]): { type: "struct"; fields: SparkField[] } {
  return { type: "struct", fields: fields.map(sparkField) };
}

/** A Synapse serverless SQL column type; nested levels stay JSON text, opened by the next OPENJSON. */
export function synapseType(type: FieldType): string {
  switch (type.kind) {
    case "string":
      return "NVARCHAR(4000)";
    case "duration":
      return "VARCHAR(64)";
    case "bigint":
      return "BIGINT";
    case "double":
      return "FLOAT";
    case "boolean":
      return "BIT";
    case "timestamp":
      return "DATETIME2(7)";
    case "list":
    case "struct":
      return "NVARCHAR(MAX)";
  }
}

/** A JSON path for OPENJSON and JSON_VALUE; a key such as `@odata.type` is quoted. */
export const synapseJsonPath = (keys: readonly string[]): string =>
  `$${keys.map((k) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? `.${k}` : `."${k}"`)).join("")}`;

/**
 * The `WITH (…)` clause of `OPENJSON(doc) WITH (…)` for one level: scalars typed, nested structs
 * and lists kept as JSON (`AS JSON`) for the next OPENJSON. `extra` adds columns read by path.
 */
export function synapseWith(fields: readonly Field[], extra: readonly string[] = [], indent = "    ", options: { scalarsAsText?: boolean } = {}): string {
  const lines = fields.map((f) => {
    const nested = f.type.kind === "struct" || f.type.kind === "list";
    const type = options.scalarsAsText && !nested ? "NVARCHAR(4000)" : synapseType(f.type);
    return `${indent}[${f.name}] ${type} '${synapseJsonPath([f.name])}'${nested ? " AS JSON" : ""}`;
  });
  return `WITH (\n${[...lines, ...extra.map((e) => `${indent}${e}`)].join(",\n")}\n${indent.slice(2)})`;
}

/** The fields of a nested level: `sessions` → the session's fields, `sessions.segments` → a segment's. */
export function fieldsAt(fields: readonly Field[], path: string): readonly Field[] {
  let level: readonly Field[] = fields;
  for (const name of path.split(".")) {
    let type = level.find((f) => f.name === name)?.type;
    while (type?.kind === "list") type = type.of;
    if (type?.kind !== "struct") throw new Error(`callRecordSchema has no struct at ${path} (stopped at ${name})`);
    level = type.fields;
  }
  return level;
}
