/**
 * `npm run bench:cost`: what the archiver costs per 1,000 records in steady state, counted on the
 * wire, and what that makes a month at list prices.
 *
 * A sandbox day old enough for every re-read pass (26 days back) is harvested with all its passes
 * through the real handlers into Azurite (as `npm start` runs them) and curated, at two tenant
 * sizes: a day's count is then split into what grows with records and what every job costs
 * whatever it holds (144 jobs a day at any size), so the monthly figures for larger tenants are
 * not a small tenant's per-job costs multiplied. One plan tick (with its coverage sweep) and one
 * idle curate run are timed and counted, the timers' cost per day being 96 ticks and 24 runs. Storage operations are every HTTP request the
 * process makes to Azurite, by kind (write: PUT; list: GET …comp=list; read: other GET and HEAD),
 * seen through Node's `http.client.request.start` diagnostics channel, not by our own store's
 * bookkeeping. Heartbeats (a write and a list every 2.5 s while a harvest runs) are derived from
 * the measured busy time. Function time is billed as on Flex Consumption: instance memory while
 * executing; it is the wall time during which at least one harvest ran, so it is an upper bound.
 *
 *   npm run bench:cost                 (BENCH_COST_CALLS, default "300,1200": the two days' sizes)
 */
import { subscribe } from "node:diagnostics_channel";
import type { ClientRequest } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Timer } from "@azure/functions";
import { BlobServiceClient } from "@azure/storage-blob";
import { type ArchiveStore, blobArchiveStore } from "../shared/archive/archiveStore.js";
import { systemClock } from "../shared/core/clock.js";
import { dayInMs, floorTo } from "../shared/core/window.js";
import { type PipelineConfig, loadArchiverConfig, loadPipelineConfig } from "../shared/config/config.js";
import { createGraphRuntime } from "../shared/graph/graphSetup.js";
import { curateDay, curateDueDays } from "../shared/pipeline/curate/curateDay.js";
import { markDayIfFinal } from "../shared/pipeline/harvest/dayMarker.js";
import { memoryWatermarkStore } from "../shared/pipeline/plan/watermarkStore.js";
import { makePlanHandler } from "../functions/handlers.js";
import { startAzurite } from "../local/azurite.js";
import { quietContext as quiet, runLocal } from "../local/run.js";
import { sandboxSettings, startSandbox } from "../sandbox/server.js";

type Kind = "write" | "list" | "read" | "delete";
type Phase = "harvest" | "curate" | "planTick" | "curateIdle";
const phases: Phase[] = ["harvest", "curate", "planTick", "curateIdle"];
const ops = Object.fromEntries(phases.map((p) => [p, { write: 0, list: 0, read: 0, delete: 0 }])) as Record<Phase, Record<Kind, number>>;
let phase: Phase = "harvest";

const location = await mkdtemp(join(tmpdir(), "bench-cost-"));
const azurite = await startAzurite({ location });
const storageHost = new URL(azurite.blobEndpoint).host;
subscribe("http.client.request.start", (message) => {
  const request = (message as { request: ClientRequest }).request;
  const host = request.getHeader("host");
  if (host !== storageHost) return;
  const kind: Kind = request.method === "PUT" ? "write" : request.method === "DELETE" ? "delete" : /[?&]comp=list/.test(request.path) ? "list" : "read";
  ops[phase][kind] += 1;
});

const day = floorTo(Date.now(), dayInMs) - 26 * dayInMs;
const timer = { isPastDue: false, scheduleStatus: { last: "", next: "", lastUpdated: "" } } as Timer;

interface DayMeasure {
  readonly calls: number;
  readonly records: number;
  readonly jobs: number;
  readonly graphRequests: number;
  readonly write: number;
  readonly list: number;
  readonly read: number;
  readonly deliveries: number;
  readonly busySeconds: number;
  readonly rawBytes: number;
  readonly curatedBytes: number;
}

/** One sandbox day of `calls` calls: every pass harvested, the day marked final and curated. */
async function measureDay(calls: number): Promise<DayMeasure & { readonly archive: ArchiveStore; readonly pipeline: PipelineConfig; readonly heartbeatSeconds: number }> {
  const sandbox = await startSandbox({ callsPerDay: calls });
  try {
    const env = { ...process.env, ...sandboxSettings(sandbox) };
    const archiverConfig = loadArchiverConfig(env);
    const pipeline = loadPipelineConfig(env);
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(`archive-${calls}`);
    await container.createIfNotExists();
    const archive = blobArchiveStore(container);
    for (const p of phases) ops[p] = { write: 0, list: 0, read: 0, delete: 0 };
    phase = "harvest";
    const summary = await runLocal({
      archiverConfig,
      pipeline,
      graph: createGraphRuntime(archiverConfig, { ca: sandbox.ca }),
      archive,
      watermarks: memoryWatermarkStore({ nextWindowStartInMs: day }),
      clock: systemClock,
      planClock: { now: () => day + dayInMs + pipeline.plan.settleInMs, sleep: systemClock.sleep },
    });
    if (summary.deadLetters.length > 0 || summary.scheduledLater > 0) throw new Error(`the day did not archive whole: ${summary.deadLetters.length} dead letters, ${summary.scheduledLater} passes not due`);
    // The final pass's own last step in Azure (runLocal's harvests are not given the plan to decide it).
    if (!(await markDayIfFinal(archive, day, pipeline.plan, Date.now()))) throw new Error("the day is not final after every pass");
    phase = "curate";
    const started = performance.now();
    const curated = await curateDay({ archive, nowInMs: Date.now }, day);
    const curateSeconds = (performance.now() - started) / 1000;
    if (curated.status !== "curated") throw new Error(`the day was not curated: ${curated.status}`);
    const measure = {
      calls,
      records: summary.records,
      jobs: summary.jobs,
      graphRequests: summary.graph.requests,
      write: ops.harvest.write + ops.curate.write,
      list: ops.harvest.list + ops.curate.list,
      read: ops.harvest.read + ops.curate.read,
      deliveries: summary.jobs + summary.retries,
      busySeconds: summary.harvestSeconds + curateSeconds,
      rawBytes: summary.bytes,
      curatedBytes: curated.tables.reduce((n, t) => n + t.bytes, 0),
    };
    console.log(`a day of ${calls} calls, every pass: ${measure.records} records, ${measure.jobs} jobs, ${measure.graphRequests} Graph requests, ${measure.write}/${measure.list}/${measure.read} storage writes/lists/reads, busy ${measure.busySeconds.toFixed(1)} s (curate ${curateSeconds.toFixed(1)} s), ${(measure.rawBytes / 1e6).toFixed(2)} MB raw, ${(measure.curatedBytes / 1e6).toFixed(2)} MB curated`);
    // Busy instances announce themselves every eighth of Graph's rate window (functions/azure.ts).
    return { ...measure, archive, pipeline, heartbeatSeconds: archiverConfig.graph.rateLimitWindowInMs / 8 / 1000 };
  } finally {
    await sandbox.close();
  }
}

try {
  // Two tenant sizes: what grows with records is told from what each job costs whatever it holds
  // (a window's 6 passes are 144 jobs a day at any size).
  const sizes = (process.env.BENCH_COST_CALLS ?? "300,1200").split(",").map(Number);
  const [small, large] = [await measureDay(sizes[0] ?? 300), await measureDay(sizes[1] ?? 1200)];
  const { archive, pipeline } = large;
  const { heartbeatSeconds } = large;

  // The timers, whatever the traffic: one steady-state plan tick (one window planned, its re-reads
  // sent, the coverage sweep run) and one idle curate run (the lookback's markers read).
  phase = "planTick";
  const plan = makePlanHandler(() => ({
    watermarks: memoryWatermarkStore({ nextWindowStartInMs: day + dayInMs }),
    sender: { send: async () => undefined },
    clock: { now: () => day + dayInMs + pipeline.plan.windowInMs + pipeline.plan.settleInMs, sleep: systemClock.sleep },
    plan: pipeline.plan,
    sweep: { archive, settings: pipeline.sweep },
  }));
  let started = performance.now();
  await plan(timer, quiet("plan"));
  const tickSeconds = (performance.now() - started) / 1000;
  phase = "curateIdle";
  started = performance.now();
  await curateDueDays({ archive, nowInMs: Date.now }, { lookbackDays: pipeline.curate.lookbackDays, maxDays: pipeline.curate.maxDays });
  const idleCurateSeconds = (performance.now() - started) / 1000;

  type Measured = Exclude<keyof DayMeasure, "calls" | "records" | "jobs">;
  const measured: Measured[] = ["graphRequests", "write", "list", "read", "deliveries", "busySeconds", "rawBytes", "curatedBytes"];
  // A day's count = base (per job, fixed at 144 jobs a day) + per record × records.
  const perRecord = Object.fromEntries(measured.map((k) => [k, Math.max(0, (large[k] - small[k]) / (large.records - small.records))])) as Record<Measured, number>;
  const base = Object.fromEntries(measured.map((k) => [k, Math.max(0, small[k] - perRecord[k] * small.records)])) as Record<Measured, number>;
  const dayOf = (records: number) => Object.fromEntries(measured.map((k) => [k, base[k] + perRecord[k] * records])) as Record<Measured, number>;

  console.log("\nper 1,000 records archived (at the larger size, all passes, curate included), and the part that grows with records");
  const atLarge = (k: Measured) => (large[k] * 1000) / large.records;
  const rows: [string, Measured, number][] = [
    ["Graph requests", "graphRequests", 1],
    ["storage writes", "write", 1],
    ["storage lists", "list", 1],
    ["storage reads", "read", 1],
    ["Service Bus operations", "deliveries", 3],
    ["executions", "deliveries", 1],
    ["GB-seconds (2 GB)", "busySeconds", 2],
    ["heartbeat operations", "busySeconds", 2 / heartbeatSeconds],
    ["MB raw", "rawBytes", 1e-6],
    ["MB curated", "curatedBytes", 1e-6],
  ];
  for (const [name, key, factor] of rows) console.log(`  ${name.padEnd(24)} ${(atLarge(key) * factor).toFixed(1).padStart(9)}   of which per record ${(perRecord[key] * 1000 * factor).toFixed(1).padStart(9)}   per day whatever the records ${(base[key] * factor).toFixed(1).padStart(9)}`);

  const fixedPerDay = {
    write: 96 * ops.planTick.write + 24 * ops.curateIdle.write,
    list: 96 * ops.planTick.list + 24 * ops.curateIdle.list,
    read: 96 * ops.planTick.read + 24 * ops.curateIdle.read,
    executions: 96 + 24,
    gbSeconds: 2 * (96 * tickSeconds + 24 * idleCurateSeconds),
  };
  console.log(`\ntimers per day: 96 plan ticks with their sweep (${(tickSeconds * 1000).toFixed(0)} ms, ${ops.planTick.list} lists, ${ops.planTick.read} reads each) and 24 idle curate runs (${(idleCurateSeconds * 1000).toFixed(0)} ms, ${ops.curateIdle.read} reads each): ${fixedPerDay.list} lists, ${fixedPerDay.read} reads, ${fixedPerDay.executions} executions, ${fixedPerDay.gbSeconds.toFixed(1)} GB-s`);

  // List prices (USD, pay-as-you-go, East US; see the README's cost section for their source).
  const price = {
    gbSecond: 0.000026,
    execution: 0.4 / 1e6,
    write: 0.05 / 1e4,
    list: 0.05 / 1e4,
    read: 0.004 / 1e4,
    gbMonth: 0.0184,
    serviceBusBase: 9.81,
    logGB: 2.3,
    // About 1 KB of StorageBlobLogs per audited archive operation (reads, writes and deletes).
    logKBPerOp: 1,
  };
  console.log("\nmonthly at list prices (30 days; storage after a year of retention; free grants not deducted)");
  console.log("  calls/day   compute      executions   storage ops  heartbeats   stored (1 y) audit logs   Service Bus  total        timers+heartbeats  all fixed");
  for (const calls of [1000, 10_000, 100_000]) {
    const d = dayOf(calls);
    const compute = 30 * (2 * d.busySeconds + fixedPerDay.gbSeconds) * price.gbSecond;
    const executions = 30 * (d.deliveries + 1 + fixedPerDay.executions) * price.execution;
    const archiveOps = 30 * (d.write * price.write + d.list * price.list + d.read * price.read);
    const timerOps = 30 * (fixedPerDay.write * price.write + fixedPerDay.list * price.list + fixedPerDay.read * price.read);
    const heartbeat = 30 * (d.busySeconds / heartbeatSeconds) * (price.write + price.list);
    const stored = ((30 * 12 * (d.rawBytes + d.curatedBytes)) / 1e9) * price.gbMonth;
    const auditedOps = 30 * (d.write + d.list + d.read + fixedPerDay.write + fixedPerDay.list + fixedPerDay.read);
    const logs = ((auditedOps * price.logKBPerOp) / 1e6) * price.logGB;
    const serviceBus = price.serviceBusBase;
    const total = compute + executions + archiveOps + timerOps + heartbeat + stored + logs + serviceBus;
    // What runs whatever the traffic: the timers (their executions, time and operations) and heartbeats.
    const timers = 30 * fixedPerDay.gbSeconds * price.gbSecond + 30 * fixedPerDay.executions * price.execution + timerOps;
    const cells = [compute, executions, archiveOps + timerOps, heartbeat, stored, logs, serviceBus, total].map((v) => `$${v.toFixed(2)}`.padEnd(12));
    console.log(`  ${String(calls).padEnd(10)}  ${cells.join(" ")} ${`${((100 * (timers + heartbeat)) / total).toFixed(1)} %`.padEnd(18)} ${((100 * (timers + heartbeat + serviceBus)) / total).toFixed(1)} %`);
  }
} finally {
  await azurite.stop();
  await rm(location, { recursive: true, force: true });
}
