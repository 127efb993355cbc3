/**
 * `npm run bench:graph`: how close the Graph client runs to its request ceiling against the
 * sandbox with Graph's throttling on, and how many requests Graph answers 429. Prints figures;
 * asserts nothing (machines are noisy: read the ratios).
 *
 * Options (environment): BENCH_SECONDS (default 45), BENCH_CONCURRENCY (default 32).
 */
import { loadArchiverConfig } from "../shared/config/config.js";
import { createGraphRuntime } from "../shared/graph/graphSetup.js";
import { newGraphCounters } from "../shared/graph/graphCounters.js";
import { dayInMs, hourInMs } from "../shared/core/window.js";
import { sandboxSettings, startSandbox } from "../sandbox/server.js";

const seconds = Number(process.env.BENCH_SECONDS ?? 45);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32);

const sandbox = await startSandbox({ callsPerDay: 2000 });
const config = loadArchiverConfig({ ...process.env, ...sandboxSettings(sandbox) });
const runtime = createGraphRuntime(config, { ca: sandbox.ca });
const counters = newGraphCounters();
const client = runtime.newClient(counters);
const ceilingPerSecond = config.graph.rateLimitRequests / (config.graph.rateLimitWindowInMs / 1000);

// Warm the token so the measured span is Graph traffic only.
for await (const _ of client.listWindow({ startInMs: 0, endInMs: 1 })) void _;
const warmRequests = counters.requests;
const warmThrottled = sandbox.stats.throttled;

const deadline = Date.now() + seconds * 1000;
const ids: string[] = [];
let listing = true;
const firstHour = Math.floor((Date.now() - 10 * dayInMs) / hourInMs) * hourInMs;
const lister = (async () => {
  for (let h = 0; Date.now() < deadline && h < 24 * 20; h += 1) {
    for await (const page of client.listWindow({ startInMs: firstHour + h * hourInMs, endInMs: firstHour + (h + 1) * hourInMs })) {
      ids.push(...page.map((r) => r.id));
    }
  }
  listing = false;
})();
const started = Date.now();
const worker = async () => {
  while (Date.now() < deadline) {
    const id = ids.shift();
    if (id === undefined) {
      if (!listing) return;
      await new Promise((r) => setTimeout(r, 5));
      continue;
    }
    await client.getRecord(id);
  }
};
await Promise.all([lister, ...Array.from({ length: concurrency }, worker)]);
const elapsedInSeconds = (Date.now() - started) / 1000;
const requests = counters.requests - warmRequests;
const throttled = sandbox.stats.throttled - warmThrottled;
await sandbox.close();

const achieved = requests / elapsedInSeconds;
console.log(`bench:graph  ${elapsedInSeconds.toFixed(1)} s against the sandbox, Graph throttling on (${config.graph.rateLimitRequests} / ${config.graph.rateLimitWindowInMs / 1000} s per app)`);
console.log(`  requests            ${requests}`);
console.log(`  records            ${counters.records} listed; ${requests - counters.pages} detail requests`);
console.log(`  achieved            ${achieved.toFixed(1)} req/s`);
console.log(`  ceiling             ${ceilingPerSecond.toFixed(1)} req/s`);
console.log(`  share of ceiling    ${((100 * achieved) / ceilingPerSecond).toFixed(1)} %   (target >= 90 %)`);
console.log(`  answered 429        ${throttled} (${((100 * throttled) / Math.max(1, requests)).toFixed(2)} %)   (target < 2 %)`);
console.log(`  seconds throttled   ${(counters.throttledInMs / 1000).toFixed(1)}`);
