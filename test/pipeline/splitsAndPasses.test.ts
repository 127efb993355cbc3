import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import functions from "@azure/functions";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { type Azurite, startAzurite } from "../../local/azurite.js";
import { LocalQueue } from "../../local/queue.js";
import { makeHarvestHandler } from "../../functions/harvestHandler.js";
import { blobArchiveStore } from "../../shared/archive/archiveStore.js";
import { manifestBlobName } from "../../shared/archive/archiveLayout.js";
import { parseManifest } from "../../shared/archive/manifest.js";
import { loadArchiverConfig, loadPipelineConfig } from "../../shared/config/config.js";
import { type Job, jobBody } from "../../shared/core/job.js";
import { dayInMs, hourInMs } from "../../shared/core/window.js";
import { createGraphRuntime } from "../../shared/graph/graphSetup.js";
import { newGraphCounters } from "../../shared/graph/graphCounters.js";
import { harvest } from "../../shared/pipeline/harvest/harvest.js";
import { type Sandbox, startSandbox } from "../../sandbox/server.js";
import { ManualClock } from "../../sandbox/tenant.js";
import { clockAt, sandboxEnv } from "../support/graph.js";

const now = Date.parse("2026-11-27T18:00:00Z");
// The harvests' "now": the fixed days stay within Graph's 30 days whatever today is.
const harvestClock = clockAt(now);
const dataClock = new ManualClock(now);
let azurite: Azurite;
let sandbox: Sandbox;
before(async () => {
  [azurite, sandbox] = await Promise.all([startAzurite(), startSandbox({ clock: dataClock, callsPerDay: 300, throttle: false })]);
});
after(async () => {
  await Promise.all([azurite.stop(), sandbox.close()]);
});

let containers = 0;
async function setup() {
  const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(`splits-${++containers}`);
  await container.create();
  const env = sandboxEnv(sandbox, { ARCHIVER_JOB_RETRY_BASE_MS: "20" });
  const archiverConfig = loadArchiverConfig(env);
  const pipeline = loadPipelineConfig(env);
  const graph = createGraphRuntime(archiverConfig, { ca: sandbox.ca });
  const archive = blobArchiveStore(container);
  return { container, graph, archive, pipeline };
}

type Parts = Awaited<ReturnType<typeof setup>>;
const context = () => new functions.InvocationContext({ invocationId: "t", functionName: "harvest", logHandler: () => undefined });

/** Delivers everything in the queue; `budgetFor` picks each job's time budget by its messageId. */
async function deliverAll(parts: Parts, queue: LocalQueue, budgetFor: (messageId: string) => number = () => 600_000): Promise<string[]> {
  const outcomes: string[] = [];
  await queue.drain(async (body, settlement, message) => {
    const handler = makeHarvestHandler(() => ({
      graph: parts.graph,
      archive: parts.archive,
      sender: queue,
      clock: harvestClock,
      cloud: "Global",
      timeBudgetInMs: budgetFor(message.messageId),
      concurrency: 4,
      jobRetry: parts.pipeline.jobRetry,
    }));
    const result = await handler(body, settlement, context());
    outcomes.push(`${message.messageId} ${result.status === "done" ? result.outcome.status : `${result.status} ${"reason" in result ? result.reason : ""}`}`);
  }, 2);
  return outcomes;
}

async function archived(container: ContainerClient): Promise<string[]> {
  const lines: string[] = [];
  for await (const blob of container.listBlobsFlat({ prefix: "callrecords/v1/" })) {
    if (!blob.name.endsWith(".jsonl.gz")) continue;
    const gz = await container.getBlockBlobClient(blob.name).downloadToBuffer();
    for (const line of gunzipSync(gz).toString("utf8").split("\n")) {
      if (!line) continue;
      const { id, version } = JSON.parse(line) as { id: string; version: number };
      lines.push(`${id}@${version}`);
    }
  }
  return lines.sort();
}

const duplicates = (lines: readonly string[]) => lines.filter((line, i) => lines.indexOf(line) !== i);

describe("splits without duplicates", () => {
  const job: Job = { window: { startInMs: Date.parse("2026-11-26T09:00:00Z"), endInMs: Date.parse("2026-11-26T12:00:00Z") }, pass: 0 };

  it("a split recorded but whose halves were never sent: the next delivery sends them, and the window is archived once", async () => {
    const parts = await setup();
    const counters = newGraphCounters();
    // The harvester dies after writing the split manifest, before sending the halves.
    await assert.rejects(
      harvest(job, {
        graph: parts.graph.newClient(counters),
        counters,
        archive: parts.archive,
        clock: harvestClock,
        cloud: "Global",
        timeBudgetInMs: -1,
        concurrency: () => 4,
        enqueue: async () => Promise.reject(new Error("Service Bus unreachable")),
      }),
      /Service Bus unreachable/,
    );
    const split = parseManifest((await parts.container.getBlockBlobClient(manifestBlobName(job)).downloadToBuffer()).toString(), manifestBlobName(job));
    assert.equal(split.status, "split");

    // As the default deployment's Service Bus Basic: no duplicate detection.
    const queue = new LocalQueue(5, Date.now, { duplicateDetection: false });
    queue.sendRaw("redelivery", jobBody(job));
    const outcomes = await deliverAll(parts, queue);
    assert.equal(outcomes[0], "redelivery alreadyDone");
    assert.equal(outcomes.filter((o) => o.endsWith(" harvested")).length, 2, outcomes.join("\n"));
    const lines = await archived(parts.container);
    const truth = sandbox.tenant.groundTruth(job.window.startInMs, job.window.endInMs);
    assert.deepEqual(lines, truth.map((t) => `${t.id}@${t.version}`).sort());

    // Once both halves are archived, a late duplicate of the whole window sends nothing more: no
    // queue tier is relied on to drop repeated halves.
    queue.sendRaw("late duplicate", jobBody(job));
    assert.deepEqual(await deliverAll(parts, queue), ["late duplicate alreadyDone"]);
  });

  it("a delivery of the whole window that committed before the split was recorded: the halves archive nothing again", async () => {
    const parts = await setup();
    const queue = new LocalQueue();
    queue.sendRaw("whole", jobBody(job));
    await deliverAll(parts, queue);
    // The race: that delivery's data blob is committed, but another delivery recorded a split first.
    await parts.container.getBlockBlobClient(manifestBlobName(job)).delete();
    const counters = newGraphCounters();
    const halves: Job[] = [];
    const racing = await harvest(job, {
      graph: parts.graph.newClient(counters),
      counters,
      archive: {
        ...parts.archive,
        read: async (name) => (name.endsWith(".jsonl.gz") ? undefined : parts.archive.read(name)),
        readStream: async (name) => (name.endsWith(".jsonl.gz") ? undefined : parts.archive.readStream(name)),
      },
      clock: harvestClock,
      cloud: "Global",
      timeBudgetInMs: -1,
      concurrency: () => 4,
      enqueue: async (jobs) => void halves.push(...jobs.map((j) => j.job)),
    });
    assert.equal(racing.status, "split");
    const next = new LocalQueue();
    await next.send(halves.map((h) => ({ job: h, notBeforeInMs: undefined })));
    await deliverAll(parts, next);
    assert.deepEqual(duplicates(await archived(parts.container)), []);
  });
});

describe("re-read passes", () => {
  const window = { startInMs: Date.parse("2026-11-25T09:00:00Z"), endInMs: Date.parse("2026-11-25T12:00:00Z") };

  it("halves of a re-read split over several partition hours skip what pass 0 archived under the window's first hour", async () => {
    const parts = await setup();
    dataClock.set(now - dayInMs);
    const first = new LocalQueue();
    first.sendRaw("p0", jobBody({ window, pass: 0 }));
    await deliverAll(parts, first);
    const before = sandbox.tenant.groundTruth(window.startInMs, window.endInMs);
    dataClock.set(now + 2 * dayInMs);
    const later = sandbox.tenant.groundTruth(window.startInMs, window.endInMs);
    const changed = later.filter((t) => t.version > (before.find((b) => b.id === t.id)?.version ?? -1));
    assert.ok(changed.length > 0 && changed.length < later.length, `${changed.length} of ${later.length} changed`);

    const reread = new LocalQueue();
    reread.sendRaw("p1", jobBody({ window, pass: 1 }));
    const outcomes = await deliverAll(parts, reread, (id) => (id === "p1" ? -1 : 600_000));
    assert.equal(outcomes[0], "p1 split");
    const lines = await archived(parts.container);
    assert.deepEqual(duplicates(lines), []);
    assert.deepEqual(lines, [...new Set([...before, ...later].map((t) => `${t.id}@${t.version}`))].sort());
    dataClock.set(now);
  });

  it("a re-read delivered while the pass before it has not archived the window waits, then runs after it", async () => {
    const parts = await setup();
    const queue = new LocalQueue();
    const w = { startInMs: window.startInMs, endInMs: window.startInMs + hourInMs };
    queue.sendRaw("p1-early", jobBody({ window: w, pass: 1 }));
    queue.sendRaw("p0", jobBody({ window: w, pass: 0 }));
    const outcomes = await deliverAll(parts, queue);
    assert.match(outcomes.join("\n"), /p1-early retrying WaitingForEarlierPass/);
    assert.match(outcomes.at(-1) ?? "", /_p1_a\d+ harvested$/);
    assert.ok(outcomes.indexOf("p0 harvested") < outcomes.length - 1, "pass 1 ran after pass 0");
    assert.deepEqual(duplicates(await archived(parts.container)), []);
  });
});
