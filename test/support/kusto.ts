/**
 * Microsoft's Kusto language service (npm @kusto/language-service-next, the engine behind Azure
 * Data Explorer's and the portal's query editors): parses and checks a query against the columns
 * Azure Monitor documents for the tables it reads (test/fixtures/azure-monitor/tables.json).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fixturesRoot } from "./fixtures.js";
import { resolve } from "node:path";

// The package is Bridge.NET output that defines globals; only what these checks call is typed.
interface KustoDiagnostic {
  readonly Severity: string;
  readonly Code: string;
  readonly Message: string;
  readonly Start: number;
}
interface KustoList<T> {
  readonly Count: number;
  getItem(index: number): T;
}
interface KustoLanguage {
  Symbols: {
    TableSymbol: { From(schema: string): { WithName(name: string): unknown } };
    DatabaseSymbol: { ctor: new (name: string, members: unknown[]) => unknown };
  };
  GlobalState: { Default: { WithDatabase(database: unknown): unknown } };
  KustoCode: { ParseAndAnalyze(text: string, globals: unknown): { GetDiagnostics(): KustoList<KustoDiagnostic> } };
}

const require = createRequire(import.meta.url);
require("@kusto/language-service-next/bridge.min.js");
require("@kusto/language-service-next/Kusto.Language.Bridge.min.js");
const language = (globalThis as unknown as { Kusto: { Language: KustoLanguage } }).Kusto.Language;

interface DocumentedTables {
  readonly tables: Record<string, Record<string, string>>;
}
export const documentedTables = (JSON.parse(readFileSync(resolve(fixturesRoot, "azure-monitor", "tables.json"), "utf8")) as DocumentedTables).tables;

const globals = language.GlobalState.Default.WithDatabase(
  new language.Symbols.DatabaseSymbol.ctor(
    "monitor",
    Object.entries(documentedTables).map(([name, columns]) =>
      language.Symbols.TableSymbol.From(`(${Object.entries(columns).map(([column, type]) => `['${column}']:${type}`).join(", ")})`).WithName(name),
    ),
  ),
);

/** Every error and warning the language service finds in the query, as `KS142 message (at 15)`. */
export function kustoProblems(query: string): string[] {
  const diagnostics = language.KustoCode.ParseAndAnalyze(query, globals).GetDiagnostics();
  const problems: string[] = [];
  for (let i = 0; i < diagnostics.Count; i++) {
    const d = diagnostics.getItem(i);
    if (d.Severity === "Error" || d.Severity === "Warning") problems.push(`${d.Code} ${d.Message} (at ${d.Start})`);
  }
  return problems;
}

/** StorageBlobLogs' documented operation names (test/fixtures/azure-monitor/storage-logged-operations.json). */
export const storageOperations = (() => {
  const ops = JSON.parse(readFileSync(resolve(fixturesRoot, "azure-monitor", "storage-logged-operations.json"), "utf8")) as { blob: string[]; dataLake: string[] };
  return new Set([...ops.blob, ...ops.dataLake]);
})();
