import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dayInMs, hourInMs } from "../../shared/core/window.js";
import { CallGenerator, callsPerDayFor } from "../../sandbox/generator.js";

/** The calls the generator starts in [fromInMs, toInMs) with `callsPerDay`. */
function callsIn(callsPerDay: number, fromInMs: number, toInMs: number): number {
  const generator = new CallGenerator({ seed: "volume", callsPerDay, largeMeetingShare: 0, availabilityDelayInMs: 0 });
  let count = 0;
  for (let day = Math.floor(fromInMs / dayInMs); day * dayInMs < toInMs; day += 1) {
    count += generator.callsOfDay(day).filter((c) => c.startInMs >= fromInMs && c.startInMs < toInMs).length;
  }
  return count;
}

describe("callsPerDayFor: a span holds the calls asked for, whatever its hours", () => {
  // [span, hours, fewest calls accepted]: 60 are asked for, and a binomial draw stays well inside
  // 40–85; a weekend night is held to about 46 by the generator's most, 4,095 calls a day.
  const spans: [string, number, number, number][] = [
    ["a Tuesday morning peak (2 hours)", Date.parse("2026-11-24T09:00:00Z"), 2, 40],
    ["a Monday evening (6 hours)", Date.parse("2026-11-30T14:00:00Z"), 6, 40],
    ["across midnight into a Saturday (4 hours)", Date.parse("2026-11-27T22:00:00Z"), 4, 40],
    ["a Sunday night (2 hours), at the generator's most", Date.parse("2026-11-29T02:00:00Z"), 2, 25],
  ];
  for (const [name, from, hours, fewest] of spans) {
    it(name, () => {
      const to = from + hours * hourInMs;
      const count = callsIn(callsPerDayFor(60, from, to), from, to);
      assert.ok(count >= fewest && count <= 85, `${count} calls`);
    });
  }

  it("a fixed tenant size does not: 240 calls a day put a handful in a quiet Sunday night", () => {
    const from = Date.parse("2026-11-29T02:00:00Z");
    assert.ok(callsIn(240, from, from + 2 * hourInMs) < 10);
  });
});
