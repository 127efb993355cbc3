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
 * Then what each further tenant of one deployment adds (docs/costs.md, "Many tenants"): the home
 * tenant's day beside BENCH_COST_TENANTS others in one run, the timers' day with a registry naming
 * them, and the heartbeats of governors wired as in Azure, counted on the wire; and a month for
 * deployments of 1, 10 and 50 tenants.
 *
 *   npm run bench:cost     (BENCH_COST_CALLS, default "300,1200": the two days' sizes; BENCH_COST_TENANTS, default 2)
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
import type { Job } from "../shared/core/job.js";
import { makePlanHandler } from "../functions/planHandler.js";
import { startAzurite } from "../local/azurite.js";
import { runLocal } from "../local/run.js";
import { sandboxSettings, startSandbox } from "../sandbox/server.js";
import { passDueAt, retentionStart } from "../shared/core/passes.js";
import { logSourceNames } from "../shared/core/sources.js";
import { blobTenantRegistryStore } from "../shared/archive/tenantRegistryStore.js";
import { schedulerBlobName } from "../shared/archive/stateLayout.js";
import type { TenantId } from "../shared/core/tenants.js";
import { RequestGovernor } from "../shared/graph/requestGovernor.js";
import { tenantBudgets } from "../shared/graph/tenantBudgets.js";
import { blobInstanceRegistry, instancesPrefix } from "../shared/pipeline/harvest/instanceRegistry.js";

type Kind = "write" | "list" | "read" | "delete";
type Phase = "harvest" | "curate" | "planTick" | "curateIdle" | "timerSetup" | "logs" | "tenantsHarvest" | "heartbeats";
const phases: Phase[] = ["harvest", "curate", "planTick", "curateIdle", "timerSetup", "logs", "tenantsHarvest", "heartbeats"];
const ops = Object.fromEntries(phases.map((p) => [p, { write: 0, list: 0, read: 0, delete: 0 }])) as Record<Phase, Record<Kind, number>>;
const resetOps = (p: Phase) => (ops[p] = { write: 0, list: 0, read: 0, delete: 0 });
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

// A weekday old enough for every re-read pass: 26 days back, or the Friday before when that is a
// weekend, when the sandbox's tenants make a weekday's calls times 0.15 (a bench run on a Friday
// once measured a Sunday of 180 records for "1,200 calls").
const weekend = (instant: number) => [0, 6].includes(new Date(instant).getUTCDay());
let day = floorTo(Date.now(), dayInMs) - 26 * dayInMs;
while (weekend(day)) day -= dayInMs;
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
async function measureDay(calls: number, tenants: readonly TenantId[] = []): Promise<DayMeasure & { readonly archive: ArchiveStore; readonly pipeline: PipelineConfig; readonly heartbeatSeconds: number }> {
  // With `tenants`: the home tenant's day and each tenant's, all of `calls` calls, in one run.
  const sandbox = await startSandbox({ callsPerDay: calls, tenants: tenants.map((id) => ({ id, callsPerDay: calls })) });
  try {
    const env = { ...process.env, ...sandboxSettings(sandbox), ARCHIVER_TENANTS: tenants.join(",") };
    const archiverConfig = loadArchiverConfig(env);
    const pipeline = loadPipelineConfig(env);
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(`archive-${calls}-${tenants.length}`);
    await container.createIfNotExists();
    const archive = blobArchiveStore(container);
    for (const p of phases) resetOps(p);
    phase = "harvest";
    let traceLines = 0;
    const summary = await runLocal({
      onLogLine: () => (traceLines += 1),
      archiverConfig,
      pipeline,
      graph: createGraphRuntime(archiverConfig, { ca: sandbox.ca }),
      archive,
      watermarks: memoryWatermarkStore({ nextWindowStartInMs: day }),
      ...(tenants.length > 0 ? { tenants: tenants.map((tenant) => ({ tenant, watermarks: memoryWatermarkStore({ nextWindowStartInMs: day }) })) } : {}),
      clock: systemClock,
      planClock: { now: () => day + dayInMs + pipeline.plan.settleInMs, sleep: systemClock.sleep },
    });
    if (summary.deadLetters.length > 0 || summary.scheduledLater > 0) throw new Error(`the day did not archive whole: ${summary.deadLetters.length} dead letters, ${summary.scheduledLater} passes not due`);
    // The final pass's own last step in Azure (runLocal's harvests are not given the plan to decide it).
    for (const tenant of [undefined, ...tenants]) {
      if (!(await markDayIfFinal(archive, day, pipeline.plan, Date.now(), tenant))) throw new Error(`the day of ${tenant ?? "home"} is not final after every pass`);
    }
    phase = "curate";
    const started = performance.now();
    const curatedDays = [];
    for (const tenant of [undefined, ...tenants]) curatedDays.push(await curateDay({ archive, nowInMs: Date.now, ...(tenant === undefined ? {} : { tenant }) }, day));
    const curateSeconds = (performance.now() - started) / 1000;
    const curated = { tables: curatedDays.flatMap((c) => (c.status === "curated" ? c.tables : [])) };
    const notCurated = curatedDays.find((c) => c.status !== "curated");
    if (notCurated) throw new Error(`a day was not curated: ${notCurated.status}`);
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
    console.log(`${tenants.length > 0 ? `the home tenant and ${tenants.length} others, ` : ""}a day of ${calls} calls${tenants.length > 0 ? " each" : ""}, every pass: ${measure.records} records, ${measure.jobs} jobs, ${measure.graphRequests} Graph requests, ${measure.write}/${measure.list}/${measure.read} storage writes/lists/reads, busy ${measure.busySeconds.toFixed(1)} s (curate ${curateSeconds.toFixed(1)} s), ${(measure.rawBytes / 1e6).toFixed(2)} MB raw, ${(measure.curatedBytes / 1e6).toFixed(2)} MB curated`);
    // Busy instances announce themselves every eighth of Graph's rate window (functions/azure.ts).
    const heartbeatSeconds = archiverConfig.graph.rateLimitWindowInMs / 8 / 1000;
    if (tenants.length > 0) return { ...measure, archive, pipeline, heartbeatSeconds };
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
    return { ...measure, archive, pipeline, heartbeatSeconds };
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
 * With `tenants`, a registry in the state container names them active, as a managed service
 * provider's deployment runs: each tick reads it and plans and sweeps each tenant from its own
 * watermark and memory (functions/azure.ts's wiring), over an archive holding every tenant's jobs.
 */
async function measurePlanDay(pipeline: PipelineConfig, tenants: readonly TenantId[] = []): Promise<PlanDayMeasure> {
  const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
  const archiveContainer = service.getContainerClient(`timers-archive-${tenants.length}`);
  const state = service.getContainerClient(`timers-state-${tenants.length}`);
  await Promise.all([archiveContainer.createIfNotExists(), state.createIfNotExists()]);
  const archive = blobArchiveStore(archiveContainer);
  const { plan, sweep } = pipeline;
  const tickInMs = 15 * 60_000;
  const first = floorTo(Date.now(), dayInMs) - dayInMs + 7 * 60_000;
  const written = new Set<string>();
  const origins = [{}, ...tenants.map((tenant) => ({ tenant }))];
  /** Every (window, pass) due by `nowInMs` in Graph's 30 days, archived as a harvest would. */
  const harvestDue = async (nowInMs: number) => {
    const due: Job[] = [];
    for (let start = retentionStart(nowInMs, plan.windowInMs); start + plan.windowInMs <= nowInMs; start += plan.windowInMs) {
      const window = { startInMs: start, endInMs: start + plan.windowInMs };
      for (let pass = 0; pass <= plan.rereadOffsetsInMs.length; pass += 1) {
        for (const origin of origins) {
          const job = { window, pass, ...origin };
          if (passDueAt(window, pass, plan) <= nowInMs && !written.has(manifestBlobName(job))) due.push(job);
        }
      }
    }
    for (let i = 0; i < due.length; i += 16) {
      await Promise.all(due.slice(i, i + 16).map((job) => archive.createText(manifestBlobName(job), "{}", "application/json", { status: "complete" })));
    }
    for (const job of due) written.add(manifestBlobName(job));
  };
  const startAt = { nextWindowStartInMs: floorTo(first - plan.settleInMs, plan.windowInMs) };
  await blobWatermarkStore(state).write(startAt, undefined);
  const registry = blobTenantRegistryStore(state);
  for (const tenant of tenants) {
    await blobWatermarkStore(state, schedulerBlobName("watermark", { tenant })).write(startAt, undefined);
    await registry.change({ action: "add", tenant, name: tenant }, "bench", first);
    await registry.change({ action: "consented", tenant }, "bench", first);
  }
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
      ...(tenants.length > 0
        ? {
            registry: {
              store: registry,
              check: () => Promise.reject(new Error("no tenant of the bench is invited")),
              planOf: (entry) => ({ tenant: entry.id, watermarks: blobWatermarkStore(state, schedulerBlobName("watermark", { tenant: entry.id })), sweepMemory: blobSweepMemoryStore(state, schedulerBlobName("sweep", { tenant: entry.id })) }),
            },
          }
        : {}),
    }));
    const lines: string[] = [];
    const started = performance.now();
    await handler(timer, new functions.InvocationContext({ invocationId: "plan", functionName: "plan", logHandler: (_level, ...args) => lines.push(args.join(" ")) }));
    if (i < 96) continue;
    seconds += (performance.now() - started) / 1000;
    const events = lines.filter((l) => l.startsWith("sweep {")).map((l) => JSON.parse(l.slice("sweep ".length)) as { listedDays?: number; fullListing?: boolean; missing?: number });
    if (events.length !== origins.length) throw new Error(`tick ${i} swept ${events.length} tenants of ${origins.length}: ${lines.join("; ")}`);
    for (const event of events) {
      if (event.missing !== 0) throw new Error(`the simulated archive is missing ${event.missing} jobs at tick ${i}`);
      listedDays += event.listedDays ?? 0;
      fullListings += event.fullListing ? 1 : 0;
    }
  }
  // An idle curate run over the same archive, steady state: every day that is final is curated.
  phase = "timerSetup";
  const finalDays = curationCandidates(first + dayInMs, pipeline.curate.lookbackDays).filter((day) => day + dayInMs + (pipeline.curate.finalAfterInMs ?? 0) <= first + dayInMs);
  for (const tenant of [undefined, ...tenants]) await Promise.all(finalDays.map((day) => archive.createText(curatedMarkerName(day, tenant), "{}", "application/json")));
  phase = "curateIdle";
  const started = performance.now();
  // As the curate function runs (functions/azure.ts): it reads the registry, a deployment without
  // other tenants too, then curates the home tenant and each tenant the registry names.
  await registry.read();
  for (const tenant of [undefined, ...tenants]) {
    const idle = await curateDueDays({ archive, nowInMs: () => first + dayInMs, ...(tenant === undefined ? {} : { tenant }) }, pipeline.curate);
    if (idle.curated.length > 0) throw new Error("the idle curate run found a day to curate");
  }
  const idleCurateSeconds = (performance.now() - started) / 1000;
  return { count: 96, seconds, listedDays, fullListings, idleCurateSeconds, planTick: { ...ops.planTick }, curateIdle: { ...ops.curateIdle } };
}

interface PlanDayMeasure {
  readonly count: number;
  readonly seconds: number;
  readonly listedDays: number;
  readonly fullListings: number;
  readonly idleCurateSeconds: number;
  /** The day's plan ticks, and one idle curate run, by kind. */
  readonly planTick: Record<Kind, number>;
  readonly curateIdle: Record<Kind, number>;
}

/**
 * What a busy instance's heartbeats cost, on the wire: `tenants` governors sharing as
 * functions/azure.ts wires them (the home tenant's at one level alone; with other tenants, each
 * tenant's and the app's), each busy, over `beats` heartbeats. Operations per busy (tenant,
 * instance) per heartbeat.
 */
async function measureHeartbeats(tenants: readonly (TenantId | undefined)[], beats: number): Promise<Record<Kind, number>> {
  const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(`budget-${tenants.length}`);
  await container.createIfNotExists();
  const budgets = tenantBudgets({
    registryOf: (tenant) => blobInstanceRegistry(container, tenant === undefined ? instancesPrefix : `${instancesPrefix}tenants/${tenant}/`),
    app: tenants.length > 1 ? { registry: blobInstanceRegistry(container, `${instancesPrefix}app/`), ceiling: 15_000 } : undefined,
    instance: "bench",
    ceiling: 1_500,
    idleAllowance: 1_500,
    // Long enough that only the beats below run.
    heartbeatInMs: 3_600_000,
    clock: systemClock,
  });
  const sharings = [];
  for (const tenant of tenants) {
    const governor = new RequestGovernor({ requests: 1_500, windowInMs: 20_000 }, systemClock);
    for (let i = 0; i < 5; i += 1) await governor.acquire();
    sharings.push(budgets.share({ tenant, governor }));
  }
  await Promise.all(sharings.map((s) => s.beat()));
  resetOps("heartbeats");
  phase = "heartbeats";
  for (let i = 0; i < beats; i += 1) await Promise.all(sharings.map((s) => s.beat()));
  phase = "timerSetup";
  const counted = { ...ops.heartbeats };
  await budgets.stop();
  return Object.fromEntries(Object.entries(counted).map(([k, v]) => [k, v / beats / tenants.length])) as Record<Kind, number>;
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

  const timersOf = (m: PlanDayMeasure) => ({
    write: m.planTick.write + 24 * m.curateIdle.write,
    list: m.planTick.list + 24 * m.curateIdle.list,
    read: m.planTick.read + 24 * m.curateIdle.read,
    executions: m.count + 24,
    gbSeconds: 2 * (m.seconds + 24 * m.idleCurateSeconds),
  });
  const fixedPerDay = timersOf(ticks);
  console.log(
    `\ntimers per day: ${ticks.count} plan ticks with their sweep (${((ticks.seconds / ticks.count) * 1000).toFixed(0)} ms each; ${ticks.planTick.write} writes, ${ticks.planTick.list} lists, ${ticks.planTick.read} reads in all; ${ticks.listedDays} day partitions listed, ${ticks.fullListings} full listings) and 24 idle curate runs (${(idleCurateSeconds * 1000).toFixed(0)} ms, ${ticks.curateIdle.list} list and ${ticks.curateIdle.read} reads each): ${fixedPerDay.write} writes, ${fixedPerDay.list} lists, ${fixedPerDay.read} reads, ${fixedPerDay.executions} executions, ${fixedPerDay.gbSeconds.toFixed(1)} GB-s`,
  );

  // Each further tenant: its day beside the home tenant's (at the smaller size), the timers' work
  // for it (plan ticks and idle curate runs with a registry naming it), and its heartbeats.
  const otherCount = Number(process.env.BENCH_COST_TENANTS ?? 2);
  const others = Array.from({ length: otherCount }, (_, i) => `0b7e2c1a-5f3d-4e6b-9a8c-1d2e3f4a5b${i.toString(16).padStart(2, "0")}`);
  const together = await measureDay(small.calls, others);
  const perTenantDay = Object.fromEntries(measured.map((k) => [k, (together[k] - small[k]) / otherCount])) as Record<Measured, number>;
  console.log(
    `  each further tenant's day (${otherCount} of ${small.calls} calls beside the home tenant's, less its day alone): ${((together.records - small.records) / otherCount).toFixed(0)} records, ${perTenantDay.graphRequests.toFixed(0)} Graph requests, ${perTenantDay.write.toFixed(0)}/${perTenantDay.list.toFixed(0)}/${perTenantDay.read.toFixed(0)} storage writes/lists/reads, ${perTenantDay.deliveries.toFixed(0)} deliveries, ${perTenantDay.busySeconds.toFixed(1)} s busy; the home tenant's day alone: ${small.records} records, ${small.graphRequests} Graph requests, ${small.write}/${small.list}/${small.read}, ${small.deliveries} deliveries, ${small.busySeconds.toFixed(1)} s busy`,
  );
  const ticksWith = await measurePlanDay(pipeline, others);
  const timersWith = timersOf(ticksWith);
  const perTenantTimers = { write: (timersWith.write - fixedPerDay.write) / otherCount, list: (timersWith.list - fixedPerDay.list) / otherCount, read: (timersWith.read - fixedPerDay.read) / otherCount, gbSeconds: (timersWith.gbSeconds - fixedPerDay.gbSeconds) / otherCount };
  console.log(
    `  timers per day with ${otherCount} more tenants in the registry: ${timersWith.write} writes, ${timersWith.list} lists, ${timersWith.read} reads, ${timersWith.gbSeconds.toFixed(1)} GB-s (${ticksWith.listedDays} day partitions listed); each further tenant adds ${perTenantTimers.write.toFixed(0)} writes, ${perTenantTimers.list.toFixed(0)} lists, ${perTenantTimers.read.toFixed(0)} reads, ${perTenantTimers.gbSeconds.toFixed(1)} GB-s a day`,
  );
  const beatsAlone = await measureHeartbeats([undefined], 20);
  const beatsShared = await measureHeartbeats([undefined, ...others], 20);
  console.log(
    `  heartbeats, per busy (tenant, instance) and beat, on the wire: ${beatsAlone.write} write and ${beatsAlone.list} list with the home tenant alone; ${beatsShared.write} writes and ${beatsShared.list} lists once other tenants share the app's ceiling (${beatsShared.read} reads)`,
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
  /** A month of one tenant's jobs at `calls` a day (timers apart), its heartbeats at `beat` operations each. */
  const jobsMonth = (calls: number, beat: { write: number; list: number }) => {
    const d = dayOf(calls);
    return {
      compute: 30 * 2 * d.busySeconds * price.gbSecond,
      executions: 30 * d.deliveries * price.execution,
      archiveOps: 30 * (d.write * price.write + d.list * price.list + d.read * price.read),
      heartbeat: 30 * (d.busySeconds / heartbeatSeconds) * (beat.write * price.write + beat.list * price.list),
      stored: ((30 * 12 * (d.rawBytes + d.curatedBytes)) / 1e9) * price.gbMonth,
      logs: ((30 * (d.write + d.list + d.read) * price.logKBPerOp) / 1e6) * price.logGB,
      // Each delivery: a send, a receive and a settlement; the sweep's and the retries' sends are in the deliveries.
      serviceBus: 30 * 3 * d.deliveries * price.serviceBusOperation,
    };
  };
  /** A month of timers doing `t`'s work a day. */
  const timersMonth = (t: { write: number; list: number; read: number; executions: number; gbSeconds: number }) => ({
    compute: 30 * t.gbSeconds * price.gbSecond,
    executions: 30 * (t.executions + 1) * price.execution,
    ops: 30 * (t.write * price.write + t.list * price.list + t.read * price.read),
    logs: ((30 * (t.write + t.list + t.read) * price.logKBPerOp) / 1e6) * price.logGB,
  });
  const sum = (o: Record<string, number>) => Object.values(o).reduce((n, v) => n + v, 0);

  console.log("\nmonthly at list prices (30 days; storage after a year of retention; free grants not deducted)");
  console.log("  calls/day   compute      executions   storage ops  heartbeats   stored (1 y) audit logs   Service Bus  total        timers+heartbeats  all fixed (Basic)");
  const timers = timersMonth(fixedPerDay);
  for (const calls of [1000, 10_000, 100_000]) {
    const j = jobsMonth(calls, { write: 1, list: 1 });
    const cells = [j.compute + timers.compute, j.executions + timers.executions, j.archiveOps + timers.ops, j.heartbeat, j.stored, j.logs + timers.logs, j.serviceBus];
    const total = cells.reduce((n, v) => n + v, 0);
    // Everything a day costs whatever its records: the timers, the heartbeats, and each of the
    // day's 144 jobs' own operations, time, logs and messages (the `base` of the split above).
    const b = jobsMonth(0, { write: 0, list: 0 });
    const perJobFixed = b.compute + b.executions + b.archiveOps + b.logs + b.serviceBus;
    const fixed = sum(timers) + j.heartbeat;
    console.log(
      `  ${String(calls).padEnd(10)}  ${[...cells, total].map((v) => `$${v.toFixed(v < 0.01 && v > 0 ? 4 : 2)}`.padEnd(12)).join(" ")} ${`${((100 * fixed) / total).toFixed(1)} %`.padEnd(18)} ${((100 * (fixed + perJobFixed)) / total).toFixed(1)} %   (Standard: $${(total + price.serviceBusStandardBase).toFixed(2)}, fixed ${((100 * (fixed + perJobFixed + price.serviceBusStandardBase)) / (total + price.serviceBusStandardBase)).toFixed(1)} %)`,
    );
  }

  // A deployment of many tenants: each tenant's jobs as the home tenant's (the per-tenant day above
  // checks that), its heartbeats at the shared wiring's cost, and the timers' work per tenant added.
  console.log("\na deployment of many tenants, monthly at the same prices: per deployment, and per tenant");
  console.log("  tenants  calls/day each  deployment   per tenant   of which timers and heartbeats");
  for (const tenants of [1, 10, 50]) {
    for (const calls of [1000, 10_000]) {
      const beat = tenants > 1 ? beatsShared : beatsAlone;
      const jobs = sum(jobsMonth(calls, beat));
      const t = timersMonth({
        write: fixedPerDay.write + (tenants - 1) * perTenantTimers.write,
        list: fixedPerDay.list + (tenants - 1) * perTenantTimers.list,
        read: fixedPerDay.read + (tenants - 1) * perTenantTimers.read,
        executions: fixedPerDay.executions,
        gbSeconds: fixedPerDay.gbSeconds + (tenants - 1) * perTenantTimers.gbSeconds,
      });
      const deployment = tenants * jobs + sum(t);
      const fixedShare = (sum(t) + tenants * jobsMonth(calls, beat).heartbeat) / deployment;
      console.log(`  ${String(tenants).padEnd(7)}  ${String(calls).padEnd(14)}  ${`$${deployment.toFixed(2)}`.padEnd(11)}  ${`$${(deployment / tenants).toFixed(2)}`.padEnd(11)}  ${(100 * fixedShare).toFixed(1)} %`);
    }
  }
} finally {
  await azurite.stop();
  await rm(location, { recursive: true, force: true });
}
