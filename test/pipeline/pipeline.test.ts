import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import functions from "@azure/functions";
import { type Azurite, startAzurite } from "../../local/azurite.js";
import { LocalQueue } from "../../local/queue.js";
import { runLocal } from "../../local/run.js";
import { makeHarvestHandler } from "../../functions/harvestHandler.js";
import { blobArchiveStore } from "../../shared/archive/archiveStore.js";
import { chainBlobName, manifestBlobName } from "../../shared/archive/archiveLayout.js";
import { systemClock } from "../../shared/core/clock.js";
import { loadArchiverConfig, loadPipelineConfig } from "../../shared/config/config.js";
import { createGraphRuntime } from "../../shared/graph/graphSetup.js";
import { jobBody, jobKey } from "../../shared/core/job.js";
import { parseManifest } from "../../shared/archive/manifest.js";
import { blobWatermarkStore, memoryWatermarkStore } from "../../shared/pipeline/plan/watermarkStore.js";
import { dayInMs, hourInMs } from "../../shared/core/window.js";
import { type Sandbox, startSandbox } from "../../sandbox/server.js";
import { ManualClock } from "../../sandbox/tenant.js";
import { clockAt, sandboxEnv } from "../support/graph.js";

const now = Date.parse("2026-11-27T12:00:00Z");
// The harvests' "now": the fixed days stay within Graph's 30 days whatever today is.
const harvestClock = clockAt(now);
const from = now - 2 * dayInMs - 2 * hourInMs;
const to = now - 2 * hourInMs;
let azurite: Azurite;
let sandbox: Sandbox;
const dataClock = new ManualClock(now);

before(async () => {
  azurite = await startAzurite();
  sandbox = await startSandbox({
    clock: dataClock,
    callsPerDay: 80,
    largeMeetingShare: 0.03,
    // Graph's limits, scaled from 20 s to 1 s windows, as the archiver's settings below are.
    throttle: { appRequests: 150, appWindowInMs: 1000, listRequests: 40, listWindowInMs: 1000 },
    faults: { unavailableRate: 0.03, dropRate: 0.01 },
  });
});
after(async () => {
  await sandbox.close();
  await azurite.stop();
});

async function freshContainer(name: string): Promise<ContainerClient> {
  const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(name);
  await container.create();
  return container;
}

function setup(container: ContainerClient, env: Record<string, string> = {}) {
  const fullEnv = sandboxEnv(sandbox, {
    ARCHIVER_GRAPH_RATE_REQUESTS: "400",
    ARCHIVER_GRAPH_RATE_WINDOW_SECONDS: "1",
    ARCHIVER_GRAPH_MAX_ATTEMPTS: "20",
    // A failed job is sent again within tens of milliseconds here, not minutes.
    ARCHIVER_JOB_RETRY_BASE_MS: "20",
    ...env,
  });
  const archiverConfig = loadArchiverConfig(fullEnv);
  const pipeline = loadPipelineConfig(fullEnv);
  return { archiverConfig, pipeline, graph: createGraphRuntime(archiverConfig, { ca: sandbox.ca }), archive: blobArchiveStore(container) };
}

async function blobNames(container: ContainerClient): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of container.listBlobsFlat()) names.push(blob.name);
  return names;
}

async function archivedLines(container: ContainerClient) {
  const lines: { id: string; version: number; _archive: { pass: number } }[] = [];
  for await (const blob of container.listBlobsFlat({ prefix: "callrecords/v1/" })) {
    if (!blob.name.endsWith(".jsonl.gz")) continue;
    const gz = await container.getBlockBlobClient(blob.name).downloadToBuffer();
    for (const line of gunzipSync(gz).toString("utf8").split("\n")) if (line) lines.push(JSON.parse(line));
  }
  return lines;
}

const latestById = (lines: Awaited<ReturnType<typeof archivedLines>>) => {
  const latest = new Map<string, Record<string, unknown>>();
  for (const line of lines) {
    const current = latest.get(line.id) as { version: number } | undefined;
    if (!current || current.version < line.version) {
      const { _archive, ...graph } = line;
      void _archive;
      latest.set(line.id, graph);
    }
  }
  return latest;
};

describe("end to end into Azurite over two sandbox days, with throttling and faults", () => {
  it("archives every live record exactly once, and a later pass adds exactly the changed ones", async () => {
    const container = await freshContainer("e2e");
    const parts = setup(container);
    const queue = new LocalQueue(5, () => to + hourInMs);
    const summary = await runLocal({
      ...parts,
      watermarks: memoryWatermarkStore({ nextWindowStartInMs: from }),
      clock: harvestClock,
      planClock: { now: () => to + hourInMs, sleep: systemClock.sleep },
      queue,
    });
    assert.deepEqual(summary.deadLetters, []);
    assert.equal(summary.windows, 48);
    assert.ok(summary.graph.retries.throttled + summary.graph.retries.unavailable + summary.graph.retries.network > 0, "no fault was met");

    const truth = sandbox.tenant.groundTruth(from, to);
    const lines = await archivedLines(container);
    assert.equal(lines.length, truth.length, "a record is missing or duplicated");
    const latest = latestById(lines);
    for (const t of truth) assert.deepEqual(latest.get(t.id), t.document, `record ${t.id} differs`);

    // Three days on, some records have new versions: pass 1 of every window picks up exactly those.
    dataClock.advance(3 * dayInMs);
    const later = sandbox.tenant.groundTruth(from, to);
    const changed = later.filter((t) => t.version > (truth.find((o) => o.id === t.id)?.version ?? 0));
    assert.ok(changed.length > 0, "no record gained a version");
    const rereads = new LocalQueue(5, () => Number.POSITIVE_INFINITY);
    for (let start = from; start < to; start += hourInMs) {
      await rereads.send([{ job: { window: { startInMs: start, endInMs: start + hourInMs }, pass: 1 }, notBeforeInMs: undefined }]);
    }
    const second = await runLocal({
      ...parts,
      watermarks: memoryWatermarkStore({ nextWindowStartInMs: to }),
      clock: harvestClock,
      planClock: { now: () => to + hourInMs, sleep: systemClock.sleep },
      queue: rereads,
    });
    assert.deepEqual(second.deadLetters, []);
    const pass1 = (await archivedLines(container)).filter((l) => l._archive.pass === 1);
    assert.deepEqual(pass1.map((l) => `${l.id}@${l.version}`).sort(), changed.map((c) => `${c.id}@${c.version}`).sort());
    const final = latestById(await archivedLines(container));
    for (const t of later) assert.deepEqual(final.get(t.id), t.document);
    dataClock.set(now);
  });
});

describe("delivery faults", () => {
  const job = { window: { startInMs: Date.parse("2026-11-26T14:00:00Z"), endInMs: Date.parse("2026-11-26T15:00:00Z") }, pass: 0 };
  const context = () => new functions.InvocationContext({ invocationId: "t", functionName: "harvest", logHandler: () => undefined });

  async function deliver(container: ContainerClient, queue: LocalQueue, concurrency = 1) {
    const parts = setup(container);
    const outcomes: string[] = [];
    const handler = makeHarvestHandler(() => ({ ...parts, sender: queue, clock: harvestClock, cloud: "Global", timeBudgetInMs: 600_000, concurrency: 4, jobRetry: parts.pipeline.jobRetry }));
    await queue.drain(async (body, settlement) => {
      const result = await handler(body, settlement, context());
      outcomes.push(result.status === "done" ? result.outcome.status : result.status);
    }, concurrency);
    return outcomes;
  }

  it("the same job delivered twice, one after the other, writes once", async () => {
    const container = await freshContainer("twice");
    const queue = new LocalQueue();
    queue.sendRaw("a", jobBody(job));
    queue.sendRaw("b", jobBody(job));
    assert.deepEqual(await deliver(container, queue), ["harvested", "alreadyDone"]);
    const names = await blobNames(container);
    assert.equal(names.length, 2, names.join(", "));
  });

  it("the same job delivered concurrently still leaves one data blob and one manifest", async () => {
    const container = await freshContainer("concurrent");
    const queue = new LocalQueue();
    queue.sendRaw("a", jobBody(job));
    queue.sendRaw("b", jobBody(job));
    const outcomes = await deliver(container, queue, 2);
    assert.equal(outcomes.filter((o) => o === "harvested").length, 1, outcomes.join(", "));
    const names = await blobNames(container);
    assert.equal(names.length, 2, names.join(", "));
  });

  it("a harvester that died between data blob and manifest is repaired on redelivery", async () => {
    const container = await freshContainer("repair");
    const queue = new LocalQueue();
    queue.sendRaw("a", jobBody(job));
    await deliver(container, queue);
    const name = manifestBlobName(job);
    const original = parseManifest((await container.getBlockBlobClient(name).downloadToBuffer()).toString(), name);
    // Simulate the crash point: the manifest was never written.
    await container.getBlockBlobClient(name).delete();
    queue.sendRaw("b", jobBody(job));
    assert.deepEqual(await deliver(container, queue), ["repaired"]);
    const repaired = parseManifest((await container.getBlockBlobClient(name).downloadToBuffer()).toString(), name);
    assert.deepEqual(repaired.records, original.records);
    assert.equal(repaired.sha256, original.sha256);
  });

  it("a harvest that fails mid-window commits nothing, and its scheduled re-send archives the window", async () => {
    const container = await freshContainer("midway");
    const queue = new LocalQueue(5);
    queue.sendRaw("a", jobBody(job));
    const parts = setup(container);
    let calls = 0;
    const failing = {
      ...parts.graph,
      newClient: (counters?: Parameters<typeof parts.graph.newClient>[0]) => {
        const client = parts.graph.newClient(counters);
        const getRecord = client.getRecord.bind(client);
        client.getRecord = async (id: string) => {
          calls += 1;
          if (calls === 3) throw new Error("harvester killed");
          return getRecord(id);
        };
        return client;
      },
    };
    const handler = makeHarvestHandler(() => ({ ...parts, graph: failing, sender: queue, clock: harvestClock, cloud: "Global", timeBudgetInMs: 600_000, concurrency: 1, jobRetry: parts.pipeline.jobRetry }));
    let firstAttemptBlobs: string[] = [];
    const delivered: string[] = [];
    await queue.drain(async (body, settlement, message) => {
      delivered.push(message.messageId);
      if (delivered.length === 2) firstAttemptBlobs = await blobNames(container);
      await handler(body, settlement, context());
    }, 1);
    // Nothing of the window's data: only the record of the retry chain the failure started.
    assert.deepEqual(firstAttemptBlobs, [chainBlobName(job)], "the failed attempt left a data blob or manifest behind");
    assert.deepEqual(delivered, ["a", `${jobKey(job)}_a1`], "the failure was re-sent as attempt 1, with a fresh messageId");
    assert.deepEqual(queue.deadLetters, []);
    const lines = await archivedLines(container);
    assert.equal(lines.length, sandbox.tenant.groundTruth(job.window.startInMs, job.window.endInMs).length);
  });

  it("a window over the time budget is split into halves that are enqueued and archived", async () => {
    const container = await freshContainer("split");
    const queue = new LocalQueue();
    queue.sendRaw("a", jobBody(job));
    const parts = setup(container);
    const outcomes: string[] = [];
    const handlerWithBudget = (timeBudgetInMs: number) =>
      makeHarvestHandler(() => ({ ...parts, sender: queue, clock: harvestClock, cloud: "Global", timeBudgetInMs, concurrency: 4, jobRetry: parts.pipeline.jobRetry }));
    await queue.drain(async (body, settlement, message) => {
      // Only the whole window runs out of time; its halves fit.
      const result = await handlerWithBudget(message.messageId === "a" ? -1 : 600_000)(body, settlement, context());
      outcomes.push(result.status === "done" ? result.outcome.status : result.status);
    }, 1);
    assert.deepEqual(outcomes, ["split", "harvested", "harvested"]);
    const manifest = parseManifest((await container.getBlockBlobClient(manifestBlobName(job)).downloadToBuffer()).toString(), manifestBlobName(job));
    assert.deepEqual(manifest.splitInto?.map((h) => [h.windowStart, h.windowEnd]), [
      ["2026-11-26T14:00:00Z", "2026-11-26T14:30:00Z"],
      ["2026-11-26T14:30:00Z", "2026-11-26T15:00:00Z"],
    ]);
    const ids = (await archivedLines(container)).map((l) => l.id).sort();
    assert.deepEqual(ids, sandbox.tenant.groundTruth(job.window.startInMs, job.window.endInMs).map((t) => t.id).sort());
  });

  it("two schedulers racing on the watermark blob: only one advances it", async () => {
    const container = await freshContainer("watermark");
    const a = blobWatermarkStore(container);
    const b = blobWatermarkStore(container);
    assert.equal(await a.write({ nextWindowStartInMs: 0 }, undefined), true);
    assert.equal(await b.write({ nextWindowStartInMs: 0 }, undefined), false, "a second first write won");
    const readA = await a.read();
    const readB = await b.read();
    assert.ok(readA && readB);
    assert.equal(await a.write({ nextWindowStartInMs: hourInMs }, readA.etag), true);
    assert.equal(await b.write({ nextWindowStartInMs: 2 * hourInMs }, readB.etag), false, "a stale ETag won");
    assert.equal((await b.read())?.watermark.nextWindowStartInMs, hourInMs);
  });

  it("a malformed message is dead-lettered at once with its reason", async () => {
    const container = await freshContainer("malformed");
    const queue = new LocalQueue(5);
    queue.sendRaw("bad", { schemaVersion: 1, windowStart: "yesterday", windowEnd: "2026-11-27T10:00:00Z", pass: 0 });
    assert.deepEqual(await deliver(container, queue), ["deadLettered"]);
    assert.equal(queue.deadLetters.length, 1);
    assert.equal(queue.deadLetters[0]?.reason, "InvalidJob");
    assert.match(queue.deadLetters[0]?.description ?? "", /windowStart must be an ISO 8601 UTC instant/);
  });
});
