/**
 * One harvest of one window, in a process of its own so its peak RSS is the harvest's: for
 * `npm run bench`'s big cases (a window of 100,000 records, a meeting of 5,000 sessions). The
 * sandbox's settings (and its CA, as CA) come as JSON in BENCH_ENV, the window as BENCH_WINDOW ({startInMs, endInMs});
 * prints one JSON line: records, seconds, peak RSS, archived bytes, longest line.
 */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import functions from "@azure/functions";
import { BlobServiceClient } from "@azure/storage-blob";
import { LocalQueue } from "../local/queue.js";
import { makeHarvestHandler } from "../functions/handlers.js";
import { blobArchiveStore, folderArchiveStore } from "../shared/archive/archiveStore.js";
import { loadArchiverConfig, loadPipelineConfig } from "../shared/config/config.js";
import { systemClock } from "../shared/core/clock.js";
import { jobBody } from "../shared/core/job.js";
import type { TimeWindow } from "../shared/core/window.js";
import { createGraphRuntime } from "../shared/graph/graphSetup.js";

const { CA: ca, ...sandboxEnv } = JSON.parse(process.env.BENCH_ENV ?? "{}") as Record<string, string>;
const window = JSON.parse(process.env.BENCH_WINDOW ?? "{}") as TimeWindow;
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
const handler = makeHarvestHandler(() => ({
  graph: createGraphRuntime(config, { ca }),
  archive,
  sender: queue,
  clock: systemClock,
  cloud: "Global",
  timeBudgetInMs: 3_600_000,
  concurrency: pipeline.harvestConcurrency,
  jobRetry: pipeline.jobRetry,
}));
const context = new functions.InvocationContext({ invocationId: "bench", functionName: "harvest", logHandler: () => undefined });
const result = await handler(jobBody({ window, pass: 0 }), { complete: async () => undefined, abandon: async () => undefined, deadLetter: async () => undefined }, context);
const outcome = result.status === "done" && "manifest" in result.outcome ? result.outcome : undefined;
clearInterval(sampler);
const files = container ? await archive.list("callrecords/") : await readdir(folder, { recursive: true });
await container?.delete();
await rm(folder, { recursive: true, force: true });
process.stdout.write(
  `${JSON.stringify({
    status: result.status === "done" ? result.outcome.status : result.status,
    records: outcome?.manifest.recordCount ?? 0,
    bytes: outcome?.manifest.bytes ?? 0,
    files: files.filter((f) => f.endsWith(".jsonl.gz")).length,
    seconds: (Date.now() - started) / 1000,
    maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    baselineRssMB,
    heapUsedMB: Math.round(process.memoryUsage().heapUsed / 1024 / 1024),
    peakHeapMB: Math.round(peakHeapMB),
    peakExternalMB: Math.round(peakExternalMB),
  })}\n`,
);
