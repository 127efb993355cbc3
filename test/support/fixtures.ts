/** Test data from outside the project (test/fixtures/README.md names each file's source). */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

export const fixturesRoot = resolve(import.meta.dirname, "..", "fixtures");

/** Path of one of Graph's documented example responses. */
export const graphFixturePath = (name: string): string => resolve(fixturesRoot, "graph", name);

/** One of Graph's documented example responses, parsed, with its `$metadata#` nextLink slip left as it is. */
export const graphFixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(graphFixturePath(name), "utf8")) as Record<string, unknown>;

/** index.json of the Microsoft Graph Bicep extension's type files, for `bicep publish-extension`. */
export const graphBicepTypesIndex = resolve(fixturesRoot, "bicep-types", "microsoftgraph-v1.0-1.0.0", "index.json");
