import assert from "node:assert/strict";
import { describe, it } from "node:test";
import functions from "@azure/functions";
import { makeHarvestHandler } from "../../functions/harvestHandler.js";
import { folderArchiveStore } from "../../shared/archive/archiveStore.js";
import { loadArchiverConfig } from "../../shared/config/config.js";
import { messageIdOf } from "../../shared/core/job.js";
import { createGraphRuntime } from "../../shared/graph/graphSetup.js";
import { defaultJobRetryOptions } from "../../shared/pipeline/harvest/jobRetryPolicy.js";
import type { PlannedJob } from "../../shared/pipeline/plan/planning.js";

const now = Date.parse("2026-12-03T12:00:00Z");
const body = { schemaVersion: 1, windowStart: "2026-11-25T00:00:00Z", windowEnd: "2026-11-26T00:00:00Z", pass: 1, source: "pstnCalls", attempt: 2, chain: "c20261203T1130Z-abc" };

describe("the telephony log lane", () => {
  it("sends a log job that finds the lane taken again for later, its attempt and chain kept, and completes it", async () => {
    const graph = createGraphRuntime(loadArchiverConfig({}));
    const sent: PlannedJob[] = [];
    const settled: string[] = [];
    const handler = makeHarvestHandler(() => ({
      graph,
      archive: folderArchiveStore("/nonexistent-never-read"),
      sender: { send: async (jobs) => void sent.push(...jobs) },
      clock: { now: () => now, sleep: async () => undefined },
      cloud: "Global",
      timeBudgetInMs: 60_000,
      concurrency: 4,
      jobRetry: defaultJobRetryOptions,
    }));
    const held = graph.tryBeginLogHarvest();
    assert.ok(held, "the lane is free at first");
    assert.equal(graph.tryBeginLogHarvest(), undefined, "one log harvest at a time");
    const settlement = { complete: async () => void settled.push("complete"), abandon: async () => void settled.push("abandon"), deadLetter: async () => void settled.push("deadLetter") };
    const result = await handler(body, settlement, new functions.InvocationContext({ invocationId: "t", functionName: "harvest", logHandler: () => undefined }));
    assert.equal(result.status, "deferred");
    assert.deepEqual(settled, ["complete"]);
    assert.equal(sent.length, 1);
    const [copy] = sent as [PlannedJob];
    assert.equal(messageIdOf(copy.job, copy.attempt, copy.resendTag), "pstn_20261125T0000Z_20261126T0000Z_p1_a2_d20261203T1200Z");
    assert.equal(copy.chain, "c20261203T1130Z-abc");
    const delay = (copy.notBeforeInMs ?? 0) - now;
    assert.ok(delay >= 30_000 && delay <= 300_000, `${delay} ms`);
    held();
    const again = graph.tryBeginLogHarvest();
    assert.ok(again, "freed");
    again();
  });
});
