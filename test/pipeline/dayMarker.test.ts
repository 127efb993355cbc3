import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { BlobServiceClient } from "@azure/storage-blob";
import { type Azurite, startAzurite } from "../../local/azurite.js";
import { manifestBlobName } from "../../shared/archive/archiveLayout.js";
import { blobArchiveStore } from "../../shared/archive/archiveStore.js";
import { loadArchiverConfig } from "../../shared/config/config.js";
import { systemClock } from "../../shared/core/clock.js";
import type { Job } from "../../shared/core/job.js";
import { dayInMs, hourInMs, splitWindow } from "../../shared/core/window.js";
import { createGraphRuntime } from "../../shared/graph/graphSetup.js";
import { newGraphCounters } from "../../shared/graph/graphCounters.js";
import type { ArchivedManifest } from "../../shared/pipeline/plan/coverage.js";
import { dayCompletion, dayMarkerName } from "../../shared/pipeline/harvest/dayMarker.js";
import { harvest } from "../../shared/pipeline/harvest/harvest.js";
import { type Sandbox, startSandbox } from "../../sandbox/server.js";
import { ManualClock } from "../../sandbox/tenant.js";
import { sandboxEnv } from "../support/graph.js";
import { hourlyPlan } from "../support/planSettings.js";
import { finalPass } from "../../shared/core/passes.js";

const plan = hourlyPlan(48);
const day = Date.parse("2026-11-02T00:00:00Z");
const hours = (pass: (start: number) => number) =>
  Array.from({ length: 24 }, (_, h): Job => {
    const window = { startInMs: day + h * hourInMs, endInMs: day + (h + 1) * hourInMs };
    return { window, pass: pass(window.startInMs) };
  });
const finalOf = (start: number) => finalPass({ startInMs: start, endInMs: start + hourInMs }, plan);
const complete = (jobs: Job[]): ArchivedManifest[] => jobs.map((job) => ({ job, status: "complete", records: 2, bytes: 10 }));

describe("a day's completion", () => {
  it("the final pass is the last re-read Graph's 30 days leave room for (20 days for the default offsets)", () => {
    assert.equal(finalOf(day), 5);
  });

  it("is final when every window of the day has its final pass, split halves followed down", () => {
    const all = hours(finalOf);
    assert.equal(dayCompletion(day, complete(all), plan).final, true);
    assert.equal(dayCompletion(day, complete(all.slice(1)), plan).final, false);
    const [first, ...rest] = all as [Job, ...Job[]];
    const [a, b] = splitWindow(first.window);
    const split: ArchivedManifest[] = [{ job: first, status: "split" }, ...complete([{ window: a, pass: first.pass }, ...rest])];
    assert.equal(dayCompletion(day, split, plan).final, false, "a split window's missing half");
    assert.equal(dayCompletion(day, [...split, ...complete([{ window: b, pass: first.pass }])], plan).final, true);
  });
});

describe("the day's marker, written by the harvest of the day's last final pass", () => {
  // The harvest's "now" is the sandbox's: the day stays within Graph's 30 days whatever today is.
  const dataClock = new ManualClock(day + 25 * dayInMs);
  let azurite: Azurite;
  let sandbox: Sandbox;
  before(async () => {
    [azurite, sandbox] = await Promise.all([startAzurite(), startSandbox({ clock: dataClock, callsPerDay: 100, throttle: false })]);
  });
  after(async () => {
    await Promise.all([azurite.stop(), sandbox.close()]);
  });

  it("appears with the day's counts when the last window's final pass is archived, and not before", async () => {
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient("marker");
    await container.create();
    const archive = blobArchiveStore(container);
    const manifest = JSON.stringify({ schemaVersion: 1, status: "complete", records: [] });
    const metadata = { status: "complete", records: "2", bytes: "10" };
    const last = hours(finalOf).at(-1) as Job;
    for (const job of [...hours(() => 4), ...hours(finalOf).slice(0, -1)]) await archive.createText(manifestBlobName(job), manifest, "application/json", metadata);
    assert.equal(await archive.read(dayMarkerName(day)), undefined);

    const counters = newGraphCounters();
    const outcome = await harvest(last, {
      graph: createGraphRuntime(loadArchiverConfig(sandboxEnv(sandbox)), { ca: sandbox.ca }).newClient(counters),
      counters,
      archive,
      clock: { now: () => dataClock.now(), sleep: systemClock.sleep },
      cloud: "Global",
      timeBudgetInMs: 600_000,
      concurrency: () => 4,
      enqueue: async () => undefined,
      plan,
    });
    assert.equal(outcome.status, "harvested");
    const marker = JSON.parse(((await archive.read(dayMarkerName(day))) ?? Buffer.from("{}")).toString()) as { final: boolean; day: string; windows: number; manifests: number; passes: number[] };
    assert.deepEqual([marker.final, marker.day, marker.windows, marker.manifests, marker.passes], [true, "2026-11-02", 24, 48, [4, 5]]);
    assert.equal(dayMarkerName(day), "callrecords/v1/year=2026/month=11/day=02/_SUCCESS.json");
  });
});
