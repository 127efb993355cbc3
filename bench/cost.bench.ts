/**
 * `npm run bench:cost`: what the archiver costs per 1,000 records in steady state, counted on the
 * wire, and what that makes a month at list prices.
 *
 * One sandbox day old enough for every re-read pass (26 days back) is harvested with all its passes
 * through the real handlers into Azurite (as `npm start` runs them); then the day is curated, and
 * one plan tick (with its coverage sweep) and one idle curate run are timed and counted, the fixed
 * costs per day being 96 ticks and 24 curate runs. Storage operations are every HTTP request the
 * process makes to Azurite, by kind (write: PUT; list: GET …comp=list; read: other GET and HEAD),
 * seen through Node's `http.client.request.start` diagnostics channel, not by our own store's
 * bookkeeping. Heartbeats (a write and a list every 2.5 s while a harvest runs) are derived from
 * the measured busy time. Function time is billed as on Flex Consumption: instance memory while
 * executing; it is the wall time during which at least one harvest ran, so it is an upper bound.
 *
 *   npm run bench:cost                 (SANDBOX_CALLS_PER_DAY, default 300, sets the day's size)
 */
import { subscribe } from "node:diagnostics_channel";
import type { ClientRequest } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Timer } from "@azure/functions";
import { BlobServiceClient } from "@azure/storage-blob";
import { blobArchiveStore } from "../shared/archive/archiveStore.js";
import { systemClock } from "../shared/core/clock.js";
import { dayInMs, floorTo } from "../shared/core/window.js";
import { loadArchiverConfig, loadPipelineConfig } from "../shared/config/config.js";
import { createGraphRuntime } from "../shared/graph/graphSetup.js";
import { curateDay, curateDueDays } from "../shared/pipeline/curateDay.js";
import { markDayIfFinal } from "../shared/pipeline/dayMarker.js";
import { memoryWatermarkStore } from "../shared/pipeline/watermarkStore.js";
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

const callsPerDay = Number(process.env.SANDBOX_CALLS_PER_DAY ?? 300);
const sandbox = await startSandbox({ callsPerDay });
const env = { ...process.env, ...sandboxSettings(sandbox) };
const archiverConfig = loadArchiverConfig(env);
const pipeline = loadPipelineConfig(env);
const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(pipeline.archiveContainer);
await container.createIfNotExists();
const archive = blobArchiveStore(container);
const day = floorTo(Date.now(), dayInMs) - 26 * dayInMs;
const timer = { isPastDue: false, scheduleStatus: { last: "", next: "", lastUpdated: "" } } as Timer;

try {
  // 1. Every pass of one day, as the harvest function runs them.
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

  // 2. The day curated.
  phase = "curate";
  let started = performance.now();
  const curated = await curateDay({ archive, nowInMs: Date.now }, day);
  const curateSeconds = (performance.now() - started) / 1000;
  if (curated.status !== "curated") throw new Error(`the day was not curated: ${curated.status}`);

  // 3. One steady-state plan tick: one window planned, its re-reads sent, the coverage sweep run.
  phase = "planTick";
  const sent: number[] = [];
  const plan = makePlanHandler(() => ({
    watermarks: memoryWatermarkStore({ nextWindowStartInMs: day + dayInMs }),
    sender: { send: async (jobs) => void sent.push(jobs.length) },
    clock: { now: () => day + dayInMs + pipeline.plan.windowInMs + pipeline.plan.settleInMs, sleep: systemClock.sleep },
    plan: pipeline.plan,
    sweep: { archive, settings: pipeline.sweep },
  }));
  started = performance.now();
  await plan(timer, quiet("plan"));
  const tickSeconds = (performance.now() - started) / 1000;

  // 4. One idle curate run (nothing final and new): the lookback's markers read.
  phase = "curateIdle";
  started = performance.now();
  await curateDueDays({ archive, nowInMs: Date.now }, { lookbackDays: pipeline.curate.lookbackDays, maxDays: pipeline.curate.maxDays });
  const idleCurateSeconds = (performance.now() - started) / 1000;

  const records = summary.records;
  const per1000 = (n: number) => (n * 1000) / records;
  const heartbeatSeconds = archiverConfig.graph.rateLimitWindowInMs / 8 / 1000;
  const heartbeats = summary.harvestSeconds / heartbeatSeconds;
  const rawBytes = summary.bytes;
  const curatedBytes = curated.tables.reduce((n, t) => n + t.bytes, 0);
  const deliveries = summary.jobs + summary.retries;
  const variable = {
    graphRequests: per1000(summary.graph.requests),
    write: per1000(ops.harvest.write + ops.curate.write),
    list: per1000(ops.harvest.list + ops.curate.list),
    read: per1000(ops.harvest.read + ops.curate.read),
    heartbeatOps: per1000(2 * heartbeats),
    // A message is sent, received (locked) and completed: three Service Bus operations.
    serviceBusOps: per1000(3 * deliveries),
    executions: per1000(deliveries + 1),
    gbSeconds: per1000((summary.harvestSeconds + curateSeconds) * 2),
    rawMB: per1000(rawBytes) / 1e6,
    curatedMB: per1000(curatedBytes) / 1e6,
  };
  const fixedPerDay = {
    write: 96 * ops.planTick.write + 24 * ops.curateIdle.write,
    list: 96 * ops.planTick.list + 24 * ops.curateIdle.list,
    read: 96 * ops.planTick.read + 24 * ops.curateIdle.read,
    executions: 96 + 24,
    gbSeconds: 2 * (96 * tickSeconds + 24 * idleCurateSeconds),
  };

  console.log(`one sandbox day (${callsPerDay} calls a day, 26 days back), every pass: ${records} records, ${summary.jobs} jobs (${summary.retries} retried), ${summary.graph.requests} Graph requests`);
  console.log(`  harvest busy ${summary.harvestSeconds.toFixed(1)} s; curate ${curateSeconds.toFixed(1)} s; plan tick ${(tickSeconds * 1000).toFixed(0)} ms (${ops.planTick.list} lists, ${ops.planTick.read} reads, ${ops.planTick.write} writes); idle curate run ${(idleCurateSeconds * 1000).toFixed(0)} ms (${ops.curateIdle.read} reads)`);
  console.log("\nper 1,000 records archived (steady state, all passes, curate included)");
  for (const [name, value] of Object.entries(variable)) console.log(`  ${name.padEnd(15)} ${value.toFixed(name.endsWith("MB") ? 3 : 1)}`);
  console.log("\nfixed per day (96 plan ticks with their sweep, 24 curate runs)");
  for (const [name, value] of Object.entries(fixedPerDay)) console.log(`  ${name.padEnd(15)} ${value.toFixed(1)}`);

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
    const k = (calls / 1000) * 30;
    const compute = (k * variable.gbSeconds + 30 * fixedPerDay.gbSeconds) * price.gbSecond;
    const executions = (k * variable.executions + 30 * fixedPerDay.executions) * price.execution;
    const archiveOps = k * (variable.write * price.write + variable.list * price.list + variable.read * price.read);
    const timerOps = 30 * (fixedPerDay.write * price.write + fixedPerDay.list * price.list + fixedPerDay.read * price.read);
    const heartbeat = k * (variable.heartbeatOps / 2) * (price.write + price.list);
    const stored = ((k * 12 * (variable.rawMB + variable.curatedMB)) / 1000) * price.gbMonth;
    const auditedOps = k * (variable.write + variable.list + variable.read) + 30 * (fixedPerDay.write + fixedPerDay.list + fixedPerDay.read);
    const logs = ((auditedOps * price.logKBPerOp) / 1e6) * price.logGB;
    const serviceBus = price.serviceBusBase;
    const total = compute + executions + archiveOps + timerOps + heartbeat + stored + logs + serviceBus;
    // What runs whatever the traffic: the timers (their executions, time and operations) and heartbeats.
    const timers = 30 * fixedPerDay.gbSeconds * price.gbSecond + 30 * fixedPerDay.executions * price.execution + timerOps;
    const cells = [compute, executions, archiveOps + timerOps, heartbeat, stored, logs, serviceBus, total].map((v) => `$${v.toFixed(2)}`.padEnd(12));
    console.log(`  ${String(calls).padEnd(10)}  ${cells.join(" ")} ${`${((100 * (timers + heartbeat)) / total).toFixed(1)} %`.padEnd(18)} ${((100 * (timers + heartbeat + serviceBus)) / total).toFixed(1)} %`);
  }
} finally {
  await sandbox.close();
  await azurite.stop();
  await rm(location, { recursive: true, force: true });
}
