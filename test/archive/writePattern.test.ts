import assert from "node:assert/strict";
import type { IncomingHttpHeaders } from "node:http";
import { after, before, describe, it } from "node:test";
import { BlobServiceClient } from "@azure/storage-blob";
import { manifestBlobName } from "../../shared/archive/archiveLayout.js";
import { blobArchiveStore } from "../../shared/archive/archiveStore.js";
import { loadArchiverConfig } from "../../shared/config/config.js";
import { systemClock } from "../../shared/core/clock.js";
import type { Job } from "../../shared/core/job.js";
import { dayInMs, hourInMs } from "../../shared/core/window.js";
import { createGraphRuntime } from "../../shared/graph/graphSetup.js";
import { newGraphCounters } from "../../shared/graph/graphCounters.js";
import { curateDay } from "../../shared/pipeline/curate/curateDay.js";
import { dayMarkerName } from "../../shared/pipeline/harvest/dayMarker.js";
import { type HarvestOutcome, harvest } from "../../shared/pipeline/harvest/harvest.js";
import type { PlanSettings, PlannedJob } from "../../shared/pipeline/plan/planning.js";
import { type Azurite, startAzurite } from "../../local/azurite.js";
import { type Sandbox, startSandbox } from "../../sandbox/server.js";
import { ManualClock } from "../../sandbox/tenant.js";
import { sandboxEnv } from "../support/graph.js";
import { startStorageProxy } from "../support/storageFaults.js";

// The archive works under a time-based immutability (WORM) policy only if every write is a create:
// no delete, no overwrite, no append after commit, no lease or metadata change. Azurite cannot
// enforce WORM, so every request the archiver sends to the archive is recorded on the wire, by a
// proxy in front of Azurite, through everything that writes: a harvest that splits, halves that
// archive, a repair after a manifest write failed, duplicate and concurrent deliveries, a re-read
// pass, the day marker and the curated layer. Anything but a create-only pattern fails the test.
interface Sent {
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
}

/** Why a request is not part of a create-only pattern, or undefined when it is. */
function notCreateOnly({ method, url, headers }: Sent): string | undefined {
  const comp = url.searchParams.get("comp");
  const blobPath = url.pathname.split("/").filter(Boolean).length > 2;
  if (method === "GET" || method === "HEAD") return undefined;
  if (method !== "PUT") return `${method} is not a create`;
  if (!blobPath) return "a container-level write";
  if (headers["x-ms-copy-source"] !== undefined) return "a copy onto a name";
  // A staged block is invisible until a block list commits it; the commit is the create.
  if (comp === "block") return undefined;
  if (comp === "blocklist" || comp === null) {
    if (headers["if-none-match"] !== "*") return `a ${comp ?? "Put Blob"} without If-None-Match: *, which may overwrite`;
    if (comp === null && headers["x-ms-blob-type"] !== "BlockBlob") return `a ${String(headers["x-ms-blob-type"])} blob`;
    return undefined;
  }
  return `comp=${comp} changes a blob after its commit`;
}

const now = Math.floor(Date.now() / hourInMs) * hourInMs;
const day = Math.floor(now / dayInMs) * dayInMs - 2 * dayInMs;
// One window a day and no re-read pass: pass 0 is a day's final pass, so the harvest that
// completes the day writes its marker, and the day can be curated at once.
const plan: PlanSettings = { windowInMs: dayInMs, settleInMs: hourInMs, rereadOffsetsInMs: [], maxWindowsPerTick: 10, safetyMarginInMs: hourInMs };

let azurite: Azurite;
let sandbox: Sandbox;
const dataClock = new ManualClock(now);
before(async () => {
  [azurite, sandbox] = await Promise.all([startAzurite(), startSandbox({ clock: dataClock, callsPerDay: 120, throttle: false, emptyPageRate: 0 })]);
});
after(async () => {
  await Promise.all([azurite.stop(), sandbox.close()]);
});

describe("the archive's write pattern, on the wire", () => {
  it("is create-only through splits, repairs, duplicate deliveries, re-reads, the day marker and curation", async () => {
    const name = `worm-${Date.now().toString(36)}`;
    await BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(name).create();
    const sent: Sent[] = [];
    let refuseManifestOnce: string | undefined;
    const proxy = await startStorageProxy(azurite.blobEndpoint, (method, url, headers) => {
      sent.push({ method, url, headers });
      // A manifest write that fails once: the committed data blob is then repaired from.
      if (method === "PUT" && refuseManifestOnce !== undefined && url.pathname.endsWith(refuseManifestOnce)) {
        refuseManifestOnce = undefined;
        return true;
      }
      return false;
    });
    try {
      const archive = blobArchiveStore(BlobServiceClient.fromConnectionString(proxy.connectionString(azurite.connectionString)).getContainerClient(name), { blockSizeInBytes: 16 * 1024 });
      const graph = createGraphRuntime(loadArchiverConfig(sandboxEnv(sandbox)), { ca: sandbox.ca });
      const enqueued: PlannedJob[] = [];
      const run = (job: Job, timeBudgetInMs = 600_000): Promise<HarvestOutcome> => {
        const counters = newGraphCounters();
        return harvest(job, { graph: graph.newClient(counters), counters, archive, clock: systemClock, cloud: "Global", timeBudgetInMs, concurrency: () => 4, enqueue: async (jobs) => void enqueued.push(...jobs), plan });
      };
      const whole: Job = { window: { startInMs: day, endInMs: day + dayInMs }, pass: 0 };
      const outcomes: string[] = [];
      outcomes.push((await run(whole, -1)).status);
      const [first, second] = enqueued.map((j) => j.job) as [Job, Job];
      refuseManifestOnce = manifestBlobName(first).split("/").at(-1);
      await assert.rejects(run(first), /not authorized/);
      outcomes.push((await run(first)).status);
      // The second half, delivered twice at once, then once more.
      // Whichever commits first harvests (or, having lost the data blob's race, repairs from the
      // winner's blob and writes the manifest first); the other finds the manifest written.
      const pair = (await Promise.all([run(second), run(second)])).map((o) => o.status).sort();
      outcomes.push(pair[0] === "alreadyDone" && (pair[1] === "harvested" || pair[1] === "repaired") ? "one of two" : pair.join("+"));
      outcomes.push((await run(second)).status);
      // Three days on, a re-read pass of the first half archives the records that changed.
      dataClock.advance(3 * dayInMs);
      outcomes.push((await run({ ...first, pass: 1 })).status);
      assert.ok(await archive.read(dayMarkerName(day)), "the day marker was not written");
      outcomes.push((await curateDay({ archive, nowInMs: () => Date.now() }, day)).status);
      assert.deepEqual(outcomes, ["split", "repaired", "one of two", "alreadyDone", "harvested", "curated"]);

      const writes = sent.filter((s) => s.method !== "GET" && s.method !== "HEAD");
      assert.ok(writes.some((s) => s.url.searchParams.get("comp") === "blocklist") && writes.some((s) => s.url.searchParams.get("comp") === null), "no block list and no Put Blob was seen");
      assert.deepEqual(
        sent.flatMap((s) => {
          const why = notCreateOnly(s);
          return why ? [`${s.method} ${s.url.pathname}?${s.url.searchParams.toString()}: ${why}`] : [];
        }),
        [],
      );
    } finally {
      await proxy.close();
    }
  });

  it("the rule itself refuses a delete, an overwrite, an append, a lease and a metadata change", () => {
    const blob = "http://127.0.0.1/devstoreaccount1/archive/callrecords/v1/x.jsonl.gz";
    const at = (query: string) => new URL(`${blob}${query}`);
    assert.match(notCreateOnly({ method: "DELETE", url: at(""), headers: {} }) ?? "", /DELETE is not a create/);
    assert.match(notCreateOnly({ method: "PUT", url: at(""), headers: { "x-ms-blob-type": "BlockBlob" } }) ?? "", /may overwrite/);
    assert.match(notCreateOnly({ method: "PUT", url: at("?comp=blocklist"), headers: {} }) ?? "", /may overwrite/);
    assert.match(notCreateOnly({ method: "PUT", url: at("?comp=appendblock"), headers: {} }) ?? "", /changes a blob after its commit/);
    assert.match(notCreateOnly({ method: "PUT", url: at("?comp=lease"), headers: {} }) ?? "", /changes a blob/);
    assert.match(notCreateOnly({ method: "PUT", url: at("?comp=metadata"), headers: {} }) ?? "", /changes a blob/);
    assert.equal(notCreateOnly({ method: "PUT", url: at("?comp=blocklist"), headers: { "if-none-match": "*" } }), undefined);
  });
});
