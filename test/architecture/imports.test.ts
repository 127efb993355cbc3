import assert from "node:assert/strict";
import { resolve } from "node:path";
import { describe, it } from "node:test";
import { importEdges, importViolations } from "../support/imports.js";

const root = resolve(import.meta.dirname, "..", "..");

describe("import directions", () => {
  it("shared/ imports only downward: core ← graph ← archive ← lake ← pipeline (plan ← harvest ← curate ← operate) ← config", async () => {
    const edges = await importEdges(root, ["shared"]);
    assert.ok(edges.length > 50, `read ${edges.length} imports`);
    assert.deepEqual(importViolations(edges), []);
  });

  it("nothing in shared/ reaches into functions/, local/, sandbox/, scripts/, bench/ or test/", async () => {
    const edges = await importEdges(root, ["shared"]);
    assert.deepEqual(edges.filter((e) => !e.to.startsWith("shared/")), []);
  });

  it("flags a wrong-way import", () => {
    assert.deepEqual(importViolations([{ from: "shared/graph/graphClient.ts", to: "shared/pipeline/harvest/harvest.ts" }]), [
      "shared/graph/graphClient.ts imports shared/pipeline/harvest/harvest.ts (shared/graph may import shared/core, shared/graph)",
    ]);
    assert.equal(importViolations([{ from: "shared/archive/manifest.ts", to: "sandbox/server.ts" }]).length, 1);
  });

  it("the pipeline's moves import only the moves before them: plan ← harvest ← curate ← operate", () => {
    assert.deepEqual(importViolations([{ from: "shared/pipeline/plan/planning.ts", to: "shared/pipeline/harvest/harvest.ts" }]), [
      "shared/pipeline/plan/planning.ts imports shared/pipeline/harvest/harvest.ts (shared/pipeline/plan may import shared/core, shared/graph, shared/archive, shared/lake, shared/pipeline/plan)",
    ]);
    assert.equal(importViolations([{ from: "shared/pipeline/harvest/harvest.ts", to: "shared/pipeline/operate/statusReport.ts" }]).length, 1);
    assert.deepEqual(importViolations([{ from: "shared/pipeline/operate/statusReport.ts", to: "shared/pipeline/plan/coverage.ts" }]), []);
  });
});
