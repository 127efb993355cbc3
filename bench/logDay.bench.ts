/**
 * `npm run bench:logs`: one telephony log's day harvested from the sandbox at a size a large
 * tenant reaches (BENCH_LOG_ROWS, default 50,000 rows: 50 pages), into a folder archive, with the
 * logs' real pace (50 requests a minute) and no sandbox throttling, the sandbox in a process of its
 * own. Prints rows, pages, wall time and the archiver's peak RSS: a log's day is held in memory while
 * it is harvested (its rows, to compare with earlier passes and to keep each row's last answer).
 * Asserts nothing.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { folderArchiveStore } from "../shared/archive/archiveStore.js";
import { defaultLogPlan, loadArchiverConfig } from "../shared/config/config.js";
import { systemClock } from "../shared/core/clock.js";
import { dayInMs } from "../shared/core/window.js";
import { createGraphRuntime } from "../shared/graph/graphSetup.js";
import { newGraphCounters } from "../shared/graph/graphCounters.js";
import { harvestLog } from "../shared/pipeline/harvest/harvestLog.js";
import { startSandboxProcess } from "./sandboxLink.js";

const rows = Number(process.env.BENCH_LOG_ROWS ?? 50_000);
const day = Math.floor(Date.now() / dayInMs) * dayInMs - 10 * dayInMs;
// Ten days back: every row of the day has appeared (the latest four days after its call).
const sandbox = await startSandboxProcess({ throttle: false, emptyPageRate: 0, logs: { rowsPerDay: rows, requestsPerMinute: false } });
const folder = await mkdtemp(join(tmpdir(), "bench-logs-"));
try {
  const graph = createGraphRuntime(loadArchiverConfig({ ...process.env, ...sandbox.env }), { ca: sandbox.env.CA });
  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const started = Date.now();
  const counters = newGraphCounters();
  const outcome = await harvestLog(
    { window: { startInMs: day, endInMs: day + dayInMs }, pass: 0, source: "directRoutingCalls" },
    { graph: graph.newClient(counters), counters, archive: folderArchiveStore(folder), clock: systemClock, cloud: "Global", plan: defaultLogPlan("directRoutingCalls") },
  );
  clearInterval(sampler);
  const seconds = (Date.now() - started) / 1000;
  const manifest = "manifest" in outcome ? outcome.manifest : undefined;
  console.log(
    `a Direct Routing day of ${rows} rows: ${manifest?.recordCount} archived, ${counters.pages} pages, ${counters.requests} requests, ${seconds.toFixed(1)} s (the logs' pace: 50 requests a minute), ${((manifest?.bytes ?? 0) / 1e6).toFixed(2)} MB gzip; the archiver's RSS ${(rssBefore / 1e6).toFixed(0)} MB before, peak ${(peak / 1e6).toFixed(0)} MB (+${((peak - rssBefore) / 1e6).toFixed(0)} MB)`,
  );
} finally {
  sandbox.child.kill("SIGTERM");
  await rm(folder, { recursive: true, force: true });
}
