import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { type LocalRunOptions, type LocalRunSummary, describePaces, runLocal } from "../../local/run.js";
import { folderArchiveStore } from "../../shared/archive/archiveStore.js";
import { loadArchiverConfig, loadPipelineConfig } from "../../shared/config/config.js";
import { systemClock } from "../../shared/core/clock.js";
import { hourInMs } from "../../shared/core/window.js";
import { createGraphRuntime } from "../../shared/graph/graphSetup.js";
import { memoryWatermarkStore } from "../../shared/pipeline/plan/watermarkStore.js";
import { type SandboxOptions, startSandbox } from "../../sandbox/server.js";
import { callsPerDayFor } from "../../sandbox/generator.js";
import { sandboxEnv } from "../support/graph.js";

/** A local run of the two settled hours before the last, against a sandbox with `sandboxOptions`. */
async function runTwoHours(sandboxOptions: SandboxOptions, settings: Record<string, string>, options: Partial<LocalRunOptions> = {}): Promise<LocalRunSummary> {
  const hour = Math.floor(Date.now() / hourInMs) * hourInMs;
  const sandbox = await startSandbox({ throttle: false, ...sandboxOptions });
  const folder = await mkdtemp(join(tmpdir(), "progress-"));
  try {
    const env = sandboxEnv(sandbox, settings);
    const archiverConfig = loadArchiverConfig(env);
    return await runLocal({
      archiverConfig,
      pipeline: loadPipelineConfig(env),
      graph: createGraphRuntime(archiverConfig, { ca: sandbox.ca }),
      archive: folderArchiveStore(folder),
      watermarks: memoryWatermarkStore({ nextWindowStartInMs: hour - 4 * hourInMs }),
      clock: systemClock,
      planClock: { now: () => hour - 2 * hourInMs + hourInMs, sleep: systemClock.sleep },
      ...options,
    });
  } finally {
    await sandbox.close();
    await rm(folder, { recursive: true, force: true });
  }
}

// A local run that waits says on what: a Graph outage fails the jobs, their re-sends are due in a
// few seconds, and nothing else happens meanwhile.
describe("npm start's progress while it waits", () => {
  it("a quiet spell prints what the run waits on: harvests running, Graph's pace, the next re-send due", async () => {
    const lines: string[] = [];
    const summary = await runTwoHours(
      { seed: "progress", callsPerDay: 60, faults: { outage: { fromInMs: 0, toInMs: Date.now() + 2_500 } } },
      { ARCHIVER_GRAPH_MAX_ATTEMPTS: "1", ARCHIVER_JOB_RETRY_BASE_MS: "3000", ARCHIVER_JOB_RETRY_MAX_MS: "3000" },
      { onProgress: (line) => lines.push(line), quietInMs: 800 },
    );
    assert.equal(summary.deadLetters.length, 0);
    assert.ok(summary.retries > 0, "no job was re-sent");
    const waiting = lines.filter((l) => l.startsWith("… waiting: "));
    assert.ok(waiting.length > 0, lines.join("\n"));
    assert.match(waiting[0] ?? "", /^… waiting: \d+ harvests? running; Graph pace: app [\d.]+ requests\/s, listing unpaced, each record after its own Retry-After; 429s: 0 from our pace, 0 not; \d+ failed jobs? re-sent, the next due at \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    assert.ok(summary.harvestSeconds > 1);
  });

  it("the time spent waiting on Graph adds up: wall time with some request held by a Retry-After, never more than the run", async () => {
    // 429 storms of 100 ms every 300 ms, every other one with a Retry-After: many requests wait side by side.
    // About 60 calls in the two hours whatever the hour (240 a day met no storm on a quiet evening).
    const hour = Math.floor(Date.now() / hourInMs) * hourInMs;
    const callsPerDay = callsPerDayFor(60, hour - 4 * hourInMs, hour - 2 * hourInMs);
    const summary = await runTwoHours({ seed: "waited", callsPerDay, faults: { storms: { everyInMs: 300, lengthInMs: 100 } } }, {});
    assert.equal(summary.deadLetters.length, 0);
    const summed = summary.graph.throttledInMs / 1000;
    assert.ok(summary.graph.retries.throttled > 0, "no request was throttled");
    assert.ok(summary.waitedOnGraphSeconds > 0, "no wait on Graph was counted");
    assert.ok(summary.waitedOnGraphSeconds <= summary.harvestSeconds, `${summary.waitedOnGraphSeconds} s waited in a ${summary.harvestSeconds} s run`);
    assert.ok(summary.waitedOnGraphSeconds <= summed + 0.001, `${summary.waitedOnGraphSeconds} s of wall time, ${summed} request-seconds`);
  });
});

describe("the pace line", () => {
  const at = Date.parse("2026-12-03T10:00:00Z");
  const none = { list: { caused: 0, suffered: 0 }, records: { caused: 0, suffered: 0 } };
  const rows: [string, Parameters<typeof describePaces>[0], Parameters<typeof describePaces>[1], string][] = [
    ["all flowing, listing not yet paced", { app: 75, list: undefined, appPausedForInMs: 0, listPausedForInMs: 0 }, none, "Graph pace: app 75.0 requests/s, listing unpaced, each record after its own Retry-After; 429s: 0 from our pace, 0 not"],
    [
      "listing learned and paused, 429s of both causes",
      { app: 75, list: 0.7, appPausedForInMs: 0, listPausedForInMs: 2_400 },
      { list: { caused: 1, suffered: 4 }, records: { caused: 0, suffered: 53 } },
      "Graph pace: app 75.0 requests/s, listing paused until 2026-12-03T10:00:03Z, each record after its own Retry-After; 429s: 1 from our pace, 57 not",
    ],
    ["the app paused, listing learned", { app: 56.25, list: 0.7, appPausedForInMs: 1_000, listPausedForInMs: 0 }, { list: { caused: 0, suffered: 0 }, records: { caused: 2, suffered: 0 } }, "Graph pace: app paused until 2026-12-03T10:00:01Z, listing learned at 0.70/s, each record after its own Retry-After; 429s: 2 from our pace, 0 not"],
  ];
  for (const [name, paces, throttles, line] of rows) it(name, () => assert.equal(describePaces(paces, throttles, at), line));
});
