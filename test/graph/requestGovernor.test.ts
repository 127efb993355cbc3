import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RequestGovernor } from "../../shared/graph/requestGovernor.js";
import { hash32, seededRandom } from "../../sandbox/random.js";
import { Throttle, graphThrottleLimits } from "../../sandbox/throttle.js";
import { FakeClock } from "../support/stubTransport.js";

/** Sends `n` requests one after another and returns the instant each was released. */
async function releaseTimes(governor: RequestGovernor, clock: FakeClock, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i += 1) {
    await governor.acquire({ kind: "record", id: `r${i}` });
    times.push(clock.now());
    governor.answered({ kind: "record", id: `r${i}` }, { kind: "accepted" });
  }
  return times;
}

const maxInAnyWindow = (times: number[], windowInMs: number): number => {
  let max = 0;
  for (let i = 0, j = 0; i < times.length; i += 1) {
    while ((times[i] as number) - (times[j] as number) >= windowInMs) j += 1;
    max = Math.max(max, i - j + 1);
  }
  return max;
};

describe("RequestGovernor", () => {
  it("never lets more than the ceiling through in any sliding window, yet uses over 93% of it", async () => {
    const clock = new FakeClock(0);
    const governor = new RequestGovernor({ requests: 1500, windowInMs: 20_000 }, clock);
    const times = await releaseTimes(governor, clock, 6000);
    assert.ok(maxInAnyWindow(times, 20_000) <= 1500, `window held ${maxInAnyWindow(times, 20_000)}`);
    const rate = times.length / ((times.at(-1) as number) / 20_000);
    assert.ok(rate >= 0.93 * 1500, `only ${rate.toFixed(0)} per window`);
  });

  it("holds every request for the Retry-After when several scopes answer 429 at once with the app at its peak, then slows to 0.8 of what got through", async () => {
    const clock = new FakeClock(0);
    const governor = new RequestGovernor({ requests: 50, ceilingRequests: 100, windowInMs: 1000 }, clock);
    await releaseTimes(governor, clock, 200);
    const before = clock.now();
    const through = governor.requestsInLastWindow(before);
    governor.throttled(2500, { kind: "record", id: "a" });
    governor.throttled(2500, { kind: "list" });
    assert.equal(governor.pausedForInMs(), 0, "two scopes may both be busy on their own");
    assert.equal(governor.throttled(2500, { kind: "record", id: "b" }), "caused");
    assert.ok(Math.abs(governor.pausedForInMs() - 2500) < 1e-6);
    assert.equal(governor.ratePerSecond(), Math.max(50, through * 0.8));
    const after = await releaseTimes(governor, clock, 20);
    assert.ok((after[0] as number) >= before + 2500, "a request went out during the pause");
  });

  it("rate-independent 429s on several records while the app gets fewer through than at its peak neither pause nor slow it", async () => {
    const clock = new FakeClock(0);
    const governor = new RequestGovernor({ requests: 50, ceilingRequests: 100, windowInMs: 1000 }, clock);
    await releaseTimes(governor, clock, 200);
    // Half a window with no demand: fewer got through in the last window than at the peak.
    clock.current += 500;
    const rate = governor.ratePerSecond();
    for (const id of ["a", "b", "c", "d"]) assert.equal(governor.throttled(2500, { kind: "record", id }), "suffered");
    assert.equal(governor.pausedForInMs(), 0);
    assert.equal(governor.ratePerSecond(), rate);
    assert.deepEqual(governor.throttles().records, { caused: 0, suffered: 4 });
  });

  it("after the app is throttled at its peak, slows (never below its share) and climbs back while requests wait on it", async () => {
    const clock = new FakeClock(0);
    const governor = new RequestGovernor({ requests: 50, ceilingRequests: 100, windowInMs: 1000 }, clock);
    await releaseTimes(governor, clock, 3000);
    assert.equal(governor.ratePerSecond(), 100, "never climbed to the ceiling");
    for (const id of ["a", "b", "c"]) governor.throttled(10, { kind: "record", id });
    const slowed = governor.ratePerSecond();
    assert.ok(slowed < 100 && slowed >= 75, `slowed to ${slowed}`);
    for (const id of ["d", "e", "f"]) governor.throttled(10, { kind: "record", id });
    assert.equal(governor.ratePerSecond(), slowed, "one decrease per window");
    await releaseTimes(governor, clock, 1000);
    assert.equal(governor.ratePerSecond(), 100, "never climbed back");
    const floor = new RequestGovernor({ requests: 100, windowInMs: 1000 }, clock);
    await releaseTimes(floor, clock, 300);
    for (const id of ["a", "b", "c"]) floor.throttled(10, { kind: "record", id });
    assert.equal(floor.ratePerSecond(), 100, "without a ceiling above it, the share is kept");
  });

  it("one busy instance starting at a quarter of the app's budget climbs to the whole of it, never above", async () => {
    const clock = new FakeClock(0);
    const governor = new RequestGovernor({ requests: 375, ceilingRequests: 1500, windowInMs: 20_000 }, clock);
    const times = await releaseTimes(governor, clock, 50_000);
    assert.equal(governor.ratePerSecond(), 75);
    const last = times.filter((t) => t >= (times.at(-1) as number) - 20_000);
    assert.ok(last.length >= 0.93 * 1500 && maxInAnyWindow(times, 20_000) <= 1500, `${last.length} in the last window, at most ${maxInAnyWindow(times, 20_000)}`);
  });

  it("an idle instance does not climb: only demand that waited on the pace raises it", async () => {
    const clock = new FakeClock(0);
    const governor = new RequestGovernor({ requests: 375, ceilingRequests: 1500, windowInMs: 20_000 }, clock);
    for (let i = 0; i < 50; i += 1) {
      await governor.acquire();
      clock.current += 1000;
    }
    assert.equal(governor.ratePerSecond(), 375 / 20);
  });

  it("keeps a 429 on one call record to that record: other requests are not held", async () => {
    const clock = new FakeClock(0);
    const governor = new RequestGovernor({ requests: 100, windowInMs: 1000 }, clock);
    governor.throttled(20_000, { kind: "record", id: "busy" });
    assert.equal(governor.pausedForInMs(), 0);
    const start = clock.now();
    const times = await releaseTimes(governor, clock, 10);
    assert.ok((times.at(-1) as number) - start < 1000, "requests waited for another record's Retry-After");
  });

  it("keeps a 429 on listing to listing: list requests pause and slow, record requests flow", async () => {
    const clock = new FakeClock(0);
    const governor = new RequestGovernor({ requests: 1000, windowInMs: 1000, listRequests: 40, listWindowInMs: 1000 }, clock);
    governor.throttled(3000, { kind: "list" });
    const start = clock.now();
    await governor.acquire({ kind: "record", id: "r" });
    assert.ok(clock.now() - start < 10, "a record request waited for listing's pause");
    await governor.acquire({ kind: "list" });
    assert.ok(clock.now() - start >= 3000, "a list request went out during listing's pause");
  });

  it("paces listing under a fixed ceiling, when one is set, in any sliding window", async () => {
    const clock = new FakeClock(0);
    const governor = new RequestGovernor({ requests: 1500, windowInMs: 20_000, listRequests: 40, listWindowInMs: 20_000 }, clock);
    const times: number[] = [];
    for (let i = 0; i < 200; i += 1) {
      await governor.acquire({ kind: "list" });
      times.push(clock.now());
    }
    assert.ok(maxInAnyWindow(times, 20_000) <= 40, `listing window held ${maxInAnyWindow(times, 20_000)}`);
    assert.ok(maxInAnyWindow(times, 20_000) >= 37, "listing used less than 93% of its ceiling");
  });
});

describe("listing's pace, learned from Graph's answers (one lister, answers 100 ms away, on a fake clock)", () => {
  /**
   * Lists for `minutes` against the sandbox's sliding-window listing limit and a share of 429s
   * that do not depend on the rate (Retry-After 2 s). Answers what got through in each 20-s
   * window of the last `measuredMinutes`, and the share of list requests answered 429.
   */
  async function simulate(options: { listLimit: number; randomShare: number; minutes: number; measuredMinutes: number }) {
    const clock = new FakeClock(1_000_000);
    const governor = new RequestGovernor({ requests: 10_000, windowInMs: 20_000, listWindowInMs: 20_000 }, clock);
    const throttle = new Throttle({ ...graphThrottleLimits, listRequests: options.listLimit }, () => clock.now());
    const random = seededRandom(hash32("listing"));
    const end = clock.now() + options.minutes * 60_000;
    const measuredFrom = end - options.measuredMinutes * 60_000;
    let sent = 0;
    let refused = 0;
    const accepted: number[] = [];
    while (clock.now() < end) {
      await governor.acquire({ kind: "list" });
      clock.current += 100;
      sent += 1;
      const wait = random() < options.randomShare ? 2000 : throttle.check("app", { kind: "list", firstPage: false });
      if (wait > 0) {
        refused += 1;
        governor.answered({ kind: "list" }, { kind: "throttled", retryAfterInMs: wait });
        await clock.sleep(wait);
        continue;
      }
      governor.answered({ kind: "list" }, { kind: "accepted" });
      if (clock.now() >= measuredFrom) accepted.push(clock.now());
    }
    const perWindow = Array.from({ length: options.measuredMinutes * 3 }, (_, i) => accepted.filter((t) => t >= measuredFrom + i * 20_000 && t < measuredFrom + (i + 1) * 20_000).length);
    return { perWindow, refusedShare: refused / sent, mean: perWindow.reduce((a, b) => a + b, 0) / perWindow.length };
  }

  it("finds a listing limit lower than documented (15 per 20 s): over 80% of it used, under 5% of list requests answered 429", async () => {
    const run = await simulate({ listLimit: 15, randomShare: 0, minutes: 30, measuredMinutes: 30 });
    assert.ok(run.mean >= 0.8 * 15, `used ${run.mean.toFixed(1)} of 15 a window on average (${run.perWindow.join(" ")})`);
    assert.ok(Math.max(...run.perWindow) <= 15);
    assert.ok(run.refusedShare < 0.05, `${(run.refusedShare * 100).toFixed(1)} % of list requests answered 429`);
  });

  it("does not collapse when a fifth of all answers are 429s whatever the rate: under the documented 40 per 20 s, over 80 % of what the same faults allow with no limit at all", async () => {
    // With no listing limit, pacing can only cost: what the lister gets there is the most these faults allow.
    const unlimited = await simulate({ listLimit: 100_000, randomShare: 0.2, minutes: 20, measuredMinutes: 10 });
    const faulty = await simulate({ listLimit: 40, randomShare: 0.2, minutes: 20, measuredMinutes: 10 });
    assert.ok(faulty.mean >= 0.8 * unlimited.mean, `${faulty.mean.toFixed(1)} a window under the limit, ${unlimited.mean.toFixed(1)} with none (${faulty.perWindow.join(" ")})`);
    // The pacer this replaced sat at one list request a window under these faults.
    assert.ok(Math.min(...faulty.perWindow) >= 5, `a window held only ${Math.min(...faulty.perWindow)} list requests: listing collapsed`);
  });
});
