import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ManualClock } from "../../sandbox/tenant.js";
import { Throttle, earlierListLimits, graphThrottleLimits } from "../../sandbox/throttle.js";
import { withSandbox } from "../support/graph.js";

const now = Date.parse("2026-11-27T18:00:00Z");
const window = { startInMs: Date.parse("2026-11-27T08:00:00Z"), endInMs: Date.parse("2026-11-27T14:00:00Z") };

describe("the sandbox's listing limits", () => {
  it("current docs: 40 list requests per 20 s per app, first and later pages alike", () => {
    let t = 0;
    const throttle = new Throttle(graphThrottleLimits, () => t);
    const admitted = Array.from({ length: 41 }, (_, i) => throttle.check("app", { kind: "list", firstPage: i % 2 === 0 }) === 0);
    assert.deepEqual([admitted.filter(Boolean).length, admitted.at(-1)], [40, false]);
    t += 20_001;
    assert.equal(throttle.check("app", { kind: "list", firstPage: true }), 0);
  });

  it("earlier docs: 15 first pages per 20 s, 55 later pages per 5 minutes", () => {
    const t = 0;
    const throttle = new Throttle({ ...graphThrottleLimits, ...earlierListLimits }, () => t);
    const first = Array.from({ length: 16 }, () => throttle.check("app", { kind: "list", firstPage: true }) === 0);
    const later = Array.from({ length: 56 }, () => throttle.check("app", { kind: "list", firstPage: false }) === 0);
    assert.deepEqual([first.filter(Boolean).length, later.filter(Boolean).length], [15, 55]);
  });
});

describe("a 429 on listing stays with listing", () => {
  it("the window is listed in full through the sandbox's list limit, and requests for records never paused", async () => {
    await withSandbox(
      { clock: new ManualClock(now), callsPerDay: 400, emptyPageRate: 0, throttle: { listRequests: 4, listWindowInMs: 1_000 } },
      // The archiver believes listing may go faster than the sandbox allows: listing meets 429s.
      { ARCHIVER_GRAPH_PAGE_SIZE: "5", ARCHIVER_GRAPH_LIST_RATE_REQUESTS: "50", ARCHIVER_GRAPH_RATE_WINDOW_SECONDS: "1", ARCHIVER_GRAPH_RATE_REQUESTS: "1000", ARCHIVER_GRAPH_MAX_ATTEMPTS: "20" },
      async (sandbox, runtime) => {
        const client = runtime.newClient();
        let pausedAtSomePoint = false;
        let listed = 0;
        for await (const page of client.listWindow(window)) {
          listed += page.length;
          if (runtime.governor.pausedForInMs() > 0) pausedAtSomePoint = true;
        }
        assert.equal(listed, sandbox.tenant.groundTruth(window.startInMs, window.endInMs).length);
        assert.ok(sandbox.stats.throttled > 0, "listing never met the sandbox's list limit");
        assert.equal(pausedAtSomePoint, false, "a list 429 paused every request");
      },
    );
  });
});
