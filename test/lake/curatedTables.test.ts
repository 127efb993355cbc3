import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { durationSeconds, instantMicros } from "../../shared/lake/curatedTables.js";
import { graphInstant } from "../../sandbox/generator.js";

describe("curated values", () => {
  it("instants keep microseconds of Graph's 7 digits, and fewer digits mean zeros", () => {
    const cases: [unknown, bigint | null][] = [
      ["2020-02-25T18:52:21.2169889Z", 1582656741216988n],
      ["2020-02-25T19:00:24.582757Z", 1582657224582757n],
      ["2020-02-25T19:00:24.5Z", 1582657224500000n],
      ["2020-02-25T19:00:24Z", 1582657224000000n],
      ["not an instant", null],
      [null, null],
      [42, null],
    ];
    for (const [input, micros] of cases) assert.equal(instantMicros(input), micros, String(input));
  });

  it("ISO-8601 durations become seconds; anything else is null", () => {
    const cases: [unknown, number | null][] = [
      ["PT0.016S", 0.016],
      ["PT1M2.5S", 62.5],
      ["PT1H", 3600],
      ["P1DT2H", 93_600],
      ["PT", 0],
      ["0.016", null],
      ["PT0.016", null],
      [null, null],
    ];
    for (const [input, seconds] of cases) assert.equal(durationSeconds(input), seconds, String(input));
  });

  it("the sandbox writes instants as Graph does: whole seconds too get 7 (or 6) fractional digits", () => {
    for (const ms of [Date.parse("2026-11-03T23:38:00Z"), Date.parse("2026-11-03T23:38:00.5Z"), Date.parse("2026-11-03T23:38:59.999Z")]) {
      assert.match(graphInstant(ms, "a"), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
      assert.match(graphInstant(ms, "a", 6), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
      assert.equal(Date.parse(graphInstant(ms, "a")), ms);
    }
  });
});
