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
import functions, { type Timer } from "@azure/functions";
import { BlobServiceClient } from "@azure/storage-blob";
import { type ArchiveStore, blobArchiveStore } from "../shared/archive/archiveStore.js";
import { systemClock } from "../shared/core/clock.js";
import { dayInMs, floorTo } from "../shared/core/window.js";
import { type PipelineConfig, loadArchiverConfig, loadPipelineConfig } from "../shared/config/config.js";
import { createGraphRuntime } from "../shared/graph/graphSetup.js";
import { curateDay, curateDueDays, curatedMarkerName, curationCandidates } from "../shared/pipeline/curate/curateDay.js";
import { markDayIfFinal } from "../shared/pipeline/harvest/dayMarker.js";
import { blobWatermarkStore, memoryWatermarkStore } from "../shared/pipeline/plan/watermarkStore.js";
import { blobSweepMemoryStore } from "../shared/pipeline/plan/sweepMemoryStore.js";
import { manifestBlobName } from "../shared/archive/archiveLayout.js";
import { type Job, jobKey } from "../shared/core/job.js";
import { makePlanHandler } from "../functions/planHandler.js";
import { startAzurite } from "../local/azurite.js";
import { runLocal } from "../local/run.js";
import { sandboxSettings, startSandbox } from "../sandbox/server.js";
import { passDueAt, retentionStart } from "../shared/core/passes.js";
import { logSourceNames } from "../shared/core/sources.js";

type Kind = "write" | "list" | "read" | "delete";
type Phase = "harvest" | "curate" | "planTick" | "curateIdle" | "timerSetup" | "logs";
const phases: Phase[] = ["harvest", "curate", "planTick", "curateIdle", "timerSetup", "logs"];
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
  readonly traces: number;
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
    let traceLines = 0;
    const summary = await runLocal({
      onLogLine: () => (traceLines += 1),
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
    const deliveries = summary.jobs + summary.retries;
    const measure = {
      calls,
      records: summary.records,
      jobs: summary.jobs,
      graphRequests: summary.graph.requests,
      write: ops.harvest.write + ops.curate.write,
      list: ops.harvest.list + ops.curate.list,
      read: ops.harvest.read + ops.curate.read,
      deliveries,
      // What the harvests log (one event line each, in Azure a trace each), plus the host's own two
      // per invocation (Executing / Executed), which host.json now keeps out of sampling too.
      traces: traceLines + 2 * deliveries,
      busySeconds: summary.harvestSeconds + curateSeconds,
      rawBytes: summary.bytes,
      curatedBytes: curated.tables.reduce((n, t) => n + t.bytes, 0),
    };
    console.log(`a day of ${calls} calls, every pass: ${measure.records} records, ${measure.jobs} jobs, ${measure.graphRequests} Graph requests, ${measure.write}/${measure.list}/${measure.read} storage writes/lists/reads, busy ${measure.busySeconds.toFixed(1)} s (curate ${curateSeconds.toFixed(1)} s), ${(measure.rawBytes / 1e6).toFixed(2)} MB raw, ${(measure.curatedBytes / 1e6).toFixed(2)} MB curated`);
    // The telephony logs of the same day, counted apart: both logs, the passes due 26 days on
    // (0, and the re-read at 7 days; the one at 30 days is not due yet), as their jobs run.
    phase = "logs";
    const logRun = await runLocal({
      archiverConfig,
      pipeline,
      graph: createGraphRuntime(archiverConfig, { ca: sandbox.ca }),
      archive,
      watermarks: memoryWatermarkStore({ nextWindowStartInMs: day + dayInMs }),
      clock: systemClock,
      planClock: { now: () => day + dayInMs, sleep: systemClock.sleep },
      logDays: logSourceNames.flatMap((source) => {
        const plan = pipeline.logs[source];
        return plan ? [{ source, plan, days: [{ startInMs: day, endInMs: day + dayInMs }] }] : [];
      }),
    });
    const rows = Object.values(logRun.logs).reduce((n, l) => n + (l?.rows ?? 0), 0);
    const logPasses = Object.values(logRun.logs).reduce((n, l) => n + (l?.passes ?? 0), 0);
    console.log(
      `  telephony logs of that day (both, ${logPasses} passes, ${logRun.scheduledLater} not due yet): ${rows} rows, ${logRun.graph.requests} Graph requests (their own limit, apart from call records'), ${ops.logs.write}/${ops.logs.list}/${ops.logs.read} storage writes/lists/reads`,
    );
    phase = "harvest";
    // Busy instances announce themselves every eighth of Graph's rate window (functions/azure.ts).
    return { ...measure, archive, pipeline, heartbeatSeconds: archiverConfig.graph.rateLimitWindowInMs / 8 / 1000 };
  } finally {
    await sandbox.close();
  }
}

/**
 * A steady-state day of plan ticks (every 15 minutes, ARCHIVER_SCHEDULE's default), each planning
 * what fell due and running the coverage sweep with its memory, against an archive that holds every
 * (window, pass) of Graph's 30 days as it falls due: manifests only (the sweep lists, never reads
 * them), written between ticks as the harvests would, outside the count. The watermark and the
 * sweep's memory are blobs in a state container, so their reads and writes are counted too. The
 * day measured is the second: the first starts from no memory (one full listing, as after a deploy).
 */
async function measurePlanDay(pipeline: PipelineConfig): Promise<{ count: number; seconds: number; listedDays: number; fullListings: number; idleCurateSeconds: number }> {
  const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
  const archiveContainer = service.getContainerClient("timers-archive");
  const state = service.getContainerClient("timers-state");
  await Promise.all([archiveContainer.createIfNotExists(), state.createIfNotExists()]);
  const archive = blobArchiveStore(archiveContainer);
  const { plan, sweep } = pipeline;
  const tickInMs = 15 * 60_000;
  const first = floorTo(Date.now(), dayInMs) - dayInMs + 7 * 60_000;
  const written = new Set<string>();
  /** Every (window, pass) due by `nowInMs` in Graph's 30 days, archived as a harvest would. */
  const harvestDue = async (nowInMs: number) => {
    const due: Job[] = [];
    for (let start = retentionStart(nowInMs, plan.windowInMs); start + plan.windowInMs <= nowInMs; start += plan.windowInMs) {
      const window = { startInMs: start, endInMs: start + plan.windowInMs };
      for (let pass = 0; pass <= plan.rereadOffsetsInMs.length; pass += 1) {
        if (passDueAt(window, pass, plan) <= nowInMs && !written.has(jobKey({ window, pass }))) due.push({ window, pass });
      }
    }
    for (let i = 0; i < due.length; i += 16) {
      await Promise.all(due.slice(i, i + 16).map((job) => archive.createText(manifestBlobName(job), "{}", "application/json", { status: "complete" })));
    }
    for (const job of due) written.add(jobKey(job));
  };
  await blobWatermarkStore(state).write({ nextWindowStartInMs: floorTo(first - plan.settleInMs, plan.windowInMs) }, undefined);
  let seconds = 0;
  let listedDays = 0;
  let fullListings = 0;
  for (let i = 0; i < 2 * 96; i += 1) {
    const nowInMs = first + i * tickInMs;
    phase = "timerSetup";
    await harvestDue(nowInMs);
    if (i === 96) for (const kind of ["write", "list", "read", "delete"] as const) ops.planTick[kind] = 0;
    phase = "planTick";
    const handler = makePlanHandler(() => ({
      watermarks: blobWatermarkStore(state),
      sender: { send: async () => undefined },
      clock: { now: () => nowInMs, sleep: systemClock.sleep },
      plan,
      sweep: { archive, settings: sweep, memory: blobSweepMemoryStore(state) },
    }));
    const lines: string[] = [];
    const started = performance.now();
    await handler(timer, new functions.InvocationContext({ invocationId: "plan", functionName: "plan", logHandler: (_level, ...args) => lines.push(args.join(" ")) }));
    if (i < 96) continue;
    seconds += (performance.now() - started) / 1000;
    const event = JSON.parse((lines.find((l) => l.startsWith("sweep {")) ?? "sweep {}").slice("sweep ".length)) as { listedDays?: number; fullListing?: boolean; missing?: number };
    if (event.missing !== 0) throw new Error(`the simulated archive is missing ${event.missing} jobs at tick ${i}`);
    listedDays += event.listedDays ?? 0;
    fullListings += event.fullListing ? 1 : 0;
  }
  // An idle curate run over the same archive, steady state: every day that is final is curated.
  phase = "timerSetup";
  const finalDays = curationCandidates(first + dayInMs, pipeline.curate.lookbackDays).filter((day) => day + dayInMs + (pipeline.curate.finalAfterInMs ?? 0) <= first + dayInMs);
  await Promise.all(finalDays.map((day) => archive.createText(curatedMarkerName(day), "{}", "application/json")));
  phase = "curateIdle";
  const started = performance.now();
  const idle = await curateDueDays({ archive, nowInMs: () => first + dayInMs }, pipeline.curate);
  const idleCurateSeconds = (performance.now() - started) / 1000;
  if (idle.curated.length > 0) throw new Error("the idle curate run found a day to curate");
  return { count: 96, seconds, listedDays, fullListings, idleCurateSeconds };
}

try {
  // Two tenant sizes: what grows with records is told from what each job costs whatever it holds
  // (a window's 6 passes are 144 jobs a day at any size).
  const sizes = (process.env.BENCH_COST_CALLS ?? "300,1200").split(",").map(Number);
  const [small, large] = [await measureDay(sizes[0] ?? 300), await measureDay(sizes[1] ?? 1200)];
  const { pipeline } = large;
  const { heartbeatSeconds } = large;

  // The timers, whatever the traffic: a steady-state day of plan ticks and one idle curate run.
  const ticks = await measurePlanDay(pipeline);
  const idleCurateSeconds = ticks.idleCurateSeconds;

  type Measured = Exclude<keyof DayMeasure, "calls" | "records" | "jobs">;
  const measured: Measured[] = ["graphRequests", "write", "list", "read", "deliveries", "traces", "busySeconds", "rawBytes", "curatedBytes"];
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
    ["traces (unsampled)", "traces", 1],
    ["GB-seconds (2 GB)", "busySeconds", 2],
    ["heartbeat operations", "busySeconds", 2 / heartbeatSeconds],
    ["MB raw", "rawBytes", 1e-6],
    ["MB curated", "curatedBytes", 1e-6],
  ];
  for (const [name, key, factor] of rows) console.log(`  ${name.padEnd(24)} ${(atLarge(key) * factor).toFixed(1).padStart(9)}   of which per record ${(perRecord[key] * 1000 * factor).toFixed(1).padStart(9)}   per day whatever the records ${(base[key] * factor).toFixed(1).padStart(9)}`);

  const fixedPerDay = {
    write: ops.planTick.write + 24 * ops.curateIdle.write,
    list: ops.planTick.list + 24 * ops.curateIdle.list,
    read: ops.planTick.read + 24 * ops.curateIdle.read,
    executions: ticks.count + 24,
    gbSeconds: 2 * (ticks.seconds + 24 * idleCurateSeconds),
  };
  console.log(
    `\ntimers per day: ${ticks.count} plan ticks with their sweep (${((ticks.seconds / ticks.count) * 1000).toFixed(0)} ms each; ${ops.planTick.write} writes, ${ops.planTick.list} lists, ${ops.planTick.read} reads in all; ${ticks.listedDays} day partitions listed, ${ticks.fullListings} full listings) and 24 idle curate runs (${(idleCurateSeconds * 1000).toFixed(0)} ms, ${ops.curateIdle.list} list and ${ops.curateIdle.read} reads each): ${fixedPerDay.write} writes, ${fixedPerDay.list} lists, ${fixedPerDay.read} reads, ${fixedPerDay.executions} executions, ${fixedPerDay.gbSeconds.toFixed(1)} GB-s`,
  );

  // List prices (USD, pay-as-you-go, East US; see the README's cost section for their source).
  const price = {
    gbSecond: 0.000026,
    execution: 0.4 / 1e6,
    write: 0.05 / 1e4,
    list: 0.05 / 1e4,
    read: 0.004 / 1e4,
    gbMonth: 0.0184,
    // Basic: per operation, no base charge (Standard: $9.81 a month, 13 million operations included).
    serviceBusOperation: 0.05 / 1e6,
    serviceBusStandardBase: 9.81,
    logGB: 2.3,
    // About 1 KB of StorageBlobLogs per audited archive operation (reads, writes and deletes).
    logKBPerOp: 1,
  };
  console.log("\nmonthly at list prices (30 days; storage after a year of retention; free grants not deducted)");
  console.log("  calls/day   compute      executions   storage ops  heartbeats   stored (1 y) audit logs   Service Bus  total        timers+heartbeats  all fixed (Basic)");
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
    // Each delivery: a send, a receive and a settlement; the sweep's and the retries' sends are in the deliveries.
    const serviceBus = 30 * 3 * d.deliveries * price.serviceBusOperation;
    const total = compute + executions + archiveOps + timerOps + heartbeat + stored + logs + serviceBus;
    // What runs whatever the traffic: the timers (their executions, time and operations) and heartbeats.
    const timers = 30 * fixedPerDay.gbSeconds * price.gbSecond + 30 * fixedPerDay.executions * price.execution + timerOps;
    // Everything a day costs whatever its records: the timers, the heartbeats, and each of the
    // day's 144 jobs' own operations, time, logs and messages (the `base` of the split above).
    const b = dayOf(0);
    const perJobFixed =
      30 * (b.write * price.write + b.list * price.list + b.read * price.read) +
      30 * 2 * b.busySeconds * price.gbSecond +
      30 * b.deliveries * (price.execution + 3 * price.serviceBusOperation) +
      ((30 * (b.write + b.list + b.read) * price.logKBPerOp) / 1e6) * price.logGB;
    const cells = [compute, executions, archiveOps + timerOps, heartbeat, stored, logs, serviceBus, total].map((v) => `$${v.toFixed(v < 0.01 && v > 0 ? 4 : 2)}`.padEnd(12));
    console.log(
      `  ${String(calls).padEnd(10)}  ${cells.join(" ")} ${`${((100 * (timers + heartbeat)) / total).toFixed(1)} %`.padEnd(18)} ${((100 * (timers + heartbeat + perJobFixed)) / total).toFixed(1)} %   (Standard: $${(total + price.serviceBusStandardBase).toFixed(2)}, fixed ${((100 * (timers + heartbeat + perJobFixed + price.serviceBusStandardBase)) / (total + price.serviceBusStandardBase)).toFixed(1)} %)`,
    );
  }
} finally {
  await azurite.stop();
  await rm(location, { recursive: true, force: true });
}
