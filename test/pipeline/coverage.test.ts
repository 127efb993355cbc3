import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dueJobs } from "../support/dueJobs.js";
import { hourlyPlan } from "../support/planSettings.js";
import fc from "fast-check";
import { type Job, jobKey } from "../../shared/core/job.js";
import { dayInMs, hourInMs, minuteInMs, splitWindow } from "../../shared/core/window.js";
import { type ArchivedManifest, coverageGaps } from "../../shared/pipeline/plan/coverage.js";
import { type PlanSettings } from "../../shared/pipeline/plan/planning.js";

const plan: PlanSettings = hourlyPlan(48);
const base = Date.parse("2026-11-27T12:00:00Z");

/** Every (window, pass) a healthy archiver has written by `now`: what the sweep should expect. */
const perfectArchive = (nowInMs: number, graceInMs: number): Job[] => dueJobs(plan, nowInMs, watermark(nowInMs), graceInMs);

const complete = (jobs: readonly Job[]): ArchivedManifest[] => jobs.map((job) => ({ job, status: "complete" }));
const watermark = (nowInMs: number) => Math.floor((nowInMs - plan.settleInMs) / hourInMs) * hourInMs;

describe("coverageGaps, against expectations typed by hand (no helper of the code's)", () => {
  // Hourly windows, settled after 1 hour, re-read 6 hours, 1, 3, 7 and 20 days after their end; a
  // pass is overdue 6 hours after it falls due.
  const sweep = { graceInMs: 6 * hourInMs, maxResendsPerTick: 5 };
  const now = Date.parse("2026-11-27T12:00:00Z");
  const at = (iso: string, pass: number): Job => ({ window: { startInMs: Date.parse(iso), endInMs: Date.parse(iso) + hourInMs }, pass });

  it("an empty archive: pass 0 of every window from Graph's first whole hour (2026-10-28 12:00) to the last overdue one (2026-11-27 04:00, due 06:00, overdue 12:00): 713", () => {
    const report = coverageGaps({ manifests: [], nowInMs: now, plannedUntilInMs: Date.parse("2026-11-27T11:00:00Z"), plan, sweep });
    // 2026-10-28 12:00 to 2026-11-27 04:00 is 29 days and 16 hours: 712 hours, so 713 window starts.
    assert.equal(report.missing.length, 713);
    assert.deepEqual([report.missing[0], report.missing.at(-1)].map((j) => j && jobKey(j)), ["20261028T1200Z_20261028T1300Z_p0", "20261127T0400Z_20261127T0500Z_p0"]);
    assert.ok(report.missing.every((j) => j.pass === 0));
    assert.deepEqual(report.resend.map((r) => jobKey(r.job)), ["20261028T1200Z_20261028T1300Z_p0", "20261028T1300Z_20261028T1400Z_p0", "20261028T1400Z_20261028T1500Z_p0", "20261028T1500Z_20261028T1600Z_p0", "20261028T1600Z_20261028T1700Z_p0"]);
    assert.equal(report.oldestMissingMarginInMs, Date.parse("2026-11-27T12:00:00Z") - now);
  });

  it("one window, 2026-11-20 14:00: with passes 0 and 1 archived, pass 2 (due 11-21 15:00) is missing and pass 3 waits for it", () => {
    const window = { fromInMs: Date.parse("2026-11-20T14:00:00Z"), plannedUntilInMs: Date.parse("2026-11-20T15:00:00Z") };
    const report = coverageGaps({ manifests: complete([at("2026-11-20T14:00:00Z", 0), at("2026-11-20T14:00:00Z", 1)]), nowInMs: now, ...window, plan, sweep });
    assert.deepEqual(report.missing.map(jobKey), ["20261120T1400Z_20261120T1500Z_p2"]);
  });

  it("the same window with passes 0 to 3: nothing missing, as pass 4 (7 days: due 11-27 15:00) is not due", () => {
    const window = { fromInMs: Date.parse("2026-11-20T14:00:00Z"), plannedUntilInMs: Date.parse("2026-11-20T15:00:00Z") };
    const manifests = complete([0, 1, 2, 3].map((pass) => at("2026-11-20T14:00:00Z", pass)));
    assert.deepEqual(coverageGaps({ manifests, nowInMs: now, ...window, plan, sweep }).missing, []);
    // At 21:00 it is (due 15:00, overdue 21:00).
    assert.deepEqual(coverageGaps({ manifests, nowInMs: Date.parse("2026-11-27T21:00:00Z"), ...window, plan, sweep }).missing.map(jobKey), ["20261120T1400Z_20261120T1500Z_p4"]);
  });
});

describe("coverageGaps", () => {
  const arbitraryNow = fc.integer({ min: 0, max: 40 * 24 }).map((h) => base + h * hourInMs + 7 * minuteInMs);
  const arbitraryGrace = fc.integer({ min: 0, max: 12 }).map((h) => h * hourInMs);

  it("finds nothing missing in an archive that has every due (window, pass)", () => {
    fc.assert(
      fc.property(arbitraryNow, arbitraryGrace, (now, grace) => {
        const report = coverageGaps({ manifests: complete(perfectArchive(now, grace)), nowInMs: now, plannedUntilInMs: watermark(now), plan, sweep: { graceInMs: grace, maxResendsPerTick: 50 } });
        assert.deepEqual(report.missing, []);
        assert.ok(report.checked > 0);
      }),
      { numRuns: 40 },
    );
  });

  it("finds, for each window, the first removed pass (the ones after it wait for it), and re-sends the oldest first, bounded", () => {
    fc.assert(
      fc.property(arbitraryNow, arbitraryGrace, fc.array(fc.nat(), { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 10 }), (now, grace, picks, max) => {
        const all = perfectArchive(now, grace);
        const removed = new Set(picks.map((p) => jobKey(all[p % all.length] as Job)));
        const kept = all.filter((j) => !removed.has(jobKey(j)));
        const report = coverageGaps({ manifests: complete(kept), nowInMs: now, plannedUntilInMs: watermark(now), plan, sweep: { graceInMs: grace, maxResendsPerTick: max } });
        const firstRemoved = new Map<number, Job>();
        for (const j of all) {
          const current = firstRemoved.get(j.window.startInMs);
          if (removed.has(jobKey(j)) && (!current || j.pass < current.pass)) firstRemoved.set(j.window.startInMs, j);
        }
        const expected = [...firstRemoved.values()];
        assert.deepEqual(report.missing.map(jobKey).sort(), expected.map(jobKey).sort());
        assert.ok(report.resend.length <= max);
        assert.deepEqual(report.resend.map((r) => jobKey(r.job)), report.missing.slice(0, max).map(jobKey));
        const starts = report.missing.map((j) => j.window.startInMs);
        assert.deepEqual(starts, [...starts].sort((a, b) => a - b));
      }),
      { numRuns: 60 },
    );
  });

  it("re-sends with one fresh tag per grace period, so repeats within it collapse", () => {
    const now = base + 3 * dayInMs;
    const grace = 6 * hourInMs;
    const all = perfectArchive(now, grace);
    const manifests = complete(all.filter((j) => !(j.pass === 0 && j.window.startInMs === now - 2 * dayInMs)));
    const tagAt = (t: number) => coverageGaps({ manifests, nowInMs: t, plannedUntilInMs: watermark(now), plan, sweep: { graceInMs: grace, maxResendsPerTick: 5 } }).resend[0]?.resendTag;
    assert.equal(tagAt(now), tagAt(now + 15 * minuteInMs));
    assert.notEqual(tagAt(now), tagAt(now + grace));
  });

  it("looks into split windows: a missing half is missing", () => {
    const now = base + 2 * dayInMs;
    const all = perfectArchive(now, 0);
    const target = all.find((j) => j.pass === 1) as Job;
    const [first, second] = splitWindow(target.window);
    const manifests: ArchivedManifest[] = [
      ...complete(all.filter((j) => jobKey(j) !== jobKey(target))),
      { job: target, status: "split" },
      { job: { window: first, pass: 1 }, status: "complete" },
    ];
    const report = coverageGaps({ manifests, nowInMs: now, plannedUntilInMs: watermark(now), plan, sweep: { graceInMs: 0, maxResendsPerTick: 5 } });
    assert.deepEqual(report.missing.map(jobKey), [jobKey({ window: second, pass: 1 })]);
  });

  it("reports the oldest missing window and the time left before Graph forgets it", () => {
    const now = base + 35 * dayInMs;
    const all = perfectArchive(now, 0);
    const oldest = all.find((j) => j.pass === 0) as Job;
    const report = coverageGaps({ manifests: complete(all.filter((j) => jobKey(j) !== jobKey(oldest))), nowInMs: now, plannedUntilInMs: watermark(now), plan, sweep: { graceInMs: 0, maxResendsPerTick: 5 } });
    assert.equal(report.oldestMissingStartInMs, oldest.window.startInMs);
    assert.equal(report.oldestMissingMarginInMs, oldest.window.startInMs + 30 * dayInMs - now);
  });
});
