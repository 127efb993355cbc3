import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadArchiverConfig } from "../../shared/config/config.js";
import { createGraphRuntime } from "../../shared/graph/graphSetup.js";

describe("records in flight, shared by the harvests of one process", () => {
  it("divides the process's number among the harvests running, each keeping the floor", () => {
    // A pace high enough that the process's number is its cap, 64.
    const runtime = createGraphRuntime(loadArchiverConfig({ ARCHIVER_GRAPH_RATE_REQUESTS: "100000" }));
    const ends = [runtime.beginHarvest()];
    assert.equal(runtime.suggestedConcurrency(8, 64), 64);
    for (let i = 0; i < 3; i += 1) ends.push(runtime.beginHarvest());
    assert.equal(runtime.suggestedConcurrency(8, 64), 16, "four harvests in one worker took 64 each");
    assert.equal(runtime.suggestedConcurrency(20, 64), 20, "the floor is per harvest");
    for (const end of ends.slice(1)) end();
    ends[1]?.();
    assert.equal(runtime.suggestedConcurrency(8, 64), 64, "an end counted twice, or not at all");
  });
});
