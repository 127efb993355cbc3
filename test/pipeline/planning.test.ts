import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hourlyPlan } from "../support/planSettings.js";
import fc from "fast-check";
import { firstWatermark, jobsForWindow, planTick, type PlanSettings, type Watermark } from "../../shared/pipeline/plan/planning.js";
import { InvalidJobError } from "../../shared/core/errors.js";
import { jobKey, parseJobMessage, windowShapeProblem } from "../../shared/core/job.js";
import { dayInMs, hourInMs, isSplittable, splitWindow } from "../../shared/core/window.js";
import { windowReadableProblem } from "../../shared/core/passes.js";

const settings: PlanSettings = hourlyPlan(5);
const start = Date.parse("2026-11-27T09:07:00Z");

describe("planning windows across ticks", () => {
  it("a first run starts at the oldest hour Graph holds, plus the margin", () => {
    const w = firstWatermark(start, settings);
    assert.equal(new Date(w.nextWindowStartInMs).toISOString(), "2026-10-28T11:00:00.000Z");
  });

  it("ticks at any times, restarted from the saved watermark, leave no gap and no overlap", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 6 * hourInMs }), { minLength: 1, maxLength: 40 }), (gaps) => {
        let now = start;
        let watermark: Watermark | undefined;
        const windows: { startInMs: number; endInMs: number }[] = [];
        for (const gap of gaps) {
          now += gap;
          const plan = planTick(watermark, now, settings);
          windows.push(...plan.windows);
          watermark = plan.next;
          for (const w of plan.windows) assert.ok(w.endInMs <= now - settings.settleInMs, "planned a window that has not settled");
        }
        for (let i = 1; i < windows.length; i += 1) assert.equal(windows[i]?.startInMs, windows[i - 1]?.endInMs);
        for (const w of windows) assert.equal(w.startInMs % hourInMs, 0);
      }),
    );
  });

  it("two racing ticks from the same watermark plan the same jobs, so duplicates collapse by messageId", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * dayInMs }), fc.integer({ min: 0, max: 60_000 }), (offset, skew) => {
        const w = firstWatermark(start, settings);
        const a = planTick(w, start + offset, settings);
        const b = planTick(w, start + offset + skew, settings);
        const keysA = a.jobs.filter((j) => j.job.pass === 0).map((j) => jobKey(j.job));
        const keysB = b.jobs.filter((j) => j.job.pass === 0).map((j) => jobKey(j.job));
        const shorter = Math.min(keysA.length, keysB.length);
        assert.deepEqual(keysA.slice(0, shorter), keysB.slice(0, shorter));
      }),
    );
  });

  it("plans at most the configured windows per tick", () => {
    const plan = planTick(undefined, start, settings);
    assert.equal(plan.windows.length, 5);
  });

  it("gives a fresh window pass 0 now and every re-read at its offset after the window's end", () => {
    const w = { nextWindowStartInMs: Date.parse("2026-11-27T07:00:00Z") };
    const plan = planTick(w, start, settings);
    assert.equal(plan.windows.length, 1);
    const end = Date.parse("2026-11-27T08:00:00Z");
    assert.deepEqual(
      plan.jobs.map((j) => [j.job.pass, j.notBeforeInMs === undefined ? undefined : j.notBeforeInMs - end]),
      [[0, undefined], [1, 6 * hourInMs], [2, dayInMs], [3, 3 * dayInMs], [4, 7 * dayInMs], [5, 20 * dayInMs]],
    );
  });

  it("plans every re-read of an old window, staggered after pass 0, and none that would start within 2 hours of Graph's horizon", () => {
    const now = Date.parse("2026-11-27T12:00:00Z");
    const window = { startInMs: now - 10 * dayInMs, endInMs: now - 10 * dayInMs + hourInMs };
    const jobs = jobsForWindow(window, now, settings);
    assert.deepEqual(
      jobs.map((j) => [j.job.pass, j.notBeforeInMs === undefined ? undefined : (j.notBeforeInMs - now) / hourInMs]),
      // Passes 1–4 (6 h, 1 d, 3 d, 7 d) are already due: 1, 2, 3 and 4 hours from now. Pass 5 (20 d) at its offset.
      [[0, undefined], [1, 1], [2, 2], [3, 3], [4, 4], [5, (window.endInMs + 20 * dayInMs - now) / hourInMs]],
    );
    const nearHorizon = { startInMs: now - 30 * dayInMs + 3 * hourInMs, endInMs: now - 30 * dayInMs + 4 * hourInMs };
    assert.deepEqual(jobsForWindow(nearHorizon, now, settings).map((j) => j.job.pass), [0]);
  });
});

describe("job messages", () => {
  it("round-trip through their JSON body", () => {
    const job = parseJobMessage('{"schemaVersion":1,"windowStart":"2026-11-27T09:00:00Z","windowEnd":"2026-11-27T10:00:00Z","pass":2}');
    assert.equal(jobKey(job), "20261127T0900Z_20261127T1000Z_p2");
  });
  const bad: [string, unknown, RegExp][] = [
    ["not JSON", "{oops", /not JSON/],
    ["a wrong schema version", { schemaVersion: 2, windowStart: "2026-11-27T09:00:00Z", windowEnd: "2026-11-27T10:00:00Z", pass: 0 }, /schemaVersion must be 1/],
    ["a local time", { schemaVersion: 1, windowStart: "2026-11-27T09:00:00", windowEnd: "2026-11-27T10:00:00Z", pass: 0 }, /windowStart must be an ISO 8601 UTC instant/],
    ["a reversed window", { schemaVersion: 1, windowStart: "2026-11-27T10:00:00Z", windowEnd: "2026-11-27T09:00:00Z", pass: 0 }, /windowEnd must be after windowStart/],
    ["a negative pass", { schemaVersion: 1, windowStart: "2026-11-27T09:00:00Z", windowEnd: "2026-11-27T10:00:00Z", pass: -1 }, /pass must be a whole number/],
    // It would get the 09:00–10:00 window's blob names, and the real job would find itself "already done".
    ["an instant with milliseconds", { schemaVersion: 1, windowStart: "2026-11-27T09:00:00.900Z", windowEnd: "2026-11-27T10:00:00Z", pass: 0 }, /windowStart must be an ISO 8601 UTC instant in whole seconds/],
    ["a window of ten thousand years", { schemaVersion: 1, windowStart: "0000-01-01T00:00:00Z", windowEnd: "9999-12-31T00:00:00Z", pass: 0 }, /does not divide a day/],
    ["a 17-minute window", { schemaVersion: 1, windowStart: "2026-11-27T09:00:00Z", windowEnd: "2026-11-27T09:17:00Z", pass: 0 }, /lasts 1020 s, which does not divide a day/],
    ["an hour that starts at a quarter past", { schemaVersion: 1, windowStart: "2026-11-27T09:15:00Z", windowEnd: "2026-11-27T10:15:00Z", pass: 0 }, /windowStart 2026-11-27T09:15:00Z is not aligned to the window's length \(3600 s\)/],
  ];
  const good: [string, string, string][] = [
    ["a day", "2026-11-27T00:00:00Z", "2026-11-28T00:00:00Z"],
    ["an hour's smallest split half (225 s)", "2026-11-27T09:03:45Z", "2026-11-27T09:07:30Z"],
    ["a 15-minute window", "2026-11-27T09:45:00Z", "2026-11-27T10:00:00Z"],
  ];
  for (const [name, windowStart, windowEnd] of good) {
    it(`accept ${name}`, () => {
      assert.equal(parseJobMessage({ schemaVersion: 1, windowStart, windowEnd, pass: 0 }).window.endInMs, Date.parse(windowEnd));
    });
  }
  for (const [name, body, message] of bad) {
    it(`are rejected, naming the problem, for ${name}`, () => {
      assert.throws(() => parseJobMessage(body), (e: unknown) => e instanceof InvalidJobError && message.test(e.message));
    });
  }
});

describe("splitting a window that one harvest cannot finish", () => {
  it("halves an hour exactly four times, down to 225 s, each half a window the job parser accepts", () => {
    let window = { startInMs: Date.parse("2026-11-27T09:00:00Z"), endInMs: Date.parse("2026-11-27T10:00:00Z") };
    const lengths: number[] = [];
    while (isSplittable(window)) {
      const [first, second] = splitWindow(window);
      for (const half of [first, second]) assert.equal(windowShapeProblem(half), undefined);
      window = second;
      lengths.push((window.endInMs - window.startInMs) / 1000);
    }
    assert.deepEqual(lengths, [1800, 900, 450, 225]);
  });

  it("refuses a job whose window Graph no longer holds, or that has not begun", () => {
    const now = Date.parse("2026-11-30T12:00:00Z");
    assert.match(windowReadableProblem({ startInMs: now - 31 * 86_400_000, endInMs: now - 31 * 86_400_000 + 3_600_000 }, now) ?? "", /past Graph's 30-day horizon/);
    assert.match(windowReadableProblem({ startInMs: now, endInMs: now + 3_600_000 }, now) ?? "", /is in the future/);
    assert.equal(windowReadableProblem({ startInMs: now - 3 * 3_600_000, endInMs: now - 2 * 3_600_000 }, now), undefined);
  });
});
