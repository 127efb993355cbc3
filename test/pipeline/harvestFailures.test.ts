import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, describe, it } from "node:test";
import { BlobServiceClient } from "@azure/storage-blob";
import { type Azurite, startAzurite } from "../../local/azurite.js";
import { type ArchiveStore, blobArchiveStore, folderArchiveStore } from "../../shared/archive/archiveStore.js";
import { dataBlobName, manifestBlobName } from "../../shared/archive/archiveLayout.js";
import { loadArchiverConfig } from "../../shared/config/config.js";
import type { Job } from "../../shared/core/job.js";
import { createGraphRuntime } from "../../shared/graph/graphSetup.js";
import { newGraphCounters } from "../../shared/graph/graphCounters.js";
import { type HarvestOutcome, harvest } from "../../shared/pipeline/harvest/harvest.js";
import type { PlannedJob } from "../../shared/pipeline/plan/planning.js";
import { type SandboxOptions, startSandbox } from "../../sandbox/server.js";
import { ManualClock } from "../../sandbox/tenant.js";
import { clockAt, sandboxEnv } from "../support/graph.js";
import { type Refusal, fullDiskStore, startStorageProxy } from "../support/storageFaults.js";

// A harvest that fails after its upload has started must fail as a job: the process lives, nothing
// partial becomes visible, and the error names the cause. Each case runs on both archive stores.
const now = Date.parse("2026-11-27T12:00:00Z");
// The harvests' "now": the fixed days stay within Graph's 30 days whatever today is.
const harvestClock = clockAt(now);
// A six-hour window, aligned to its length as every window is.
const job: Job = { window: { startInMs: Date.parse("2026-11-26T06:00:00Z"), endInMs: Date.parse("2026-11-26T12:00:00Z") }, pass: 0 };

const escaped: unknown[] = [];
const onEscape = (error: unknown) => escaped.push(error);
process.on("uncaughtException", onEscape);
process.on("unhandledRejection", onEscape);

let azurite: Azurite;
before(async () => {
  azurite = await startAzurite();
});
after(() => azurite.stop());
afterEach(() => {
  assert.deepEqual(escaped.splice(0).map(String), [], "no error escaped the job");
});

type StoreKind = "folder" | "blob";
interface Scenario {
  readonly sandbox: SandboxOptions;
  readonly env?: Record<string, string>;
  readonly timeBudgetInMs?: number;
  /** Wraps the store (folder) or refuses requests through a proxy (blob). */
  readonly storage?: { folder?: (store: ArchiveStore) => ArchiveStore; blobRefuse?: (method: string, url: URL) => boolean; blobRefusal?: Refusal };
}

let containers = 0;
async function run(kind: StoreKind, scenario: Scenario): Promise<{ result: Promise<HarvestOutcome>; names: () => Promise<string[]>; enqueued: PlannedJob[]; cleanup: () => Promise<void> }> {
  const sandbox = await startSandbox({ clock: new ManualClock(now), callsPerDay: 300, throttle: false, emptyPageRate: 0, ...scenario.sandbox });
  const config = loadArchiverConfig(sandboxEnv(sandbox, { ARCHIVER_GRAPH_PAGE_SIZE: "5", ARCHIVER_GRAPH_MAX_ATTEMPTS: "3", ...scenario.env }));
  const cleanups: (() => Promise<void>)[] = [() => sandbox.close()];
  let store: ArchiveStore;
  if (kind === "folder") {
    const root = await mkdtemp(join(tmpdir(), "archive-failures-"));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const real = folderArchiveStore(root);
    store = scenario.storage?.folder ? scenario.storage.folder(real) : real;
  } else {
    const name = `failures-${++containers}`;
    await BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(name).create();
    let connectionString = azurite.connectionString;
    if (scenario.storage?.blobRefuse) {
      const proxy = await startStorageProxy(azurite.blobEndpoint, scenario.storage.blobRefuse, scenario.storage.blobRefusal);
      cleanups.push(() => proxy.close());
      connectionString = proxy.connectionString(azurite.connectionString);
    }
    store = blobArchiveStore(BlobServiceClient.fromConnectionString(connectionString).getContainerClient(name), { blockSizeInBytes: 16 * 1024 });
  }
  const counters = newGraphCounters();
  const enqueued: PlannedJob[] = [];
  const result = harvest(job, {
    graph: createGraphRuntime(config, { ca: sandbox.ca }).newClient(counters),
    counters,
    archive: store,
    clock: harvestClock,
    cloud: "Global",
    timeBudgetInMs: scenario.timeBudgetInMs ?? 600_000,
    concurrency: () => 4,
    enqueue: async (jobs) => void enqueued.push(...jobs),
  });
  result.catch(() => undefined);
  const names = async () => (await store.list("callrecords/")).filter((n) => !n.startsWith(".tmp"));
  return { result, names, enqueued, cleanup: async () => void (await Promise.all(cleanups.map((c) => c()))) };
}

const blockUploads = () => {
  let blocks = 0;
  return (method: string, url: URL) => method === "PUT" && url.searchParams.get("comp") === "block" && ++blocks > 1;
};

const cases: { name: string; scenario: Scenario; error: RegExp; kinds: readonly StoreKind[] }[] = [
  {
    name: "a nextLink to a foreign origin",
    scenario: { sandbox: { faults: { foreignNextLink: true } } },
    error: /Refusing to follow nextLink https:\/\/graph\.attacker\.example/,
    kinds: ["folder", "blob"],
  },
  {
    name: "Graph failing for good (503 on every request)",
    scenario: { sandbox: { faults: { failAfterRequests: { after: 12, status: 503 } } }, env: { ARCHIVER_GRAPH_RETRY_BASE_MS: "5" } },
    error: /Graph request failed after 3 attempts \(last: HTTP 503\)/,
    kinds: ["folder", "blob"],
  },
  {
    name: "Graph refusing access midway (403)",
    scenario: { sandbox: { faults: { failAfterRequests: { after: 12, status: 403 } } } },
    error: /Graph refused access \(403\).*CallRecords\.Read\.All/,
    kinds: ["folder", "blob"],
  },
  {
    name: "storage refusing a block upload (403 AuthorizationPermissionMismatch)",
    scenario: { sandbox: {}, storage: { blobRefuse: blockUploads() } },
    error: /AuthorizationPermissionMismatch|not authorized/,
    kinds: ["blob"],
  },
  {
    name: "answers that drip in a byte at a time past the request deadline",
    scenario: { sandbox: { faults: { dripRate: 1, dripIntervalInMs: 50 } }, env: { ARCHIVER_GRAPH_TIMEOUT_MS: "300", ARCHIVER_GRAPH_RETRY_BASE_MS: "5" } },
    error: /Graph request failed after 3 attempts \(last: timeout\)/,
    kinds: ["folder"],
  },
  {
    name: "a full disk (ENOSPC)",
    scenario: { sandbox: {}, storage: { folder: (store) => fullDiskStore(store, 2_000) } },
    error: /ENOSPC/,
    kinds: ["folder"],
  },
];

for (const kind of ["folder", "blob"] as const) {
  describe(`a harvest failing mid-window on the ${kind} archive`, () => {
    for (const c of cases.filter((c) => c.kinds.includes(kind))) {
      it(`${c.name}: fails the job naming the cause, and leaves nothing visible`, async () => {
        const { result, names, cleanup } = await run(kind, c.scenario);
        try {
          await assert.rejects(result, c.error);
          assert.deepEqual(await names(), []);
        } finally {
          await cleanup();
        }
      });
    }

    if (kind === "blob") {
      it("a manifest write refused with a 409 other than BlobAlreadyExists: fails the job, never taken for 'written by another'", async () => {
        const lease: Refusal = { status: 409, code: "LeaseIdMissing", message: "There is currently a lease on the blob and no lease ID was specified in the request." };
        const refuseManifests = (method: string, url: URL) => method === "PUT" && url.pathname.endsWith(".manifest.json");
        const { result, names, cleanup } = await run(kind, { sandbox: {}, storage: { blobRefuse: refuseManifests, blobRefusal: lease } });
        try {
          await assert.rejects(result, /There is currently a lease on the blob/);
          assert.deepEqual((await names()).filter((n) => n.endsWith(".manifest.json")), []);
        } finally {
          await cleanup();
        }
      });
    }

    it("the time budget running out during the first page: splits, with no data blob", async () => {
      const { result, names, enqueued, cleanup } = await run(kind, { sandbox: {}, timeBudgetInMs: 0 });
      try {
        const outcome = await result;
        assert.equal(outcome.status, "split");
        assert.deepEqual(await names(), [manifestBlobName(job)]);
        assert.equal(enqueued.length, 2);
        assert.ok(!(await names()).includes(dataBlobName(job)));
      } finally {
        await cleanup();
      }
    });
  });
}
