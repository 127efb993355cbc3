import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PaceController, type ScopeLimits } from "../../shared/graph/paceController.js";

const list: ScopeLimits = { windowInMs: 20_000, initial: undefined, floor: 3, ceiling: Number.POSITIVE_INFINITY };

/** A controller whose "list" scope saw `accepted` requests accepted, evenly over [from, to). */
function withHistory(accepted: { from: number; to: number; count: number }[], limits: ScopeLimits = list): PaceController {
  const paces = new PaceController();
  paces.define("list", limits);
  for (const { from, to, count } of accepted) {
    for (let i = 0; i < count; i += 1) {
      const at = from + ((to - from) * i) / count;
      paces.sent("list", at);
      paces.accepted("list", at);
    }
  }
  return paces;
}

describe("the pace controller's verdict on a 429", () => {
  // Each row: the history of accepted requests, when the 429 comes, and what follows (typed by hand).
  const rows: { name: string; history: { from: number; to: number; count: number }[]; at: number; verdict: "caused" | "suffered"; rate: number | undefined }[] = [
    { name: "in the scope's first window: too little history to blame the pace", history: [{ from: 0, to: 10_000, count: 30 }], at: 10_000, verdict: "suffered", rate: undefined },
    { name: "at the peak, a window in: caused, the pace set to 0.8 of the most that got through (20 of the last window)", history: [{ from: 0, to: 40_000, count: 40 }], at: 39_500, verdict: "caused", rate: 16 },
    { name: "below the recent peak (more got through just before): suffered, the pace untouched", history: [{ from: 0, to: 20_000, count: 40 }, { from: 20_000, to: 40_000, count: 10 }], at: 40_000, verdict: "suffered", rate: undefined },
    { name: "at the peak but with two accepted in the window: too few to tell from chance", history: [{ from: 0, to: 40_000, count: 4 }], at: 39_999, verdict: "suffered", rate: undefined },
    { name: "a peak eleven windows ago is forgotten: a lower limit is found again", history: [{ from: 0, to: 20_000, count: 40 }, { from: 220_000, to: 240_000, count: 10 }], at: 239_000, verdict: "caused", rate: 8 },
    { name: "the pace never falls below the floor (0.8 of 3 is 2.4)", history: [{ from: 0, to: 40_000, count: 6 }], at: 39_999, verdict: "caused", rate: 3 },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const paces = withHistory(row.history);
      assert.equal(paces.throttled("list", row.at, 1000), row.verdict);
      assert.equal(paces.rate("list"), row.rate);
      assert.equal(paces.pausedUntil("list"), row.at + 1000, "the Retry-After is honoured either way");
      assert.deepEqual(paces.verdicts("list"), { caused: row.verdict === "caused" ? 1 : 0, suffered: row.verdict === "suffered" ? 1 : 0 });
    });
  }

  it("slows once for 429s within a window of a slowdown: those sent before it met the same limit (ours), those sent after are not evidence yet", () => {
    const paces = withHistory([{ from: 0, to: 40_000, count: 40 }]);
    assert.equal(paces.throttled("list", 39_500, 1000), "caused");
    assert.equal(paces.throttled("list", 39_700, 1000, 39_400), "caused", "sent before the slowdown: the same event, ours");
    assert.equal(paces.throttled("list", 39_600, 1000), "suffered");
    assert.equal(paces.throttled("list", 59_000, 1000), "suffered");
    assert.equal(paces.rate("list"), 16);
  });
});

describe("the probe window after a slowdown", () => {
  /**
   * After a slowdown at 39.5 s (pace 16), answers through the probe window (the second after it,
   * 59.5 to 79.5 s): one a second, a 429 every `refuseEvery`; then one accepted at 80 s ends it.
   */
  function probe(refuseEvery: number | undefined) {
    const paces = withHistory([{ from: 0, to: 40_000, count: 40 }]);
    paces.throttled("list", 39_500, 0);
    for (let i = 0; i < 20; i += 1) {
      const at = 59_500 + i * 1000;
      if (refuseEvery !== undefined && i % refuseEvery === 0) paces.throttled("list", at, 0);
      else paces.accepted("list", at);
    }
    paces.accepted("list", 80_000);
    return paces;
  }

  it("does not count the window right after it: Graph's window still holds the faster pace's requests", () => {
    const paces = withHistory([{ from: 0, to: 40_000, count: 40 }]);
    paces.throttled("list", 39_500, 0);
    for (let i = 1; i <= 5; i += 1) paces.throttled("list", 39_500 + i * 1000, 0);
    for (let i = 0; i < 20; i += 1) paces.accepted("list", 59_500 + i * 1000);
    paces.accepted("list", 80_000);
    assert.equal(paces.rate("list"), 16);
  });

  it("keeps the slowdown when 429s stop at the slower pace", () => {
    const paces = probe(undefined);
    assert.equal(paces.rate("list"), 16);
    assert.deepEqual(paces.verdicts("list"), { caused: 1, suffered: 0 });
  });

  it("undoes it when the share of 429s did not fall (1 in 21 before, 1 in 5 in the probe): they did not depend on the pace", () => {
    const paces = probe(5);
    assert.equal(paces.rate("list"), undefined, "listing was unpaced before the slowdown");
    assert.deepEqual(paces.verdicts("list"), { caused: 0, suffered: 5 });
    // The next probe waits two windows: a 429 at the peak within them slows nothing.
    assert.equal(paces.causedByPace("list", 80_000 + 39_000), false);
  });
});

describe("the pace controller's recovery", () => {
  it("adds 0.05 a window per accepted request, only while requests wait on the pace", () => {
    const paces = withHistory([{ from: 0, to: 40_000, count: 40 }]);
    paces.throttled("list", 39_500, 0);
    paces.accepted("list", 41_000);
    assert.equal(paces.rate("list"), 16, "grew with no request waiting on the pace");
    paces.waited("list", 41_000);
    for (let i = 0; i < 20; i += 1) paces.accepted("list", 41_000 + i);
    assert.ok(Math.abs((paces.rate("list") as number) - 17) < 1e-9, `${paces.rate("list")}`);
    paces.accepted("list", 61_000);
    assert.ok(Math.abs((paces.rate("list") as number) - 17) < 1e-9, "grew a window after the last wait");
  });

  it("never recovers above the ceiling", () => {
    const paces = new PaceController();
    paces.define("app", { windowInMs: 1000, initial: 99.99, floor: 50, ceiling: 100 });
    paces.waited("app", 0);
    for (let i = 0; i < 10; i += 1) paces.accepted("app", i);
    assert.equal(paces.rate("app"), 100);
  });

  it("a pace set from outside is held within floor and ceiling", () => {
    const paces = new PaceController();
    paces.define("app", { windowInMs: 1000, initial: 60, floor: 50, ceiling: 100 });
    paces.setRate("app", 10);
    assert.equal(paces.rate("app"), 50);
    paces.setRate("app", 1000);
    assert.equal(paces.rate("app"), 100);
  });

  it("names an undefined scope", () => {
    assert.throws(() => new PaceController().rate("tenant:x/list"), /No pace is defined for the scope "tenant:x\/list"/);
  });
});
