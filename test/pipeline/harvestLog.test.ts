/**
 * A telephony log's harvest against the sandbox over HTTPS, on a folder archive: the boundary rows
 * (every sandbox day has one at exactly midnight), paging, re-reads of late and changed rows, and a
 * tenant without a log.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { type ArchiveStore, folderArchiveStore } from "../../shared/archive/archiveStore.js";
import { dataLinesOf } from "../../shared/archive/dataLines.js";
import { rowOfLine } from "../../shared/archive/logManifest.js";
import { dataBlobName } from "../../shared/archive/archiveLayout.js";
import { defaultLogPlan, loadArchiverConfig } from "../../shared/config/config.js";
import { systemClock } from "../../shared/core/clock.js";
import type { LogSourceName } from "../../shared/core/sources.js";
import { dayInMs } from "../../shared/core/window.js";
import type { GraphRuntime } from "../../shared/graph/graphSetup.js";
import { newGraphCounters } from "../../shared/graph/graphCounters.js";
import { type LogHarvestOutcome, harvestLog } from "../../shared/pipeline/harvest/harvestLog.js";
import { classifyJobFailure } from "../../shared/pipeline/harvest/jobRetryPolicy.js";
import { dayMarkerName } from "../../shared/pipeline/harvest/dayMarker.js";
import { ManualClock } from "../../sandbox/tenant.js";
import type { Sandbox, SandboxOptions } from "../../sandbox/server.js";
import { withSandbox } from "../support/graph.js";
import { fixedTokens } from "../support/stubTransport.js";
import { GraphClient } from "../../shared/graph/graphClient.js";
import type { HttpTransport } from "../../shared/graph/httpTransport.js";
import { RequestGovernor } from "../../shared/graph/requestGovernor.js";

const day1 = Date.parse("2026-11-20T00:00:00Z");
const day2 = day1 + dayInMs;

async function withLogs(options: SandboxOptions, body: (s: { sandbox: Sandbox; archive: ArchiveStore; clock: ManualClock; run: (source: LogSourceName, startInMs: number, pass: number) => Promise<LogHarvestOutcome> }) => Promise<void>) {
  const folder = await mkdtemp(join(tmpdir(), "archiver-logs-"));
  const clock = new ManualClock(day2 + dayInMs + 2 * dayInMs);
  const archive = folderArchiveStore(folder);
  try {
    await withSandbox({ clock, throttle: false, emptyPageRate: 0, ...options }, {}, async (sandbox: Sandbox, runtime: GraphRuntime) => {
      const run = (source: LogSourceName, startInMs: number, pass: number) => {
        const counters = newGraphCounters();
        return harvestLog(
          { window: { startInMs, endInMs: startInMs + dayInMs }, pass, source },
          { graph: runtime.newClient(counters), counters, archive, clock: { now: () => clock.now(), sleep: systemClock.sleep }, cloud: "Global", plan: defaultLogPlan(source) },
        );
      };
      await body({ sandbox, archive, clock, run });
    });
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** Every line the log's passes of a day wrote. */
async function linesOf(archive: ArchiveStore, source: LogSourceName, startInMs: number, passes: number): Promise<Record<string, unknown>[]> {
  const lines: Record<string, unknown>[] = [];
  for (let pass = 0; pass < passes; pass += 1) {
    const name = dataBlobName({ window: { startInMs, endInMs: startInMs + dayInMs }, pass, source });
    const blob = await archive.readStream(name);
    if (blob) for await (const line of dataLinesOf(name, blob)) lines.push(line);
  }
  return lines;
}

const manifestOf = (outcome: LogHarvestOutcome) => {
  assert.ok("manifest" in outcome, `expected a manifest, got ${outcome.status}`);
  return outcome.manifest;
};

describe("a telephony log's harvest", () => {
  it("archives a row starting exactly at midnight once, in the day it starts, under either end convention", async () => {
    await withLogs({ logs: { rowsPerDay: 12 } }, async ({ sandbox, archive, run }) => {
      for (const source of ["pstnCalls", "directRoutingCalls"] as const) {
        const first = manifestOf(await run(source, day1, 0));
        const second = manifestOf(await run(source, day2, 0));
        // PSTN's toDateTime is inclusive: day 1's answer also holds day 2's midnight row, left to day 2.
        assert.equal(first.outsideWindow, source === "pstnCalls" ? 1 : 0, source);
        assert.equal(first.rowsAnswered, source === "pstnCalls" ? 13 : 12, source);
        assert.equal(first.recordCount, 12, source);
        assert.equal(second.recordCount, 12, source);
        const both = [...(await linesOf(archive, source, day1, 1)), ...(await linesOf(archive, source, day2, 1))];
        const starts = both.map((l) => l.startDateTime as string);
        assert.equal(starts.filter((s) => s === "2026-11-21T00:00:00.0000000Z").length, 1, `${source}: day 2's midnight row, once`);
        assert.equal(starts.filter((s) => s === "2026-11-20T00:00:00.0000000Z").length, 1, `${source}: day 1's midnight row, once`);
        const midnight2 = both.find((l) => l.startDateTime === "2026-11-21T00:00:00.0000000Z") as { _archive: { window: { start: string } } };
        assert.equal(midnight2._archive.window.start, "2026-11-21T00:00:00Z");
        const truth = sandbox.logs.groundTruth(source, day1, day2 + dayInMs).map((r) => r.id as string).sort();
        assert.deepEqual(both.map((l) => l.id as string).sort(), truth);
      }
    });
  });

  it("follows Graph's $skip pages to the last row", async () => {
    await withLogs({ logs: { rowsPerDay: 2_345 } }, async ({ archive, clock, run }) => {
      // Six days on, every row has appeared (the latest come four days after their call).
      clock.set(day1 + 6 * dayInMs);
      const outcome = manifestOf(await run("directRoutingCalls", day1, 0));
      assert.equal(outcome.graph.pages, 3);
      assert.equal(outcome.recordCount, 2_345);
      assert.equal(new Set((await linesOf(archive, "directRoutingCalls", day1, 1)).map((l) => l.id)).size, 2_345);
    });
  });

  it("re-reads a day: writes only the rows that arrived late or changed, and the passes together hold what Graph holds", async () => {
    await withLogs({ logs: { rowsPerDay: 400 } }, async ({ sandbox, archive, clock, run }) => {
      clock.set(day1 + dayInMs + 48 * 3_600_000);
      const heldThen = sandbox.logs.groundTruth("pstnCalls", day1, day2).length;
      const first = manifestOf(await run("pstnCalls", day1, 0));
      assert.equal(first.recordCount, heldThen);
      assert.ok(heldThen < 400, `some rows arrive after 48 h (${heldThen} of 400 by then)`);
      await assert.rejects(run("pstnCalls", day1, 2), (error) => classifyJobFailure(error).reason === "WaitingForEarlierPass");
      clock.set(day1 + dayInMs + 7 * dayInMs);
      const second = manifestOf(await run("pstnCalls", day1, 1));
      const truth = sandbox.logs.groundTruth("pstnCalls", day1, day2);
      assert.equal(truth.length, 400);
      const lines = await linesOf(archive, "pstnCalls", day1, 2);
      // Late rows and changed (re-rated) rows are written again; the rest are counted unchanged.
      assert.equal(second.recordCount + second.unchanged, 400);
      assert.ok(second.recordCount > 400 - heldThen, "some rows changed after pass 0 read them");
      // The last line per id is Graph's row now.
      const last = new Map<string, Record<string, unknown>>();
      for (const line of lines) last.set(line.id as string, line);
      for (const row of truth) {
        assert.deepEqual(rowOfLine(last.get(row.id as string) ?? {}), row);
      }
      // The day is final only after its final pass (the re-read 30 days on).
      assert.equal(await archive.read(dayMarkerName(day1, { source: "pstnCalls" })), undefined);
      const third = manifestOf(await run("pstnCalls", day1, 2));
      const marker = JSON.parse(String(await archive.read(dayMarkerName(day1, { source: "pstnCalls" })))) as { final: boolean; passes: number[] };
      assert.deepEqual([marker.final, marker.passes], [true, [0, 1, 2]]);
      assert.equal(third.recordCount, 0);
      assert.equal(third.dataBlob, undefined);
      assert.equal((await run("pstnCalls", day1, 2)).status, "alreadyDone");
    });
  });

  it("records a tenant without PSTN calling as such; a missing permission fails by name", async () => {
    await withLogs({ logs: { rowsPerDay: 12, unsupported: ["pstnCalls"], forbidden: ["directRoutingCalls"] } }, async ({ archive, run }) => {
      const outcome = await run("pstnCalls", day1, 0);
      assert.equal(outcome.status, "unsupported");
      assert.deepEqual(manifestOf(outcome).unsupported, { status: 404, code: "NotFound" });
      assert.deepEqual(await linesOf(archive, "pstnCalls", day1, 1), []);
      await assert.rejects(run("directRoutingCalls", day1, 0), (error) => {
        const failure = classifyJobFailure(error);
        assert.equal(failure.reason, "GraphForbidden");
        assert.equal(failure.permanent, true);
        return true;
      });
    });
  });
});

describe("a Graph-compatible endpoint without the logs", () => {
  it("records the log as unsupported on 404, 405, 501 and 400 'Resource not found for the segment', and fails by name on any other 400", async () => {
    const folder = await mkdtemp(join(tmpdir(), "archiver-logs-endpoint-"));
    try {
      const config = loadArchiverConfig({}).graph;
      const answers: [number, string, string][] = [
        [404, "NotFound", "no such function"],
        [405, "MethodNotAllowed", "no"],
        [501, "NotImplemented", "no"],
        [400, "BadRequest", "Resource not found for the segment 'getPstnCalls'."],
        [400, "BadRequest", "The date range cannot be more than 90 days."],
      ];
      const outcomes: string[] = [];
      for (const [index, [status, code, message]] of answers.entries()) {
        const transport: HttpTransport = { get: async () => ({ status, headers: {}, body: JSON.stringify({ error: { code, message } }) }) };
        const counters = newGraphCounters();
        const graph = new GraphClient(config, { tokens: fixedTokens(), transport, governor: new RequestGovernor({ requests: 1000, windowInMs: 1000 }, systemClock), clock: systemClock, counters });
        const window = { startInMs: day1 + index * dayInMs, endInMs: day1 + (index + 1) * dayInMs };
        const run = harvestLog({ window, pass: 0, source: "pstnCalls" }, { graph, counters, archive: folderArchiveStore(folder), clock: { now: () => day1 + 10 * dayInMs, sleep: systemClock.sleep }, cloud: "Global", plan: defaultLogPlan("pstnCalls") });
        outcomes.push(await run.then((o) => o.status, (error: unknown) => classifyJobFailure(error).reason));
      }
      assert.deepEqual(outcomes, ["unsupported", "unsupported", "unsupported", "unsupported", "GraphBadRequest"]);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
