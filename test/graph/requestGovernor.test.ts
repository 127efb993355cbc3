import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RequestGovernor } from "../../shared/graph/requestGovernor.js";
import { FakeClock } from "../support/stubTransport.js";

/** Sends `n` requests one after another and returns the instant each was released. */
async function releaseTimes(governor: RequestGovernor, clock: FakeClock, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i += 1) {
    await governor.acquire();
    times.push(clock.now());
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

  it("holds every request for the Retry-After when several scopes answer 429 at once (the app's ceiling), then slows down", async () => {
    const clock = new FakeClock(0);
    const governor = new RequestGovernor({ requests: 100, windowInMs: 1000 }, clock);
    await releaseTimes(governor, clock, 200);
    const before = clock.now();
    governor.throttled(2500, { kind: "record", id: "a" });
    governor.throttled(2500, { kind: "list" });
    assert.equal(governor.pausedForInMs(), 0, "two scopes may both be busy on their own");
    governor.throttled(2500, { kind: "record", id: "b" });
    assert.ok(Math.abs(governor.pausedForInMs() - 2500) < 1e-6);
    const after = await releaseTimes(governor, clock, 20);
    assert.ok((after[0] as number) >= before + 2500, "a request went out during the pause");
    const spacing = ((after.at(-1) as number) - (after[0] as number)) / 19;
    assert.ok(spacing > 1000 / 100 / 0.95 * 1.2, `spacing ${spacing} ms is not slower than the normal pace`);
  });

  it("after the app is throttled, takes a quarter off (never below its share) and climbs back while requests wait on it", async () => {
    const clock = new FakeClock(0);
    const governor = new RequestGovernor({ requests: 50, ceilingRequests: 100, windowInMs: 1000 }, clock);
    await releaseTimes(governor, clock, 3000);
    assert.equal(governor.ratePerSecond(), 100, "never climbed to the ceiling");
    for (const id of ["a", "b", "c"]) governor.throttled(10, { kind: "record", id });
    assert.equal(governor.ratePerSecond(), 75);
    for (const id of ["d", "e", "f"]) governor.throttled(10, { kind: "record", id });
    assert.equal(governor.ratePerSecond(), 75, "one decrease per window");
    await releaseTimes(governor, clock, 1000);
    assert.equal(governor.ratePerSecond(), 100, "never climbed back");
    const floor = new RequestGovernor({ requests: 100, windowInMs: 1000 }, clock);
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

  it("leaves listing unpaced until Graph answers a list request 429, then paces it below the rate that met the limit, easing back later", async () => {
    const clock = new FakeClock(0);
    const governor = new RequestGovernor({ requests: 10_000, windowInMs: 20_000, listWindowInMs: 20_000 }, clock);
    const list = async (n: number) => {
      const times: number[] = [];
      for (let i = 0; i < n; i += 1) {
        await governor.acquire({ kind: "list" });
        times.push(clock.now());
      }
      return times;
    };
    const free = await list(60);
    assert.ok((free.at(-1) as number) - (free[0] as number) < 200, "listing was paced before any 429");
    governor.throttled(1000, { kind: "list" });
    const paced = await list(60);
    assert.ok((paced[0] as number) >= (free.at(-1) as number) + 1000, "listing did not pause for the Retry-After");
    assert.ok(maxInAnyWindow(paced, 20_000) <= 45, `after the 429, listing still ran ${maxInAnyWindow(paced, 20_000)} a window`);
    clock.current += 10 * 20_000;
    const eased = await list(60);
    assert.ok((eased.at(-1) as number) - (eased[0] as number) < 200, "listing never eased back");
  });

  it("slows listing once for 429s to list requests that were in flight together, not once each", async () => {
    const clock = new FakeClock(0);
    const governor = new RequestGovernor({ requests: 10_000, windowInMs: 20_000, listWindowInMs: 20_000 }, clock);
    for (let i = 0; i < 20; i += 1) await governor.acquire({ kind: "list" });
    // Twenty sent in the window: the learned pace is one every 20 s / 15.
    for (let i = 0; i < 5; i += 1) governor.throttled(1000, { kind: "list" });
    const times: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      await governor.acquire({ kind: "list" });
      times.push(clock.now());
    }
    const spacing = ((times.at(-1) as number) - (times[0] as number)) / 4;
    assert.ok(spacing <= (20_000 / 15) * 1.01, `list requests ${spacing.toFixed(0)} ms apart: the five 429s compounded`);
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

  it("counts the wall time some request waited on Graph's Retry-After once, however many waited side by side", () => {
    const clock = new FakeClock(0);
    const governor = new RequestGovernor({ requests: 100, windowInMs: 1000 }, clock);
    governor.throttled(1000, { kind: "record", id: "a" });
    clock.current = 500;
    governor.throttled(1000, { kind: "record", id: "b" }); // overlaps: 0 to 1.5 s in all
    clock.current = 600;
    governor.throttled(200, { kind: "record", id: "c" }); // inside the others: adds nothing
    clock.current = 5000;
    governor.throttled(1000, { kind: "list" }); // apart: one more second
    assert.equal(governor.waitedOnGraphInMs(), 1500 + 1000 - 1000, "the wait still running is not counted ahead of time");
    clock.current = 7000;
    assert.equal(governor.waitedOnGraphInMs(), 2500);
  });
});
