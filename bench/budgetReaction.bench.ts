/**
 * `npm run bench:budget`: how fast the shared Graph budget reacts, on the real clock, with the
 * folder registry: instance A runs alone and hungry, B becomes busy, and the bench times how long
 * until A's allowance has come down to its fair half, and until the two paces together are within
 * the ceiling; then both fall idle, and it counts the registry operations made while idle.
 * Graph's 20 s window is scaled to 2 s (heartbeat 250 ms), as in `npm run bench`: times scale by 10.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../shared/core/clock.js";
import { RequestGovernor } from "../shared/graph/requestGovernor.js";
import { type InstanceRegistry, shareBudget } from "../shared/graph/sharedBudget.js";
import { folderInstanceRegistry } from "../shared/pipeline/harvest/instanceRegistry.js";

const windowInMs = 2_000;
const ceiling = 150;
const heartbeatInMs = windowInMs / 8;
const folder = await mkdtemp(join(tmpdir(), "budget-reaction-"));
let operations = 0;
const real = folderInstanceRegistry(folder);
const counted: InstanceRegistry = {
  announce: (usage) => (operations++, real.announce(usage)),
  fresh: (ms) => (operations++, real.fresh(ms)),
  withdraw: (instance) => (operations++, real.withdraw(instance)),
};
const governor = () => new RequestGovernor({ requests: ceiling / 4, ceilingRequests: ceiling, windowInMs }, systemClock);
const [a, b] = [governor(), governor()];
const options = (instance: string) => ({ instance, ceiling, heartbeatInMs, clock: systemClock, idleAllowance: ceiling / 4 });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Keeps a governor hungry: one request after another, as fast as its pace lets them through. */
function hungry(g: RequestGovernor): { stop: () => void } {
  let stopped = false;
  void (async () => {
    while (!stopped) await g.acquire();
  })();
  return { stop: () => void (stopped = true) };
}

try {
  const sharedA = shareBudget(a, counted, options("a"));
  const loadA = hungry(a);
  await sleep(3 * windowInMs);
  const alone = sharedA.allowance ?? 0;
  const sharedB = shareBudget(b, counted, options("b"));
  const started = Date.now();
  const loadB = hungry(b);
  let halvedAfter: number | undefined;
  let withinCeilingAfter: number | undefined;
  while (Date.now() - started < 5 * windowInMs && (halvedAfter === undefined || withinCeilingAfter === undefined)) {
    await sleep(10);
    const perWindow = (g: RequestGovernor) => g.ratePerSecond() * (windowInMs / 1000);
    if (halvedAfter === undefined && (sharedA.allowance ?? ceiling) <= ceiling / 2 + 1) halvedAfter = Date.now() - started;
    if (withinCeilingAfter === undefined && perWindow(a) + perWindow(b) <= ceiling + 1) withinCeilingAfter = Date.now() - started;
  }
  loadA.stop();
  loadB.stop();
  // Idle: after the requests of the last window have aged out, count what the heartbeats still do.
  await sleep(windowInMs + 4 * heartbeatInMs);
  const before = operations;
  await sleep(20 * heartbeatInMs);
  const idleOperations = operations - before;
  await Promise.all([sharedA.stop(), sharedB.stop()]);
  console.log(`shared budget, real clock, ${windowInMs / 1000} s window (Graph's 20 s / 10), heartbeat ${heartbeatInMs} ms, ceiling ${ceiling}`);
  console.log(`  A alone: allowance ${alone.toFixed(0)} per window`);
  console.log(`  B turns busy: A at its fair half after ${halvedAfter ?? "(not within 5 windows)"} ms; both paces within the ceiling after ${withinCeilingAfter ?? "(not within 5 windows)"} ms`);
  console.log(`  both idle: ${idleOperations} registry operations in ${20} heartbeats (busy: 2 a heartbeat each)`);
} finally {
  await rm(folder, { recursive: true, force: true });
}
