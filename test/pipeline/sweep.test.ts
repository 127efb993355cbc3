import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import functions from "@azure/functions";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { type Azurite, startAzurite } from "../../local/azurite.js";
import { LocalQueue } from "../../local/queue.js";
import { makePlanHandler } from "../../functions/planHandler.js";
import { manifestBlobName } from "../../shared/archive/archiveLayout.js";
import { blobArchiveStore } from "../../shared/archive/archiveStore.js";
import { loadPipelineConfig } from "../../shared/config/config.js";
import { type Job, jobKey, messageIdOf } from "../../shared/core/job.js";
import { dayInMs, hourInMs, splitWindow } from "../../shared/core/window.js";
import { runPlanTick } from "../../shared/pipeline/plan/scheduler.js";
import { blobWatermarkStore } from "../../shared/pipeline/plan/watermarkStore.js";
import { sweptDays } from "../../shared/pipeline/plan/sweepMemory.js";
import { blobSweepMemoryStore } from "../../shared/pipeline/plan/sweepMemoryStore.js";
import type { Timer } from "@azure/functions";
import { dueJobs as dueJobsOf } from "../support/dueJobs.js";

const now = Date.parse("2026-11-27T12:20:00Z");
const clock = { now: () => now, sleep: async () => undefined };
// Day-long windows keep the archive small: 30 windows, a few passes each. Re-sends are tagged by
// the period of max(grace, window length): here the day, 2026-11-27T00:00Z.
const pipeline = loadPipelineConfig({ ARCHIVER_WINDOW_MINUTES: "1440", ARCHIVER_SWEEP_GRACE_MINUTES: "360" });
const plan = pipeline.plan;

let azurite: Azurite;
before(async () => {
  azurite = await startAzurite();
});
after(() => azurite.stop());

let containers = 0;
async function container(): Promise<ContainerClient> {
  const c = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(`sweep-${++containers}`);
  await c.create();
  return c;
}

const watermarkAt = Math.floor((now - plan.settleInMs) / dayInMs) * dayInMs;

/** Every (window, pass) overdue by now: what a healthy archiver has written. */
const dueJobs = (): Job[] => dueJobsOf(plan, now, watermarkAt, pipeline.sweep.graceInMs);

async function writeManifests(c: ContainerClient, jobs: readonly Job[], status: "complete" | "split" = "complete") {
  const store = blobArchiveStore(c);
  await Promise.all(jobs.map((job) => store.createText(manifestBlobName(job), JSON.stringify({ job: jobKey(job) }), "application/json", { status })));
}

async function tick(c: ContainerClient, state: ContainerClient) {
  const queue = new LocalQueue(5, () => now);
  const logs: string[] = [];
  const handler = makePlanHandler(() => ({
    watermarks: blobWatermarkStore(state),
    sender: queue,
    clock,
    plan,
    sweep: { archive: blobArchiveStore(c), settings: pipeline.sweep },
  }));
  const context = new functions.InvocationContext({ invocationId: "t", functionName: "plan", logHandler: (_level, ...args) => logs.push(args.join(" ")) });
  await handler({} as Timer, context);
  return { queue, logs };
}

async function stateWith(watermark: string | undefined): Promise<ContainerClient> {
  const state = await container();
  if (watermark !== undefined) await state.getBlockBlobClient("scheduler/watermark.json").upload(watermark, Buffer.byteLength(watermark));
  return state;
}

describe("the coverage sweep, run by the plan function", () => {
  it("re-sends exactly the missing (window, pass), with a fresh messageId, and logs what it did", async () => {
    const archive = await container();
    const all = dueJobs();
    const lost = all.find((j) => j.pass === 1) as Job;
    await writeManifests(archive, all.filter((j) => jobKey(j) !== jobKey(lost)));
    const { queue, logs } = await tick(archive, await stateWith(JSON.stringify({ nextWindowStart: new Date(watermarkAt).toISOString() })));
    const resent = queue.ready.map((m) => m.messageId);
    assert.deepEqual(resent, [messageIdOf(lost, 0, "s20261127T0000Z")]);
    const sweep = logs.find((l) => l.startsWith("sweep {"));
    assert.ok(sweep, logs.join("\n"));
    const fields = JSON.parse(sweep.slice("sweep ".length)) as { missing: number; resent: number; resentJobs: string[]; oldestMissingAgeHours: number };
    assert.equal(fields.missing, 1);
    assert.deepEqual(fields.resentJobs, [jobKey(lost)]);
    assert.equal(fields.oldestMissingAgeHours, Math.round(((now - lost.window.startInMs) / hourInMs) * 10) / 10);
  });

  it("finds the missing half of a split window from the listing's metadata, without reading manifests", async () => {
    const archive = await container();
    const all = dueJobs();
    const splitOne = all.find((j) => j.pass === 0) as Job;
    const [first] = splitWindow(splitOne.window);
    await writeManifests(archive, all.filter((j) => jobKey(j) !== jobKey(splitOne)));
    await writeManifests(archive, [splitOne], "split");
    await writeManifests(archive, [{ window: first, pass: 0 }]);
    const { queue } = await tick(archive, await stateWith(JSON.stringify({ nextWindowStart: new Date(watermarkAt).toISOString() })));
    const [, second] = splitWindow(splitOne.window);
    assert.deepEqual(queue.ready.map((m) => m.messageId), [messageIdOf({ window: second, pass: 0 }, 0, "s20261127T0000Z")]);
  });
});

describe("the coverage sweep's memory, in the state container", () => {
  /** One plan tick at `at`, the memory kept in `state`, onto a queue without duplicate detection (Service Bus Basic). */
  async function tickAt(at: number, archive: ContainerClient, state: ContainerClient) {
    const queue = new LocalQueue(5, () => at, { duplicateDetection: false });
    const logs: string[] = [];
    const handler = makePlanHandler(() => ({
      watermarks: blobWatermarkStore(state),
      sender: queue,
      clock: { now: () => at, sleep: async () => undefined },
      plan,
      sweep: { archive: blobArchiveStore(archive), settings: pipeline.sweep, memory: blobSweepMemoryStore(state) },
    }));
    await handler({} as Timer, new functions.InvocationContext({ invocationId: "t", functionName: "plan", logHandler: (_level, ...args) => logs.push(args.join(" ")) }));
    const line = logs.find((l) => l.startsWith("sweep {")) as string;
    const fields = JSON.parse(line.slice("sweep ".length)) as { missing: number; listedDays: number; fullListing: boolean };
    return { sent: queue.ready.map((m) => m.messageId), ...fields };
  }

  it("re-sends a missing job once in its resend period though every tick sees it, lists only what can have changed, and heals from a bad memory", async () => {
    const archive = await container();
    const all = dueJobs();
    // The newest re-read, so it is still inside Graph's 30 days a day later.
    const lost = all.filter((j) => j.pass === 1).at(-1) as Job;
    await writeManifests(archive, all.filter((j) => jobKey(j) !== jobKey(lost)));
    const state = await stateWith(JSON.stringify({ nextWindowStart: new Date(watermarkAt).toISOString() }));

    const first = await tickAt(now, archive, state);
    assert.deepEqual(first.sent, [messageIdOf(lost, 0, "s20261127T0000Z")]);
    assert.equal(first.fullListing, true);
    assert.equal(first.listedDays, sweptDays({ nowInMs: now, plannedUntilInMs: watermarkAt, plan, sweep: pipeline.sweep }).length);
    const memory = JSON.parse((await state.getBlockBlobClient("scheduler/sweep.json").downloadToBuffer()).toString()) as { resent: { jobs: string[] } };
    assert.deepEqual(memory.resent.jobs, [jobKey(lost)]);

    // 15 minutes later, the same period: still missing, not sent again, and only its day listed,
    // beside the two days the memory calls covered that each tick spot-checks.
    const second = await tickAt(now + 15 * 60_000, archive, state);
    assert.deepEqual(second.sent, []);
    assert.equal(second.missing, 1);
    assert.equal(second.fullListing, false);
    assert.equal(second.listedDays, 1 + 2);

    // The next day's period: sent again.
    const nextDay = await tickAt(now + dayInMs, archive, state);
    assert.deepEqual(nextDay.sent.filter((id) => id.startsWith(jobKey(lost))), [messageIdOf(lost, 0, "s20261128T0000Z")]);

    // An unreadable memory is no memory: every day listed, nothing thrown.
    await state.getBlockBlobClient("scheduler/sweep.json").upload("{oops", 5);
    const healed = await tickAt(now + dayInMs + 15 * 60_000, archive, state);
    assert.equal(healed.fullListing, true);
    assert.ok(healed.missing >= 1);
  });
});

describe("a watermark that is checked", () => {
  const cases: [string, string, RegExp][] = [
    ["empty", "", /sweep-\d+\/scheduler\/watermark\.json is unreadable: it is empty/],
    ["not JSON", "{nextWindowStart", /is unreadable: it is not JSON/],
    ["not an instant", JSON.stringify({ nextWindowStart: "yesterday" }), /nextWindowStart must be an ISO 8601 UTC instant/],
    ["not aligned", JSON.stringify({ nextWindowStart: "2026-11-20T07:00:00Z" }), /not aligned to the 1440-minute window length/],
    ["in the future", JSON.stringify({ nextWindowStart: "2026-12-05T00:00:00Z" }), /more than one window after now/],
    ["before Graph's retention", JSON.stringify({ nextWindowStart: "2026-10-01T00:00:00Z" }), /before Graph's 30-day retention/],
  ];
  for (const [what, content, message] of cases) {
    it(`fails the tick when it is ${what}, naming the blob and the problem`, async () => {
      const state = await stateWith(content);
      await assert.rejects(
        runPlanTick({ watermarks: blobWatermarkStore(state), sender: new LocalQueue(), clock, plan }),
        (error: Error) => error.name === "WatermarkError" && message.test(error.message) && error.message.includes(state.containerName),
      );
    });
  }
});
