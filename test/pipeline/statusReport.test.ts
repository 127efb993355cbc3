import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Job, jobKey } from "../../shared/core/job.js";
import { dayInMs, hourInMs } from "../../shared/core/window.js";
import type { ArchivedManifest } from "../../shared/pipeline/plan/coverage.js";
import { statusReport } from "../../shared/pipeline/operate/statusReport.js";
import { dueJobs } from "../support/dueJobs.js";
import { hourlyPlan } from "../support/planSettings.js";

const plan = hourlyPlan(48);
const sweep = { graceInMs: 6 * hourInMs, maxResendsPerTick: 96 };
const now = Date.parse("2026-11-27T12:20:00Z");
const watermark = Date.parse("2026-11-27T11:00:00Z");

const healthy = (): ArchivedManifest[] =>
  dueJobs(plan, now, watermark, 0).map((job) => ({ job, status: "complete", records: job.pass === 0 ? 10 : 1, bytes: 100 }));

const report = (manifests: ArchivedManifest[], riskDays = 7) =>
  statusReport({ manifests, nowInMs: now, watermarkInMs: watermark, plan, sweep, riskMarginInMs: riskDays * dayInMs, deadLetters: { count: 2, oldestInMs: now - hourInMs } });

describe("the status report", () => {
  it("a healthy archive: every day complete, nothing at risk, exit status 0", () => {
    const r = report(healthy());
    assert.equal(r.exitStatus, 0);
    assert.match(r.headline, /^every due \(window, pass\) is archived\nwatermark 2026-11-27T11:00:00Z, 1.3 hours behind now\n2 dead letters, oldest 2026-11-27T11:20:00Z$/);
    const today = r.days.find((d) => d.day === "2026-11-26");
    assert.deepEqual(today?.pass0, { archived: 24, due: 24 });
    assert.equal(today?.missing, 0);
    assert.equal(r.windows.length, r.days.reduce((n, d) => n + d.pass0.due, 0), "one cell per window");
  });

  it("a missing pass overdue: exit status 1, and the oldest incomplete window with its margin in plain words", () => {
    const manifests = healthy();
    const lost: Job = { window: { startInMs: Date.parse("2026-11-20T14:00:00Z"), endInMs: Date.parse("2026-11-20T15:00:00Z") }, pass: 2 };
    const r = report(manifests.filter((m) => jobKey(m.job) !== jobKey(lost)));
    assert.equal(r.exitStatus, 1);
    assert.match(r.headline, /^oldest incomplete window 2026-11-20 14:00, 23.1 days before Graph forgets it; 1 window with 1 pass overdue, 0 of them at risk \(within 7 days\)/);
    // With a watermark, the deployment's sweep fills gaps: no npm start advice.
    assert.deepEqual(r.fill, []);
    assert.deepEqual(r.missing.map((m) => [m.job, m.daysBeforeHorizon]), [[jobKey(lost), 23.1]]);
    // Overdue, but weeks from Graph's horizon: not "at risk", and its cell says which.
    assert.deepEqual(r.atRisk, []);
    assert.deepEqual([...new Set(r.windows.map((w) => w.state))].sort(), ["archived", "overdue"]);
    assert.equal(r.windows.find((w) => w.windowStart === "2026-11-20T14:00:00Z")?.state, "overdue");
    assert.equal(r.days.find((d) => d.day === "2026-11-20")?.missing, 1);
  });

  it("an archive a local run wrote (no watermark) over two spans: the gap between, in windows and passes, and the npm start that fills it", () => {
    // Two local runs: 2026-11-02 00:00–06:00 and 2026-11-02 10:00–12:00, hourly windows. At 14:00
    // the first run's windows have had their 6-hour re-read (pass 1) too, the second's not yet.
    const at = Date.parse("2026-11-02T14:00:00Z");
    const passes: [number, number][] = [0, 1, 2, 3, 4, 5].flatMap((h): [number, number][] => [[h, 0], [h, 1]]).concat([[10, 0], [11, 0]]);
    const manifests: ArchivedManifest[] = passes.map(([h, pass]) => ({
      job: { window: { startInMs: Date.parse("2026-11-02T00:00:00Z") + h * hourInMs, endInMs: Date.parse("2026-11-02T01:00:00Z") + h * hourInMs }, pass },
      status: "complete",
      records: 1,
      bytes: 1,
    }));
    // The gap, 06:00–10:00: four windows, each missing its pass 0 (a re-read is not expected before it).
    const r = statusReport({ manifests, nowInMs: at, watermarkInMs: undefined, plan, sweep: { graceInMs: 0, maxResendsPerTick: 96 }, riskMarginInMs: 7 * dayInMs, deadLetters: undefined });
    assert.deepEqual(r.fill, [{ from: "2026-11-02T06:00:00Z", to: "2026-11-02T10:00:00Z", windows: 4 }]);
    assert.match(r.headline, /; 4 windows with 4 passes overdue, 0 of them at risk \(within 7 days\)\nto fill 4 windows: npm start -- --from 2026-11-02T06:00:00Z --to 2026-11-02T10:00:00Z\n/);
  });

  it("a missing window close to Graph's horizon: exit status 3", () => {
    const manifests = healthy();
    const first = manifests[0] as ArchivedManifest;
    const r = report(manifests.filter((m) => m !== first), 7);
    assert.equal(r.exitStatus, 3);
    assert.ok((r.oldestIncomplete?.daysBeforeHorizon ?? 99) < 7);
    assert.deepEqual(r.atRisk.map((m) => m.job), [jobKey(first.job)]);
    assert.equal(r.windows.find((w) => w.windowStart === r.atRisk[0]?.windowStart)?.state, "atRisk");
    // With a 0-day margin the same archive is overdue, not at risk: exit status 1.
    const relaxed = report(manifests.filter((m) => m !== first), 0);
    assert.deepEqual([relaxed.exitStatus, relaxed.atRisk.length, relaxed.missing.length], [1, 0, 1]);
  });

  it("sums records and bytes per day from the manifests' metadata, older days included", () => {
    const old: ArchivedManifest = { job: { window: { startInMs: Date.parse("2026-09-01T00:00:00Z"), endInMs: Date.parse("2026-09-01T01:00:00Z") }, pass: 0 }, status: "complete", records: 42, bytes: 4200 };
    const r = report([...healthy(), old]);
    assert.deepEqual(r.days[0], { day: "2026-09-01", pass0: { archived: 0, due: 0 }, rereads: { done: 0, due: 0 }, records: 42, incomplete: 0, bytes: 4200, splits: 0, missing: 0 });
    assert.equal(r.exitStatus, 0);
  });

  it("counts per day the records still incomplete after each window's latest pass, not each pass's", () => {
    const hour = (h: number, pass: number, incomplete: number | undefined): ArchivedManifest => ({
      job: { window: { startInMs: Date.parse(`2026-09-01T0${h}:00:00Z`), endInMs: Date.parse(`2026-09-01T0${h + 1}:00:00Z`) }, pass },
      status: "complete",
      records: 10,
      bytes: 100,
      incomplete,
    });
    // 01:00: 3 incomplete at pass 0, 1 still at pass 1; 02:00: 2 at pass 0, none at pass 1; 03:00: 4, no later pass yet.
    const r = report([...healthy(), hour(1, 0, 3), hour(1, 1, 1), hour(2, 0, 2), hour(2, 1, undefined), hour(3, 0, 4)]);
    assert.equal(r.days[0]?.day, "2026-09-01");
    assert.equal(r.days[0]?.incomplete, 1 + 0 + 4);
  });
});
