/**
 * `npm run bench`: the real harvest handler against the sandbox with Graph's limits on and a
 * network's latency, for 1, 2 and 4 simulated instances (each its own request governor, sharing
 * the app's budget through an instance registry in one folder, as deployed instances do in the
 * state container, all against the same per-app ceiling), 4 instances that come and go, and a
 * naive baseline in the same run: one window at a time, pages then records one by one. Prints
 * figures; asserts nothing (machines are noisy: read the ratios).
 *
 * Graph's windows are scaled from 20 s to 2 s (1,500 → 150 requests, the same 75 a second), so the
 * governors' climbing can be seen within a short run.
 *
 * Options (environment): BENCH_SECONDS per scenario (default 40), BENCH_LATENCY_MS (300),
 * BENCH_CALLS_PER_DAY (8000), BENCH_INSTANCES (1,2,4), BENCH_SHARING=0 (no registry: each
 * instance climbs from its static share alone), BENCH_COMING_AND_GOING=0 (skip that scenario),
 * BENCH_THROTTLING=0 (skip the throttling we did not cause and the low listing limit), BENCH_SPAN=0
 * (skip only the npm start spans of it),
 * BENCH_LIST_SECONDS (60), BENCH_BIG=0 (skip the big windows).
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import functions from "@azure/functions";
import { startAzurite } from "../local/azurite.js";
import { LocalQueue } from "../local/queue.js";
import { makeHarvestHandler } from "../functions/harvestHandler.js";
import { folderArchiveStore } from "../shared/archive/archiveStore.js";
import { loadArchiverConfig, loadPipelineConfig } from "../shared/config/config.js";
import { systemClock } from "../shared/core/clock.js";
import { jobBody } from "../shared/core/job.js";
import { dayInMs, hourInMs } from "../shared/core/window.js";
import { logDaysPerTick, logSourceNames } from "../shared/core/sources.js";
import { createGraphRuntime } from "../shared/graph/graphSetup.js";
import { shareBudget } from "../shared/graph/sharedBudget.js";
import { folderInstanceRegistry } from "../shared/pipeline/harvest/instanceRegistry.js";
import { naiveLoop } from "./naiveLoop.js";
import { describePaces } from "../local/run.js";
import { callsPerDayFor } from "../sandbox/generator.js";
import { type SandboxLink, startSandboxProcess as startSandboxInProcess } from "./sandboxLink.js";

const seconds = Number(process.env.BENCH_SECONDS ?? 40);
const latencyMs = Number(process.env.BENCH_LATENCY_MS ?? 300);
const callsPerDay = Number(process.env.BENCH_CALLS_PER_DAY ?? 8000);
const instanceCounts = (process.env.BENCH_INSTANCES ?? "1,2,4").split(",").filter(Boolean).map(Number);
// BENCH_SHARING=0: each instance paces itself alone (climbing from its static share), as without a registry.
const sharing = process.env.BENCH_SHARING !== "0";
const windowInMs = 2000;
const ceiling = 150;
const ceilingPerSecond = ceiling / (windowInMs / 1000);

const limitedSandbox = {
  callsPerDay,
  emptyPageRate: 0,
  throttle: { appRequests: ceiling, appWindowInMs: windowInMs, listRequests: 4, listWindowInMs: windowInMs, recordFirstPageRequests: 10, recordFirstPageWindowInMs: 20_000 },
  faults: { latencyMs },
};

const startSandboxProcess = (options: object = limitedSandbox): Promise<SandboxLink> => startSandboxInProcess(options);

// Windows of BENCH_WINDOW_MINUTES (default 60, as deployed). Shorter windows shorten the drain at
// the end of a scenario but are bound by listing's own limits (a window is listed page by page
// from its first page, and first pages have the tightest limit): 15-minute windows ran at a third
// of the rate.
const windowMinutes = Number(process.env.BENCH_WINDOW_MINUTES ?? 60);

/** Windows from ten days back, enough for any run. */
const windows = (count: number) => {
  const length = windowMinutes * 60_000;
  const first = Math.floor((Date.now() - 10 * dayInMs) / hourInMs) * hourInMs;
  return Array.from({ length: count }, (_, i) => ({ startInMs: first + i * length, endInMs: first + (i + 1) * length }));
};

interface Figures {
  readonly label: string;
  readonly seconds: number;
  readonly records: number;
  readonly requests: number;
  readonly throttled: number;
  readonly cpuMs: number;
  /** Requests per second from the start until no new job was taken (the offered load's end). */
  readonly loadedRequestsPerSecond?: number;
  /** 429s by the limit that gave them. */
  readonly throttledBy?: string;
  /** Of `requests`, the telephony logs'. */
  readonly logRequests?: number;
}

/** Instance `index` of `instances`: when it starts and stops taking jobs, in seconds from the start. */
type Presence = (index: number, instances: number) => { from: number; until: number };
const always: Presence = () => ({ from: 0, until: seconds });
/** Instances come and go: one joins every eighth of the run; the last two leave at three quarters. */
const comingAndGoing: Presence = (index, instances) => ({ from: (index * seconds) / 8, until: index >= instances - 2 ? (3 * seconds) / 4 : seconds });

async function harvestScenario(sandbox: SandboxLink, instances: number, presence: Presence = always, label = `${instances} instance${instances > 1 ? "s" : ""}`, withLogs = false): Promise<Figures> {
  const env = { ...sandbox.env, ARCHIVER_GRAPH_RATE_REQUESTS: String(Math.floor(ceiling / instances)), ARCHIVER_GRAPH_CEILING_REQUESTS: String(ceiling), ARCHIVER_GRAPH_RATE_WINDOW_SECONDS: String(windowInMs / 1000) };
  const config = loadArchiverConfig(env);
  const pipeline = loadPipelineConfig(env);
  const folder = await mkdtemp(join(tmpdir(), "bench-archive-"));
  const archive = folderArchiveStore(folder);
  const queue = new LocalQueue(10);
  // With logs: ahead of call records, what a first deploy's planning tick sends of each log (its
  // newest due days, pass 0; the re-reads already due are scheduled later).
  if (withLogs) {
    const newest = Math.floor(Date.now() / dayInMs) * dayInMs - 3 * dayInMs;
    for (const source of logSourceNames) {
      for (let d = 0; d < logDaysPerTick; d += 1) queue.sendRaw(`${source}${d}`, jobBody({ window: { startInMs: newest - d * dayInMs, endInMs: newest - (d - 1) * dayInMs }, pass: 0, source }));
    }
  }
  for (const window of windows((240 * 60) / windowMinutes)) queue.sendRaw(`w${window.startInMs}`, jobBody({ window, pass: 0 }));
  const before = await sandbox.stats();
  const cpu = process.cpuUsage();
  const started = Date.now();
  const deadline = started + seconds * 1000;
  const atDeadline = new Promise<{ graphRequests: number }>((resolve) => setTimeout(() => resolve(sandbox.stats()), seconds * 1000));
  let records = 0;
  const context = new functions.InvocationContext({ invocationId: "bench", functionName: "harvest", logHandler: () => undefined });
  // The instances announce themselves in one folder, as deployed ones do in the state container.
  const registryFolder = await mkdtemp(join(tmpdir(), "bench-instances-"));
  const throttleLog = process.env.BENCH_DEBUG
    ? setInterval(() => void sandbox.stats().then((s) => console.log(`  ${((Date.now() - started) / 1000).toFixed(1)} s sandbox: ${s.graphRequests - before.graphRequests} requests, 429s ${JSON.stringify(s.throttledBy)}`)), 1000)
    : undefined;
  // Each instance: its own governor and clients, four messages at a time, as host.json allows.
  await Promise.all(
    Array.from({ length: instances }, async (_, index) => {
      const { from, until } = presence(index, instances);
      await new Promise((resolve) => setTimeout(resolve, from * 1000));
      const leaveAt = started + until * 1000;
      const graph = createGraphRuntime(config, { ca: sandbox.env.CA });
      const shared = sharing
        ? shareBudget(graph.governor, folderInstanceRegistry(registryFolder), { instance: `instance-${index}`, ceiling, heartbeatInMs: windowInMs / 8, clock: systemClock, idleAllowance: config.graph.rateLimitRequests })
        : undefined;
      const debug = process.env.BENCH_DEBUG
        ? setInterval(() => console.log(`  ${((Date.now() - started) / 1000).toFixed(1)} s instance-${index}: allowance ${shared?.allowance?.toFixed(0)}, pace ${(graph.governor.ratePerSecond() * windowInMs / 1000).toFixed(0)}, sent ${graph.governor.requestsInLastWindow(Date.now())}, hungry ${graph.governor.isHungry(Date.now())}, paused ${graph.governor.pausedForInMs()} ms`), 1000)
        : undefined;
      const handler = makeHarvestHandler(() => ({
        graph,
        archive,
        sender: queue,
        clock: systemClock,
        cloud: "Global",
        timeBudgetInMs: 600_000,
        concurrency: pipeline.harvestConcurrency,
        jobRetry: pipeline.jobRetry,
      }));
      const worker = async () => {
        while (Date.now() < Math.min(deadline, leaveAt)) {
          const message = queue.ready.shift();
          if (!message) return;
          const result = await handler(message.body, { complete: async () => undefined, abandon: async () => undefined, deadLetter: async () => undefined }, context);
          // Call records only: a log's rows are not records.
          if (result.status === "done" && result.job.source === undefined && "manifest" in result.outcome) records += result.outcome.manifest.recordCount;
        }
      };
      await Promise.all(Array.from({ length: 4 }, worker));
      clearInterval(debug);
      await shared?.stop();
    }),
  );
  clearInterval(throttleLog);
  await rm(registryFolder, { recursive: true, force: true });
  const elapsed = (Date.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const loaded = await atDeadline;
  const after = await sandbox.stats();
  await rm(folder, { recursive: true, force: true });
  return {
    label,
    loadedRequestsPerSecond: (loaded.graphRequests - before.graphRequests) / seconds,
    throttledBy: (["app", "list", "record"] as const).map((k) => `${k} ${after.throttledBy[k] - before.throttledBy[k]}`).join(", "),
    seconds: elapsed,
    records,
    requests: after.graphRequests - before.graphRequests,
    throttled: after.throttled - before.throttled,
    cpuMs: (used.user + used.system) / 1000,
    logRequests: after.logRequests - before.logRequests,
  };
}

/** The usual SDK loop (naiveLoop.ts): one window at a time, its pages, then each record, one request after another. */
async function naiveScenario(sandbox: SandboxLink): Promise<Figures> {
  const client = naiveLoop(loadArchiverConfig(sandbox.env), sandbox.env.CA);
  const before = await sandbox.stats();
  const cpu = process.cpuUsage();
  const started = Date.now();
  const deadline = started + (seconds / 2) * 1000;
  let records = 0;
  for (const window of windows((240 * 60) / windowMinutes).slice((120 * 60) / windowMinutes)) {
    if (Date.now() >= deadline) break;
    for (const id of await client.listWindow(window)) {
      if (Date.now() >= deadline) break;
      await client.getRecord(id);
      records += 1;
    }
  }
  const used = process.cpuUsage(cpu);
  const after = await sandbox.stats();
  return { label: "naive loop", seconds: (Date.now() - started) / 1000, records, requests: after.graphRequests - before.graphRequests, throttled: after.throttled - before.throttled, cpuMs: (used.user + used.system) / 1000 };
}

// BENCH_INSTANCES= (empty) with BENCH_COMING_AND_GOING=0: no instance table (and no naive baseline).
const sandbox = instanceCounts.length > 0 || process.env.BENCH_COMING_AND_GOING !== "0" ? await startSandboxProcess() : undefined;
if (sandbox) try {
  console.log(`bench: real harvest handler, Graph sandbox in its own process; budget ${sharing ? "shared through an instance registry" : "not shared (each instance alone)"}; ${latencyMs} ms answers; ceiling ${ceiling} / ${windowInMs / 1000} s (${ceilingPerSecond} req/s, Graph's 1,500 / 20 s scaled); ${callsPerDay} calls a day; ${seconds} s a scenario`);
  const results: Figures[] = [await naiveScenario(sandbox)];
  for (const n of instanceCounts) results.push(await harvestScenario(sandbox, n));
  if (process.env.BENCH_COMING_AND_GOING !== "0") results.push(await harvestScenario(sandbox, 4, comingAndGoing, "4 come & go"));
  // BENCH_LOGS=0 skips it: 1 instance again, with a first deploy's tick of telephony log jobs ahead.
  const withLogs = process.env.BENCH_LOGS === "0" ? undefined : await harvestScenario(sandbox, 1, always, "1 + logs", true);
  if (withLogs) results.push(withLogs);
  const naive = results[0] as Figures;
  const naiveRate = naive.records / naive.seconds;
  console.log("\nscenario     | seconds | records | records/s | × naive | requests/s | share of ceiling | while loaded | 429s (%)    | CPU ms/record | 429s by limit");
  for (const r of results) {
    const rate = r.records / r.seconds;
    console.log(
      [
        r.label.padEnd(12),
        r.seconds.toFixed(1).padStart(7),
        String(r.records).padStart(7),
        rate.toFixed(1).padStart(9),
        (rate / naiveRate).toFixed(1).padStart(7),
        (r.requests / r.seconds).toFixed(1).padStart(10),
        `${((100 * r.requests) / r.seconds / ceilingPerSecond).toFixed(1)} %`.padStart(16),
        (r.loadedRequestsPerSecond === undefined ? "" : `${((100 * r.loadedRequestsPerSecond) / ceilingPerSecond).toFixed(1)} %`).padStart(12),
        `${r.throttled} (${((100 * r.throttled) / Math.max(1, r.requests)).toFixed(2)} %)`.padStart(11),
        (r.cpuMs / Math.max(1, r.records)).toFixed(2).padStart(13),
        r.throttledBy ?? "",
      ].join(" | "),
    );
  }
  const alone = results.find((r) => r.label === "1 instance");
  if (withLogs && alone) {
    const share = (r: Figures) => (100 * (r.requests - (r.logRequests ?? 0))) / r.seconds / ceilingPerSecond;
    console.log(
      `\ncall records' share of the ceiling, 1 instance: ${share(alone).toFixed(1)} % alone, ${share(withLogs).toFixed(1)} % with ${2 * logDaysPerTick} telephony log jobs queued ahead (${withLogs.logRequests} log requests, paced apart at 50 a minute, one log job at a time); difference ${(share(alone) - share(withLogs)).toFixed(1)} points (target: within 2)`,
    );
  }
  console.log(`\npeak RSS of the archiver's process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB (targets: >= 90 % of the ceiling, < 2 % 429s, >= 20× naive, <= 256 MB)`);
} finally {
  sandbox.child.kill("SIGTERM");
}

// Throttling the archiver did not cause, and a listing limit lower than documented (#29).
if (process.env.BENCH_THROTTLING !== "0") {
  // A 24-hour span of about 240 calls through `npm start` as a child process, at Graph's documented
  // limits and 300 ms answers: with no faults, with a fifth of all answers 429 whatever the rate
  // (half with a Retry-After of 2 s), and with those plus a 150-s outage from the 100th request.
  const hour = Math.floor(Date.now() / hourInMs) * hourInMs;
  const span = { from: hour - 26 * hourInMs, to: hour - 2 * hourInMs };
  const calls = callsPerDayFor(240, span.from, span.to);
  const spanRun = async (faults: object) => {
    const link = await startSandboxProcess({ seed: "bench-span", callsPerDay: calls, faults: { latencyMs, ...faults } });
    const scratch = await mkdtemp(join(tmpdir(), "bench-span-"));
    try {
      await writeFile(join(scratch, "ca.pem"), link.env.CA ?? "");
      const graphEnv = Object.fromEntries(Object.entries(link.env).filter(([key]) => key !== "CA"));
      const started = Date.now();
      const run = await promisify(execFile)(process.execPath, ["--import", "tsx", join(import.meta.dirname, "..", "scripts", "start.ts"), "--from", new Date(span.from).toISOString(), "--to", new Date(span.to).toISOString(), "--out", join(scratch, "out")], {
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", NODE_EXTRA_CA_CERTS: join(scratch, "ca.pem"), ...graphEnv },
        maxBuffer: 1 << 24,
      }).then(
        (r) => ({ code: 0, stdout: r.stdout }),
        (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
      );
      const seconds = (Date.now() - started) / 1000;
      const records = /records archived {2}(\d+)/.exec(run.stdout)?.[1] ?? "?";
      const causes = /(no 429s|429s: \d+ from our pace \(slowed\), \d+ not)/.exec(run.stdout)?.[1] ?? "?";
      const stats = await link.stats();
      return { seconds, code: run.code, records, causes, requests: stats.graphRequests, throttled: stats.throttled };
    } finally {
      link.child.kill("SIGTERM");
      await rm(scratch, { recursive: true, force: true });
    }
  };
  console.log(`\nthrottling the archiver did not cause: npm start over a 24-hour span (${new Date(span.from).toISOString()} → ${new Date(span.to).toISOString()}, about 240 calls), Graph's documented limits, ${latencyMs} ms answers`);
  const clean = process.env.BENCH_SPAN === "0" ? undefined : await spanRun({});
  const cases = !clean ? [] : [
    { label: "no faults", r: clean, target: "" },
    { label: "20 % of answers 429", r: await spanRun({ throttledRate: 0.2 }), target: "" },
    { label: "20 % 429 + 150-s outage", r: await spanRun({ throttledRate: 0.2, outageAfterRequests: { after: 100, lengthInMs: 150_000 } }), target: ` (target <= 3 × no faults + 150 s = ${(3 * clean.seconds + 150).toFixed(0)} s)` },
  ];
  for (const { label, r, target } of cases) {
    console.log(`  ${label.padEnd(24)} exit ${r.code}, ${r.records} records, ${r.seconds.toFixed(1)} s (${(r.seconds / (clean?.seconds ?? 1)).toFixed(2)} × no faults)${target}; ${r.requests} Graph requests, ${r.throttled} answered 429; ${r.causes}`);
  }

  // Listing alone against a listing limit of 15 per window (lower than the documented 40), Graph's
  // windows scaled to 2 s as above: four windows listed side by side, 5 records a page.
  const listSeconds = Number(process.env.BENCH_LIST_SECONDS ?? 60);
  const listLimit = 15;
  const link = await startSandboxProcess({ callsPerDay, emptyPageRate: 0, throttle: { appRequests: ceiling, appWindowInMs: windowInMs, listRequests: listLimit, listWindowInMs: windowInMs }, faults: { latencyMs } });
  try {
    const env = { ...link.env, ARCHIVER_GRAPH_RATE_WINDOW_SECONDS: String(windowInMs / 1000), ARCHIVER_GRAPH_PAGE_SIZE: "5", ARCHIVER_GRAPH_MAX_ATTEMPTS: "20" };
    const graph = createGraphRuntime(loadArchiverConfig(env), { ca: link.env.CA });
    const client = graph.newClient();
    const before = await link.stats();
    const started = Date.now();
    const pending = windows((240 * 60) / windowMinutes);
    let minuteMark: { admitted: number; refused: number } | undefined;
    let listed = 0;
    const marker = setTimeout(() => void link.stats().then((s) => (minuteMark = { admitted: s.admittedBy.list, refused: s.throttledBy.list })), Math.min(20, listSeconds / 3) * 1000);
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let w = pending.shift(); w && Date.now() - started < listSeconds * 1000; w = pending.shift()) {
          for await (const page of client.listWindow(w)) {
            listed += page.length;
            if (Date.now() - started >= listSeconds * 1000) break;
          }
        }
      }),
    );
    clearTimeout(marker);
    const elapsed = (Date.now() - started) / 1000;
    const after = await link.stats();
    const admitted = after.admittedBy.list - before.admittedBy.list;
    const refused = after.throttledBy.list - before.throttledBy.list;
    const limitInRun = (listLimit * elapsed) / (windowInMs / 1000);
    console.log(`\nlisting against a limit of ${listLimit} per ${windowInMs / 1000} s (Graph's 40 / 20 s documented; ${listLimit} / 20 s is the earlier docs' first-page limit), 4 windows listed side by side, ${elapsed.toFixed(0)} s, ${listed} records listed:`);
    console.log(`  ${admitted} list requests let through: ${((100 * admitted) / limitInRun).toFixed(1)} % of the limit (target >= 80 %); ${refused} answered 429: ${((100 * refused) / Math.max(1, admitted + refused)).toFixed(1)} % of list requests (target < 5 %)`);
    if (minuteMark) {
      const rest = { admitted: after.admittedBy.list - minuteMark.admitted, refused: after.throttledBy.list - minuteMark.refused };
      const restSeconds = elapsed - Math.min(20, listSeconds / 3);
      console.log(`  after the first ${Math.min(20, listSeconds / 3).toFixed(0)} s (the pace learned): ${((100 * rest.admitted) / ((listLimit * restSeconds) / (windowInMs / 1000))).toFixed(1)} % of the limit, ${((100 * rest.refused) / Math.max(1, rest.admitted + rest.refused)).toFixed(1)} % answered 429; the pace then: ${describePaces(graph.governor.pacesInForce(), graph.governor.throttles(), Date.now())}`);
    }
  } finally {
    link.child.kill("SIGTERM");
  }
}

// Big windows, each harvested in a process of its own (bench/bigHarvest.ts) so its peak RSS is its
// own: one hour holding 100,000 records, and one meeting of 5,000 sessions. The sandbox answers
// without limits and with BENCH_BIG_LATENCY_MS (5): memory is measured, not pacing. The process
// runs with the deployed worker's heap, BENCH_BIG_HEAP_MB (512: languageWorkers__node__arguments on a 2,048 MB Flex
// instance, infra/modules/functionApp.bicep; 0 for this machine's default, which V8 sizes from its
// memory, 4 GB on 24 GiB, and then collects lazily, so peak RSS shows the collector's slack more
// than what the harvest holds).
if (process.env.BENCH_BIG !== "0") {
  const hour = Math.floor((Date.now() - 5 * dayInMs) / hourInMs) * hourInMs;
  const bigRecords = Number(process.env.BENCH_BIG_RECORDS ?? 100_000);
  const meetingSessions = Number(process.env.BENCH_BIG_SESSIONS ?? 5000);
  const big = await startSandboxProcess({
    callsPerDay: 300,
    emptyPageRate: 0,
    throttle: false,
    faults: { latencyMs: Number(process.env.BENCH_BIG_LATENCY_MS ?? 5) },
    // Hours 0 and 4–7 hold bigRecords each; the meeting starts in hour 2.
    burst: { hourStartInMs: hour, calls: bigRecords, hours: 8 },
    giantMeeting: { startInMs: hour + 2 * hourInMs + 60_000, sessions: meetingSessions },
  });
  let compiled: string | undefined;
  // The archive in blob storage, as in Azure: the upload's block buffers count. Azurite keeps its
  // data on disk, in its own process.
  const azuriteData = await mkdtemp(join(tmpdir(), "bench-azurite-"));
  const azurite = await startAzurite({ location: azuriteData });
  try {
    const hourWindow = (h: number) => ({ startInMs: hour + h * hourInMs, endInMs: hour + (h + 1) * hourInMs });
    const cases = [
      { label: `a window of ${bigRecords.toLocaleString("en")} records`, windows: [hourWindow(0)] },
      { label: `a meeting of ${meetingSessions.toLocaleString("en")} sessions`, windows: [hourWindow(2)] },
      // host.json lets a worker run four harvests at once: they share the process's records in flight.
      { label: `4 windows of ${bigRecords.toLocaleString("en")} at once`, windows: [4, 5, 6, 7].map(hourWindow) },
    ].filter((c) => !process.env.BENCH_BIG_ONLY || c.label.startsWith(process.env.BENCH_BIG_ONLY));
    // Run as Azure runs it: compiled JavaScript, with no TypeScript loader in the process (tsx's
    // own memory was a fifth of the peak). Compiled inside the project, so packages resolve.
    const scratch = join(import.meta.dirname, "..", ".local");
    await mkdir(scratch, { recursive: true });
    compiled = await mkdtemp(join(scratch, "bench-build-"));
    await promisify(execFile)(process.execPath, [join(import.meta.dirname, "..", "node_modules", "typescript", "bin", "tsc"), "-p", join(import.meta.dirname, "..", "tsconfig.json"), "--outDir", compiled]);
    console.log("\nbig windows, harvested in a process of their own:");
    for (const c of cases) {
      const heapMB = Number(process.env.BENCH_BIG_HEAP_MB ?? 512);
      const flags = heapMB > 0 ? [`--max-old-space-size=${heapMB}`] : [];
      const { stdout } = await promisify(execFile)(process.execPath, [...flags, join(compiled, "bench", "bigHarvest.js")], {
        env: { ...process.env, BENCH_ENV: JSON.stringify(big.env), BENCH_WINDOWS: JSON.stringify(c.windows), BENCH_BLOB: azurite.connectionString },
        maxBuffer: 1 << 24,
      });
      const r = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as { status: string; records: number; bytes: number; seconds: number; maxRssMB: number; baselineRssMB: number; heapUsedMB: number; peakHeapMB: number; peakExternalMB: number };
      console.log(
        `  ${c.label.padEnd(32)} ${r.status}, ${r.records} records, ${(r.bytes / 1024 / 1024).toFixed(1)} MB gzip, ${r.seconds.toFixed(0)} s; peak RSS ${r.maxRssMB} MB (${r.baselineRssMB} MB before the harvest, heap ${heapMB > 0 ? `capped at ${heapMB} MB` : "uncapped"}, ${r.heapUsedMB} MB in use after, at most ${r.peakHeapMB} MB of heap and ${r.peakExternalMB} MB of buffers; target ${c.windows.length > 1 ? "< 1,024 MB" : "<= 256 MB"})`,
      );
    }
  } finally {
    big.child.kill("SIGTERM");
    if (compiled) await rm(compiled, { recursive: true, force: true });
    await azurite.stop();
    await rm(azuriteData, { recursive: true, force: true });
  }
}
