import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import functions from "@azure/functions";
import { makeHarvestHandler } from "../../functions/harvestHandler.js";
import { folderArchiveStore } from "../../shared/archive/archiveStore.js";
import { loadArchiverConfig } from "../../shared/config/config.js";
import { systemClock } from "../../shared/core/clock.js";
import { jobBody } from "../../shared/core/job.js";
import { hourInMs } from "../../shared/core/window.js";
import { defaultJobRetryOptions } from "../../shared/pipeline/harvest/jobRetryPolicy.js";
import { createGraphRuntime } from "../../shared/graph/graphSetup.js";
import { startSandbox } from "../../sandbox/server.js";
import { sandboxEnv } from "../support/graph.js";

// The worker is told to stop (appTerminate) while a harvest waits out a 30-s Retry-After on the
// real clock: the wait ends at once, nothing partial is written, nothing is re-sent through the
// closing sender, and the message is abandoned so that Service Bus delivers it again.
// A settled six-hour window of yesterday, aligned to its length: the real clock drives the harvest.
const sixHours = 6 * hourInMs;
const job = { window: { startInMs: Math.floor(Date.now() / sixHours) * sixHours - 4 * sixHours, endInMs: Math.floor(Date.now() / sixHours) * sixHours - 3 * sixHours }, pass: 0 };

describe("a harvest stopped by the host while it waits on Graph's Retry-After", () => {
  it("ends within a second, writes no blob, re-sends nothing and abandons its message", async () => {
    // Records are read and written for the first 12 requests; from then on Graph answers 429, Retry-After 30 s.
    const sandbox = await startSandbox({ callsPerDay: 300, throttle: false, emptyPageRate: 0, faults: { failAfterRequests: { after: 12, status: 429, retryAfterSeconds: 30 } } });
    const root = await mkdtemp(join(tmpdir(), "archive-shutdown-"));
    try {
      const graph = createGraphRuntime(loadArchiverConfig(sandboxEnv(sandbox, { ARCHIVER_GRAPH_PAGE_SIZE: "5", ARCHIVER_GRAPH_MAX_ATTEMPTS: "5" })), { ca: sandbox.ca });
      const shutdown = new AbortController();
      const sent: unknown[] = [];
      const settled: string[] = [];
      const handler = makeHarvestHandler(() => ({
        graph,
        archive: folderArchiveStore(root),
        sender: { send: async (jobs) => void sent.push(...jobs) },
        clock: systemClock,
        cloud: "Global",
        timeBudgetInMs: 600_000,
        concurrency: 4,
        jobRetry: defaultJobRetryOptions,
        signal: shutdown.signal,
      }));
      const context = new functions.InvocationContext({ invocationId: "t", functionName: "harvest", logHandler: () => undefined });
      const run = handler(
        jobBody(job),
        { complete: async () => void settled.push("complete"), abandon: async () => void settled.push("abandon"), deadLetter: async () => void settled.push("deadLetter") },
        context,
      );
      const settledEarly = run.then((r) => r);
      for (let i = 0; sandbox.stats.throttled === 0; i += 1) {
        if (i > 500) assert.fail(`Graph never throttled: ${JSON.stringify(await Promise.race([settledEarly, "running"]))}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      const stoppedAt = Date.now();
      shutdown.abort(new Error("the Functions host is stopping this worker"));
      const result = await run;
      const tookInMs = Date.now() - stoppedAt;
      assert.ok(tookInMs < 1000, `the harvest took ${tookInMs} ms to stop`);
      assert.equal(result.status, "abandoned");
      assert.deepEqual(settled, ["abandon"]);
      assert.deepEqual(sent, [], "a job was re-sent while the worker stopped");
      const files = await readdir(root, { recursive: true }).catch(() => []);
      assert.deepEqual(files.filter((f) => /\.(jsonl\.gz|json)$/.test(f)), [], "something was written");
    } finally {
      await sandbox.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});
