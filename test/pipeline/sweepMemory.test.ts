import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { hourlyPlan } from "../support/planSettings.js";
import { type Job, jobKey } from "../../shared/core/job.js";
import { dayInMs, floorTo, hourInMs, minuteInMs } from "../../shared/core/window.js";
import { type ArchivedManifest, type SweepSettings, coverageGaps, resendTagAt } from "../../shared/pipeline/plan/coverage.js";
import { type PlanSettings } from "../../shared/pipeline/plan/planning.js";
import { type SweepMemory, decideSweep, rememberSweep, sweepListing, sweptDays } from "../../shared/pipeline/plan/sweepMemory.js";
import { serializeSweepMemory as serialized } from "../../shared/pipeline/plan/sweepMemoryStore.js";
import { parseSweepMemory, serializeSweepMemory } from "../../shared/pipeline/plan/sweepMemoryStore.js";
import { passDueAt, retentionStart } from "../../shared/core/passes.js";

const plan: PlanSettings = hourlyPlan(48);
const sweep: SweepSettings = { graceInMs: 2 * hourInMs, maxResendsPerTick: 1000 };
const tickInMs = 15 * minuteInMs;
const start = Date.parse("2026-11-27T00:07:00Z");
const watermark = (nowInMs: number) => floorTo(nowInMs - plan.settleInMs, hourInMs);

/** Every (window, pass) that could be due in the simulated span, with when it falls due. */
function allJobs(untilInMs: number): { job: Job; due: number }[] {
  const jobs: { job: Job; due: number }[] = [];
  for (let s = retentionStart(start, hourInMs); s < untilInMs; s += hourInMs) {
    const window = { startInMs: s, endInMs: s + hourInMs };
    for (let pass = 0; pass <= plan.rereadOffsetsInMs.length; pass += 1) jobs.push({ job: { window, pass }, due: passDueAt(window, pass, plan) });
  }
  return jobs;
}

interface TickOutcome {
  readonly missing: string[];
  readonly resent: string[];
  readonly listed: number;
}

/**
 * Runs the sweep's pure moves tick by tick over an archive whose jobs are archived when due, but
 * for `late` (job index → hours after due; Infinity: never): with the memory, and, as the oracle,
 * without (every day listed every tick).
 */
function simulate(ticks: number, late: ReadonlyMap<number, number>, stall: readonly [number, number] = [0, 0]): { withMemory: TickOutcome[]; without: TickOutcome[] } {
  const jobs = allJobs(start + ticks * tickInMs + dayInMs);
  const archivedAt = jobs.map(({ due }, i) => due + (late.has(i) ? (late.get(i) as number) * hourInMs : 0));
  let memory: SweepMemory | undefined;
  const withMemory: TickOutcome[] = [];
  const without: TickOutcome[] = [];
  for (let t = 0; t < ticks; t += 1) {
    const nowInMs = start + t * tickInMs;
    // Planning stalled from tick stall[0] to stall[1] (the watermark stays put), then catches up.
    const plannedUntilInMs = t >= stall[0] && t < stall[1] ? watermark(start + stall[0] * tickInMs) : watermark(nowInMs);
    const at = { nowInMs, plannedUntilInMs, plan, sweep };
    const archived = (days: ReadonlySet<number> | undefined): ArchivedManifest[] =>
      jobs
        .filter(({ job }, i) => (archivedAt[i] as number) <= nowInMs && job.window.endInMs <= at.plannedUntilInMs && (!days || days.has(floorTo(job.window.startInMs, dayInMs))))
        .map(({ job }) => ({ job, status: "complete" }));

    const full = coverageGaps({ manifests: archived(undefined), nowInMs, plannedUntilInMs: at.plannedUntilInMs, plan, sweep });
    without.push({ missing: full.missing.map(jobKey), resent: full.resend.map((r) => jobKey(r.job)), listed: sweptDays(at).length });

    const listing = sweepListing(memory, at);
    const { report, next } = decideSweep(memory, at, listing, archived(new Set(listing.days)));
    // Through its file, as the blob store keeps it.
    memory = parseSweepMemory(serializeSweepMemory(next));
    withMemory.push({ missing: report.missing.map(jobKey), resent: report.resend.map((r) => jobKey(r.job)), listed: listing.days.length });
  }
  return { withMemory, without };
}

describe("the sweep's memory", () => {
  it("finds exactly what a sweep listing every day finds, tick by tick, whatever is archived late or never and while planning stalls", () => {
    const jobCount = allJobs(start + 2 * dayInMs + dayInMs).length;
    const lateJobs = fc.array(fc.tuple(fc.integer({ min: 0, max: jobCount - 1 }), fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constant(Number.POSITIVE_INFINITY))), { maxLength: 25 });
    const stall = fc.tuple(fc.integer({ min: 0, max: 150 }), fc.integer({ min: 0, max: 40 })).map(([from, length]) => [from, from + length] as const);
    fc.assert(
      fc.property(lateJobs, stall, (late, stalled) => {
        const { withMemory, without } = simulate(2 * 96, new Map(late), stalled);
        withMemory.forEach((tick, t) => assert.deepEqual(tick.missing, without[t]?.missing, `tick ${t}`));
      }),
      { numRuns: 4 },
    );
  });

  it("checks a window planned late, once planning catches up, though its day was listed while it was unplanned", () => {
    const jobs = allJobs(start + 3 * dayInMs);
    // Planning stalls from 02:07 to 08:07 (the watermark stays at 01:00); the 02:00 window's
    // pass 0, overdue at 06:00 while unplanned, is never archived.
    const lost = jobs.findIndex(({ job }) => job.pass === 0 && job.window.startInMs === floorTo(start, dayInMs) + 2 * hourInMs);
    const { withMemory, without } = simulate(40, new Map([[lost, Number.POSITIVE_INFINITY]]), [8, 32]);
    const key = jobKey((jobs[lost] as { job: Job }).job);
    assert.ok(without[32]?.missing.includes(key), "the oracle sees it missing at the catch-up");
    withMemory.forEach((tick, t) => assert.deepEqual(tick.missing, without[t]?.missing, `tick ${t}`));
  });

  it("re-sends a missing job once per resend period, not once per tick, and again in the next period", () => {
    const jobs = allJobs(start + 3 * dayInMs);
    // A pass-0 job due early on the first simulated day, never archived.
    const lost = jobs.findIndex(({ job, due }) => job.pass === 0 && due > start + hourInMs);
    const { withMemory } = simulate(96, new Map([[lost, Number.POSITIVE_INFINITY]]));
    const key = jobKey((jobs[lost] as { job: Job }).job);
    const sends = withMemory.flatMap((tick, t) => (tick.resent.includes(key) ? [start + t * tickInMs] : []));
    const periods = sends.map((at) => resendTagAt(at, plan, sweep));
    assert.ok(sends.length >= 2, `re-sent ${sends.length} times`);
    assert.equal(new Set(periods).size, periods.length, "two re-sends in one period");
    const missingTicks = withMemory.filter((tick) => tick.missing.includes(key)).map((_, i) => i);
    assert.ok(missingTicks.length > sends.length, "reported missing on every tick, re-sent on fewer");
  });

  it("lists every day once a day, and otherwise only the days where something fell overdue since", () => {
    const { withMemory, without } = simulate(2 * 96, new Map());
    const listed = withMemory.reduce((n, tick) => n + tick.listed, 0);
    const listedWithout = without.reduce((n, tick) => n + tick.listed, 0);
    const fullTicks = withMemory.filter((tick, t) => tick.listed === without[t]?.listed).length;
    assert.equal(withMemory[0]?.listed, without[0]?.listed, "the first sweep has no memory: every day");
    assert.ok(fullTicks >= 2 && fullTicks <= 4, `${fullTicks} full listings in two days`);
    // Hourly windows, six passes: a handful of days a tick at most, against 31.
    // (and two days the memory calls covered, spot-checked in turn).
    assert.ok(withMemory.slice(1).every((tick) => tick.listed <= 6 + 2 || tick.listed === without[0]?.listed));
    assert.ok(listed * 5 < listedWithout, `${listed} listings with the memory, ${listedWithout} without`);
  });

  it("keeps a day listed while a job in it is missing, and a lost or unreadable memory lists every day", () => {
    const at = { nowInMs: start, plannedUntilInMs: watermark(start), plan, sweep };
    assert.equal(sweepListing(undefined, at).full, true);
    assert.equal(parseSweepMemory("{not json"), undefined);
    assert.equal(parseSweepMemory(JSON.stringify({ schemaVersion: 1, listedAllAt: "yesterday", coveredThrough: {} })), undefined);
    const missing: Job = { window: { startInMs: start - 2 * dayInMs - 7 * minuteInMs, endInMs: start - 2 * dayInMs + 53 * minuteInMs }, pass: 0 };
    const memory = rememberSweep(undefined, at, sweepListing(undefined, at), { missing: [missing], resent: [missing], resendTag: resendTagAt(start, plan, sweep) });
    const later = { ...at, nowInMs: start + 4 * hourInMs, plannedUntilInMs: watermark(start + 4 * hourInMs) };
    assert.ok(sweepListing(memory, later).days.includes(floorTo(missing.window.startInMs, dayInMs)));
    const dayLater = { ...at, nowInMs: start + dayInMs, plannedUntilInMs: watermark(start + dayInMs) };
    assert.equal(sweepListing(memory, dayLater).full, true);
  });

  describe("checked before it is trusted (a tampered or wrong state/scheduler/sweep.json)", () => {
    const at = (nowInMs: number) => ({ nowInMs, plannedUntilInMs: watermark(nowInMs), plan, sweep });
    const everyDayCovered = (nowInMs: number, through: number, listedAll: number): SweepMemory => ({
      listedAllAtInMs: listedAll,
      coveredThroughInMs: new Map(sweptDays(at(nowInMs)).map((day) => [day, through])),
      resent: undefined,
    });

    it("a memory that claims a future (covered through 9999-12-31, listed a minute ago) lists every day at once", () => {
      const tampered = everyDayCovered(start, Date.parse("9999-12-31T00:00:00Z"), start - minuteInMs);
      assert.equal(sweepListing(tampered, at(start)).full, true);
      // And through the file, as the store reads it back.
      assert.equal(sweepListing(parseSweepMemory(serialized(tampered)), at(start)).full, true);
    });

    it("a believable false memory (every day covered through a minute ago) over an empty archive is caught by the first tick's spot check, and the next tick lists every day", () => {
      const tampered = everyDayCovered(start, start - minuteInMs, start - minuteInMs);
      const listing = sweepListing(tampered, at(start));
      assert.equal(listing.full, false);
      assert.equal(listing.spotChecked.length, 2);
      const first = decideSweep(tampered, at(start), listing, []);
      assert.equal(first.falseMemory, true);
      assert.ok(first.report.missing.length > 0, "the spot-checked days' missing jobs are found (and re-sent) at once");
      const next = start + tickInMs;
      assert.equal(sweepListing(parseSweepMemory(serialized(first.next)), at(next)).full, true);
    });

    it("a false memory about one day only is caught within 16 ticks (31 days, 2 a tick), not the day a full listing waits", () => {
      // The archive holds everything due except one day, 10 days back; the memory says that day is covered too.
      const hole = floorTo(start - 10 * dayInMs, dayInMs);
      const jobs = allJobs(start + dayInMs).filter(({ job, due }) => due <= start && floorTo(job.window.startInMs, dayInMs) !== hole);
      let memory: SweepMemory | undefined = everyDayCovered(start, start - minuteInMs, start - minuteInMs);
      let caughtAt: number | undefined;
      for (let t = 0; t < 96 && caughtAt === undefined; t += 1) {
        const now = start + t * tickInMs;
        const listing = sweepListing(memory, at(now));
        assert.equal(listing.full, false, `tick ${t} listed every day before the spot check caught the hole`);
        const listed = new Set(listing.days);
        const manifests: ArchivedManifest[] = jobs.filter(({ job, due }) => due <= now && listed.has(floorTo(job.window.startInMs, dayInMs))).map(({ job }) => ({ job, status: "complete" }));
        const decided = decideSweep(memory, at(now), listing, manifests);
        if (decided.falseMemory) caughtAt = t;
        memory = parseSweepMemory(serialized(decided.next));
      }
      assert.ok(caughtAt !== undefined && caughtAt < 16, `caught at tick ${caughtAt}`);
    });
  });
});
