/**
 * `npm run bench:tenants`: many tenants from one deployment (docs/tenants.md). The Graph sandbox,
 * in a process of its own, serves 20 tenants of different sizes under Graph's two limits scaled
 * down to fit this machine; `runLocal` archives them all in one run, through the real plan and
 * harvest handlers, each tenant's governor sharing the app's ceiling with the others in-process.
 *
 * Two runs: the 18 healthy tenants alone, then the same 18 beside one tenant Graph throttles hard
 * and one that is down (503) for the first BENCH_DOWN_SECONDS. Printed: each tenant's share of
 * Graph's requests, the total against the app's limit while work was waiting, the healthy tenants'
 * harvest time in both runs, and whether every record of every tenant was archived exactly once
 * (each tenant's ground truth, from the same seeded generator the sandbox uses).
 *
 * The throttled and the down tenant are planned first, so their jobs reach the queue ahead of the
 * healthy ones': the worst case for the harvest's slots.
 *
 * The limits keep Graph's 20 s window and scale its counts by 1:15 (100 per tenant, 1,000 across
 * tenants): a 2 s window with counts of 10 and 100 left each of 18 governors a share of 5 a window,
 * where one request early or late is a fifth of it, which no real deployment meets.
 *
 * Options (environment): BENCH_WINDOW_SECONDS (20), BENCH_TENANT_LIMIT (per tenant per window, 100),
 * BENCH_APP_LIMIT (all tenants per window, 1000), BENCH_LATENCY_MS (150), BENCH_DOWN_SECONDS (120),
 * BENCH_SLOTS (harvests at once, 40: ten instances' 4), BENCH_HEALTHY (18), BENCH_DEBUG (progress).
 */
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { LocalQueue } from "../local/queue.js";
import { runLocal } from "../local/run.js";
import { folderArchiveStore } from "../shared/archive/archiveStore.js";
import { loadArchiverConfig, loadPipelineConfig } from "../shared/config/config.js";
import { type Clock, systemClock } from "../shared/core/clock.js";
import { dayInMs, hourInMs } from "../shared/core/window.js";
import { createGraphRuntime } from "../shared/graph/graphSetup.js";
import { inProcessTenantBudgets } from "../shared/pipeline/harvest/instanceRegistry.js";
import { memoryWatermarkStore } from "../shared/pipeline/plan/watermarkStore.js";
import { SandboxTenant } from "../sandbox/tenant.js";
import type { RequestGovernor } from "../shared/graph/requestGovernor.js";
import { startSandboxProcess } from "./sandboxLink.js";

const windowSeconds = Number(process.env.BENCH_WINDOW_SECONDS ?? 20);
const tenantLimit = Number(process.env.BENCH_TENANT_LIMIT ?? 100);
const appLimit = Number(process.env.BENCH_APP_LIMIT ?? 1000);
const latencyMs = Number(process.env.BENCH_LATENCY_MS ?? 150);
const downSeconds = Number(process.env.BENCH_DOWN_SECONDS ?? 120);
const slots = Number(process.env.BENCH_SLOTS ?? 40);

// 20 tenants: ids made from their index, sizes from 40 to 400 calls a day (a 6-hour span of them).
const idOf = (i: number) => `${String(i).padStart(8, "0")}-7e57-4b1d-9a5e-${String(i).padStart(12, "0")}`;
const sizeOf = (i: number) => 40 + ((i * 97) % 19) * 20;
const healthy = Array.from({ length: Number(process.env.BENCH_HEALTHY ?? 18) }, (_, i) => idOf(i + 1));
const throttled = idOf(19);
const down = idOf(20);
// The span: 08:00 to 14:00 UTC of the latest weekday two or more days ago. The sandbox's calls
// follow the hours of a working day, so a span fixed in the day gives the same load at any hour
// the bench runs (a span ending an hour ago held a night's few calls after midnight).
const spanDay = (() => {
  let day = Math.floor(Date.now() / dayInMs) - 2;
  while ([0, 6].includes(new Date(day * dayInMs).getUTCDay())) day -= 1;
  return day * dayInMs;
})();
const from = spanDay + 8 * hourInMs;
const to = spanDay + 14 * hourInMs;

interface TenantFigures {
  graphRequests: number;
  throttled: number;
  unavailable: number;
}
type Stats = { graphRequests: number; tenants: Record<string, TenantFigures>; acrossTenantsRefused: number };

async function scenario(label: string, tenants: readonly string[]) {
  const specs = tenants.map((id) => ({
    id,
    callsPerDay: sizeOf(Number(id.slice(0, 8))),
    ...(id === throttled ? { throttle: { appRequests: tenantLimit / 5, appWindowInMs: windowSeconds * 1000, listRequests: tenantLimit, listWindowInMs: windowSeconds * 1000 } } : {}),
    ...(id === down ? { downForSeconds: downSeconds } : {}),
  }));
  const link = await startSandboxProcess({
    seed: "bench-home",
    callsPerDay: 40,
    emptyPageRate: 0,
    faults: { latencyMs },
    throttle: { appRequests: tenantLimit, appWindowInMs: windowSeconds * 1000, listRequests: tenantLimit, listWindowInMs: windowSeconds * 1000 },
    acrossTenantsRequests: appLimit,
    // The across-tenants window is the throttling page's 20 s; scaled with the rest here.
    acrossTenantsWindowInMs: windowSeconds * 1000,
    tenants: specs,
    logs: { requestsPerMinute: false },
  });
  const folder = await mkdtemp(join(tmpdir(), "bench-tenants-"));
  try {
    const env = {
      ...link.env,
      ARCHIVER_GRAPH_RATE_REQUESTS: String(tenantLimit),
      ARCHIVER_GRAPH_CEILING_REQUESTS: String(tenantLimit),
      ARCHIVER_GRAPH_RATE_WINDOW_SECONDS: String(windowSeconds),
      ARCHIVER_GRAPH_APP_CEILING_REQUESTS: String(appLimit),
      ARCHIVER_TENANTS: tenants.join(","),
      ARCHIVER_REREAD_OFFSETS: "20d",
      ARCHIVER_PSTN_CALLS: "off",
      ARCHIVER_DIRECT_ROUTING_CALLS: "off",
      ARCHIVER_JOB_RETRY_BASE_MS: "1000",
      ARCHIVER_JOB_RETRY_MAX_MS: "10000",
    };
    const archiverConfig = loadArchiverConfig(env);
    const pipeline = loadPipelineConfig(env);
    const budgets = inProcessTenantBudgets(archiverConfig.graph, pipeline.appCeilingRequests);
    const governors: { tenant: string; governor: RequestGovernor }[] = [];
    const graph = createGraphRuntime(archiverConfig, { ca: link.env.CA, onTenant: (t, runtime) => (governors.push({ tenant: t, governor: runtime.governor }), void budgets.share(runtime)) });
    budgets.share(graph);
    governors.push({ tenant: "home", governor: graph.governor });
    // BENCH_DEBUG: every second, the paces all tenants' governors allow together (per window) and how many are hungry.
    const paces = process.env.BENCH_DEBUG
      ? setInterval(() => {
          const now = Date.now();
          const total = governors.reduce((n, g) => n + g.governor.ratePerSecond() * windowSeconds, 0);
          const hungry = governors.filter((g) => g.governor.isHungry(now, 5000)).length;
          console.error(`pace at ${((now - started) / 1000).toFixed(0)} s: ${total.toFixed(0)} a window allowed, ${hungry} hungry`);
        }, 1000)
      : undefined;
    // Graph's requests so far, sampled from the sandbox every second, and when each tenant's last job ended.
    const samples: { at: number; requests: number }[] = [{ at: Date.now(), requests: ((await link.stats()) as unknown as Stats).graphRequests }];
    const sampler = setInterval(() => void link.stats().then((s) => samples.push({ at: Date.now(), requests: (s as unknown as Stats).graphRequests })), 1000);
    const lastDone = new Map<string, number>();
    const started = Date.now();
    const clock: Clock = systemClock;
    const summary = await runLocal({
      archiverConfig,
      pipeline,
      graph,
      archive: folderArchiveStore(folder),
      watermarks: memoryWatermarkStore({ nextWindowStartInMs: from }),
      tenants: pipeline.tenants.map((tenant) => ({ tenant, watermarks: memoryWatermarkStore({ nextWindowStartInMs: from }) })),
      clock,
      planClock: { now: () => to + pipeline.plan.settleInMs, sleep: systemClock.sleep },
      queue: new LocalQueue(5, () => Date.now(), { orderPasses: true }),
      concurrency: slots,
      onProgress: (line) => {
        if (process.env.BENCH_DEBUG) console.error(`${((Date.now() - started) / 1000).toFixed(1)} ${line}`);
        const match = /^\[\d+\/\d+\] (\S+)\s/.exec(line);
        if (!match) return;
        const id = match[1] as string;
        lastDone.set(/^[0-9a-f]{8}-/.test(id) ? id.slice(0, 36) : "home", Date.now());
      },
    });
    clearInterval(sampler);
    clearInterval(paces);
    await budgets.stop();
    const stats = (await link.stats()) as unknown as Stats;
    const healthyDone = Math.max(...healthy.map((t) => lastDone.get(t) ?? Date.now())) - started;
    // Requests in each sliding window of the limit's length (as Graph counts them), ending at each
    // sample while the healthy tenants still had work, against the app's limit; and over the
    // windows where the tenants still waiting could use more than the app's limit between them
    // (each at most its own limit, the throttled one its lower one, the down one none while down):
    // there the app's limit is the one that binds.
    const windowInMs = windowSeconds * 1000;
    const requestsAt = (at: number) => samples.reduce((found, s) => (s.at <= at ? s.requests : found), samples[0]?.requests ?? 0);
    const perWindow = samples
      .filter((s) => s.at - started >= windowInMs - 500 && s.at - started <= healthyDone)
      .map((s) => ({ requests: s.requests - requestsAt(s.at - windowInMs), at: s.at }));
    const mean = (xs: readonly number[]) => (xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
    const used = mean(perWindow.map((w) => w.requests)) / appLimit;
    const couldUse = (tenant: string, from: number) => (tenant === down ? (from - started >= downSeconds * 1000 ? tenantLimit : 0) : tenant === throttled ? tenantLimit / 5 : tenantLimit);
    const waitingCouldUse = (from: number, to: number) => [...lastDone.entries()].filter(([t, done]) => t !== "home" && done > to).reduce((n, [t]) => n + couldUse(t, from), 0);
    const bound = perWindow.filter((w) => waitingCouldUse(w.at - windowInMs, w.at) >= appLimit);
    const usedWhileBound = mean(bound.map((w) => w.requests)) / appLimit;
    if (process.env.BENCH_DEBUG) for (const w of perWindow) console.error(`window to ${((w.at - started) / 1000).toFixed(0)} s: ${w.requests} requests; the waiting tenants could use ${waitingCouldUse(w.at - windowInMs, w.at)}`);
    // Ground truth per tenant: the sandbox's generator with the same options, here.
    let exact = 0;
    let wrong = 0;
    for (const spec of specs) {
      const truth = new SandboxTenant({ seed: spec.id, callsPerDay: spec.callsPerDay, largeMeetingShare: 0.02, availabilityDelayInMs: 20 * 60_000 }, { now: () => Date.now() }).groundTruth(from, to).map((t) => t.id).sort();
      const archived = (await linesUnder(join(folder, "callrecords/v1", `tenant=${spec.id}`))).sort();
      if (JSON.stringify(truth) === JSON.stringify(archived)) exact += 1;
      else wrong += 1;
    }
    const total = Object.values(stats.tenants).reduce((n, t) => n + t.graphRequests, 0);
    console.log(`\n${label}: ${tenants.length} tenants and the home one, ${summary.harvested} passes harvested, healthy tenants done in ${(healthyDone / 1000).toFixed(1)} s, all done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    console.log(
      `  Graph: ${total} requests; of the app's limit (${appLimit} / ${windowSeconds} s), ${(100 * usedWhileBound).toFixed(1)} % used while the tenants waiting could use more than it (${bound.length} sliding windows, a second apart), ${(100 * used).toFixed(1)} % until the healthy tenants were done (${perWindow.length} windows); the busiest window ${Math.max(0, ...perWindow.map((w) => w.requests))}; ${stats.acrossTenantsRefused} requests refused by the app's limit across tenants`,
    );
    console.log(`  records: ${exact} of ${specs.length} tenants archived exactly as their ground truth${wrong > 0 ? `; ${wrong} NOT` : ""}; ${summary.deadLetters.length} dead letters`);
    console.log("  tenant                                calls/day  requests  share    429s  503s");
    for (const spec of specs) {
      const t = stats.tenants[spec.id] ?? { graphRequests: 0, throttled: 0, unavailable: 0 };
      const note = spec.id === throttled ? "  (throttled)" : spec.id === down ? `  (down ${downSeconds} s)` : "";
      console.log(`  ${spec.id}  ${String(spec.callsPerDay).padStart(9)}  ${String(t.graphRequests).padStart(8)}  ${((100 * t.graphRequests) / Math.max(1, total)).toFixed(1).padStart(5)} %  ${String(t.throttled).padStart(4)}  ${String(t.unavailable).padStart(4)}${note}`);
    }
    return { healthyDone, used, usedWhileBound, exact, total: specs.length };
  } finally {
    link.child.kill("SIGTERM");
    await rm(folder, { recursive: true, force: true });
  }
}

async function linesUnder(root: string): Promise<string[]> {
  const names = await readdir(root, { recursive: true }).catch(() => [] as string[]);
  const ids: string[] = [];
  for (const name of names.filter((n) => n.endsWith(".jsonl.gz"))) {
    for (const line of gunzipSync(await readFile(join(root, name))).toString("utf8").split("\n")) if (line) ids.push((JSON.parse(line) as { id: string }).id);
  }
  return ids;
}

console.log(`Many tenants: Graph's limits scaled to ${tenantLimit} requests per ${windowSeconds} s per tenant and ${appLimit} per ${windowSeconds} s across tenants (Graph: 1,500 and 15,000 per 20 s); the tenants' own limits add up to ${((healthy.length + 1) * tenantLimit + tenantLimit / 5).toFixed(0)}, ${latencyMs} ms latency, ${slots} harvests at once; the span ${new Date(from).toISOString()} to ${new Date(to).toISOString()}, pass 0`);
const alone = await scenario(`${healthy.length} healthy tenants`, healthy);
const beside = await scenario(`the same ${healthy.length}, one throttled and one down (planned first)`, [throttled, down, ...healthy]);
console.log(`\nThe healthy tenants' harvest time: ${(alone.healthyDone / 1000).toFixed(1)} s alone, ${(beside.healthyDone / 1000).toFixed(1)} s beside a throttled and a down tenant (${((100 * (beside.healthyDone - alone.healthyDone)) / alone.healthyDone).toFixed(1)} % more; the target is at most 10 %).`);
