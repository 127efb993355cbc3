import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, it } from "node:test";
import { archiveRoot } from "../../shared/archive/archiveLayout.js";
import { curatedRoot } from "../../shared/pipeline/curate/curateDay.js";
import { instancesPrefix } from "../../shared/pipeline/harvest/instanceRegistry.js";
import { sweepMemoryBlobName } from "../../shared/pipeline/plan/sweepMemoryStore.js";
import { watermarkBlobName } from "../../shared/pipeline/plan/watermarkStore.js";

// Paths and versions the documents and comments state, held to the constants the code uses, so a
// version bump or a new blob in a container cannot leave a stale sentence behind unnoticed.
const root = resolve(import.meta.dirname, "..", "..");
const sources = (folder: string, ext: RegExp): string[] =>
  readdirSync(join(root, folder), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && ext.test(e.name) && !e.parentPath.includes("node_modules"))
    .map((e) => relative(root, join(e.parentPath, e.name)));
const files = ["README.md", ...sources("docs", /\.md$/), ...sources("infra", /\.(bicep|mjs)$/), ...sources("functions", /\.ts$/), ...sources("shared", /\.(ts|md)$/), ...sources("scripts", /\.ts$/), ...sources("lake", /\.sql$/), ...sources("local", /\.ts$/)];

describe("documented paths agree with the code's constants", () => {
  it(`every curated/vN is ${curatedRoot}, unless the same line says it is an earlier release's`, () => {
    const stale: string[] = [];
    for (const file of files) {
      readFileSync(join(root, file), "utf8").split("\n").forEach((line, i) => {
        for (const [path] of line.matchAll(/curated\/v\d+/g)) {
          if (path !== curatedRoot && !/earlier release|older schema|from earlier/.test(line)) stale.push(`${file}:${i + 1}: ${path}`);
        }
      });
    }
    assert.deepEqual(stale, []);
  });

  it(`every callrecords/vN is ${archiveRoot}`, () => {
    const stale = files.flatMap((file) => [...readFileSync(join(root, file), "utf8").matchAll(/callrecords\/v\d+/g)].filter(([p]) => p !== archiveRoot).map(([p]) => `${file}: ${p}`));
    assert.deepEqual(stale, []);
  });

  it("the state container's row names every blob the code keeps there", () => {
    const row = readFileSync(join(root, "docs", "configuration.md"), "utf8").split("\n").find((line) => line.startsWith("| `ARCHIVER_STATE_CONTAINER` |")) ?? "";
    for (const name of [watermarkBlobName, sweepMemoryBlobName, instancesPrefix]) assert.ok(row.includes(`\`${name}\``), `${name} is not named: ${row}`);
  });
});
