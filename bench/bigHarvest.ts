/**
 * Harvests of big windows in a process of their own, so its peak RSS is theirs: for `npm run
 * bench`'s big cases (a window of 100,000 records, a meeting of 5,000 sessions, and four windows
 * of 100,000 records at once, as a worker running four harvests does). The sandbox's settings (and
 * its CA, as CA) come as JSON in BENCH_ENV, the windows as BENCH_WINDOWS ([{startInMs, endInMs}]),
 * all harvested at once through one Graph runtime, as one worker's are; prints one JSON line:
 * records, seconds, peak RSS, archived bytes.
 */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import functions from "@azure/functions";
import { BlobServiceClient } from "@azure/storage-blob";
import { LocalQueue } from "../local/queue.js";
import { makeHarvestHandler } from "../functions/harvestHandler.js";
import { blobArchiveStore, folderArchiveStore } from "../shared/archive/archiveStore.js";
import { loadArchiverConfig, loadPipelineConfig } from "../shared/config/config.js";
import { systemClock } from "../shared/core/clock.js";
import { jobBody } from "../shared/core/job.js";
import type { TimeWindow } from "../shared/core/window.js";
import { createGraphRuntime } from "../shared/graph/graphSetup.js";

const { CA: ca, ...sandboxEnv } = JSON.parse(process.env.BENCH_ENV ?? "{}") as Record<string, string>;
const windows = JSON.parse(process.env.BENCH_WINDOWS ?? "[]") as TimeWindow[];
// Memory, not pacing, is measured here: the sandbox runs without limits.
const env = { ...sandboxEnv, ARCHIVER_GRAPH_RATE_REQUESTS: "100000" };
// What the process holds before the harvest (Node, tsx, the SDKs), to tell the harvest's own share.
const baselineRssMB = Math.round(process.memoryUsage().rss / 1024 / 1024);
const config = loadArchiverConfig(env);
const pipeline = loadPipelineConfig(env);
const folder = await mkdtemp(join(tmpdir(), "bench-big-"));
// The archive: blob storage (Azurite) as in Azure, whose upload buffers blocks, when BENCH_BLOB is
// a connection string; a folder otherwise.
const blob = process.env.BENCH_BLOB;
const container = blob ? BlobServiceClient.fromConnectionString(blob).getContainerClient(`big${Date.now()}`) : undefined;
await container?.create();
const archive = container ? blobArchiveStore(container) : folderArchiveStore(folder);
const started = Date.now();
// The most the heap and Buffers held at once, sampled: what the harvest keeps, apart from the
// collector's slack.
let peakHeapMB = 0;
let peakExternalMB = 0;
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  peakHeapMB = Math.max(peakHeapMB, m.heapUsed / 1024 / 1024);
  peakExternalMB = Math.max(peakExternalMB, m.external / 1024 / 1024);
}, 50);
const queue = new LocalQueue(10);
// One runtime for the process, as in Azure: the harvests running share its records in flight.
const graph = createGraphRuntime(config, { ca });
const handler = makeHarvestHandler(() => ({
  graph,
  archive,
  sender: queue,
  clock: systemClock,
  cloud: "Global",
  timeBudgetInMs: 3_600_000,
  concurrency: pipeline.harvestConcurrency,
  jobRetry: pipeline.jobRetry,
}));
const context = new functions.InvocationContext({ invocationId: "bench", functionName: "harvest", logHandler: () => undefined });
const results = await Promise.all(
  windows.map((window) => handler(jobBody({ window, pass: 0 }), { complete: async () => undefined, abandon: async () => undefined, deadLetter: async () => undefined }, context)),
);
const manifests = results.flatMap((r) => (r.status === "done" && "manifest" in r.outcome ? [r.outcome.manifest] : []));
clearInterval(sampler);
const files = container ? await archive.list("callrecords/") : await readdir(folder, { recursive: true });
await container?.delete();
await rm(folder, { recursive: true, force: true });
process.stdout.write(
  `${JSON.stringify({
    status: [...new Set(results.map((r) => (r.status === "done" ? r.outcome.status : r.status)))].join("/"),
    records: manifests.reduce((n, m) => n + m.recordCount, 0),
    bytes: manifests.reduce((n, m) => n + m.bytes, 0),
    files: files.filter((f) => f.endsWith(".jsonl.gz")).length,
    seconds: (Date.now() - started) / 1000,
    maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    baselineRssMB,
    heapUsedMB: Math.round(process.memoryUsage().heapUsed / 1024 / 1024),
    peakHeapMB: Math.round(peakHeapMB),
    peakExternalMB: Math.round(peakExternalMB),
  })}\n`,
);
