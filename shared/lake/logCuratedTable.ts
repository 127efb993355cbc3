/**
 * A telephony log's curated table: one row per log row (the last line archived for it), a column
 * per field of its schema (telephonyLogSchema.ts) typed by the one coercion rule, as the curated
 * call record tables are (curatedTables.ts: timestamps in microseconds), and the pass that wrote it.
 */
import type { LogSourceName } from "../core/sources.js";
import { asInteger } from "./coercion.js";
import { type CuratedColumn, type CuratedValue, curatedTypeOf, readers } from "./curatedTables.js";
import { ruleOf } from "./flatColumns.js";
import { logRowFields } from "./telephonyLogSchema.js";

const scalarFields = (source: LogSourceName) => logRowFields[source].filter((f) => f.type.kind !== "struct" && f.type.kind !== "list");

export const logTableColumns = (source: LogSourceName): CuratedColumn[] => [
  ...scalarFields(source).map((f) => ({ name: f.name, type: curatedTypeOf[ruleOf(f.type)] })),
  { name: "archivePass", type: "bigint" },
];

export function logTableRow(source: LogSourceName, line: Readonly<Record<string, unknown>>): CuratedValue[] {
  const archive = line._archive !== null && typeof line._archive === "object" ? (line._archive as Record<string, unknown>) : {};
  return [...scalarFields(source).map((f) => readers[ruleOf(f.type)](line[f.name])), asInteger(archive.pass)];
}
