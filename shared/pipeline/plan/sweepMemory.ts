/**
 * What the coverage sweep remembers between ticks, and which day partitions it lists because of
 * it. Pure. Listing every day of Graph's 30 on every tick was most of what the archiver costs at
 * rest (31 listings × 96 ticks a day); the archive is write-once, so a day found complete through
 * some instant stays complete through it, and only a day where a (window, pass) has fallen overdue
 * since it was last listed can show something new: about six a day's hours, not 31 each tick.
 * Every day is listed again once a day anyway, so a memory that went wrong heals within a day, and
 * a lost or unreadable memory only costs one full listing.
 */
import { type Job, jobKey } from "../../core/job.js";
import { dayInMs, dayStarts, floorTo } from "../../core/window.js";
import { type ArchivedManifest, type CoverageReport, type SweepSettings, coverageGaps, overdueAt, resendTagAt } from "./coverage.js";
import type { PlanSettings } from "./planning.js";
import { retentionStart } from "../../core/passes.js";

export interface SweepMemory {
  /** When every day of the retention was last listed. */
  readonly listedAllAtInMs: number;
  /**
   * Per day (its UTC start): every (window, pass) of that day overdue by this instant was archived
   * when the day was last listed.
   */
  readonly coveredThroughInMs: ReadonlyMap<number, number>;
  /** The jobs re-sent in the resend period `tag`, by job key. */
  readonly resent: { readonly tag: string; readonly jobs: ReadonlySet<string> } | undefined;
}

/** Every day is listed at least this often, whatever the memory says. */
export const fullListingEveryInMs = dayInMs;

export interface SweepClock {
  readonly nowInMs: number;
  /** The watermark: windows from here on are not planned yet. */
  readonly plannedUntilInMs: number;
  readonly plan: PlanSettings;
  readonly sweep: SweepSettings;
}

export interface SweepListing {
  /** The day partitions (UTC starts) to list, oldest first. */
  readonly days: readonly number[];
  /** True when these are all the days: the memory is absent, a day old, or not believable. */
  readonly full: boolean;
  /**
   * Days among `days` that the memory calls covered, listed anyway to check it: the memory is a
   * blob anyone with write access to the state container can change, so it is spot-checked, not
   * trusted. Their coverage is judged from their manifests alone.
   */
  readonly spotChecked: readonly number[];
}

/**
 * Days the memory calls covered that each tick lists anyway, in turn: every day of Graph's 31 is
 * checked within 16 ticks (4 hours at the default 15-minute schedule) instead of the daily full
 * listing's 24 hours, for 2 more listings a tick.
 */
export const spotChecksPerTick = 2;

/** Each day partition a sweep at `nowInMs` can expect something in: Graph's retention, up to the watermark. */
export const sweptDays = (at: SweepClock): number[] => dayStarts(retentionStart(at.nowInMs, at.plan.windowInMs), at.plannedUntilInMs);

/** The instants, in a day, at which its (window, pass) pairs fall overdue. */
function overdueInstants(day: number, at: SweepClock): number[] {
  const instants: number[] = [];
  for (let start = day; start < day + dayInMs; start += at.plan.windowInMs) {
    const window = { startInMs: start, endInMs: start + at.plan.windowInMs };
    for (let pass = 0; pass <= at.plan.rereadOffsetsInMs.length; pass += 1) instants.push(overdueAt(window, pass, at.plan, at.sweep));
  }
  return instants;
}

/**
 * Which days this tick lists: all of them once a day, or when the memory claims what cannot be
 * (a listing or a coverage after now); else those where something fell overdue since, and
 * `spotChecksPerTick` of the others in turn.
 */
export function sweepListing(memory: SweepMemory | undefined, at: SweepClock): SweepListing {
  const days = sweptDays(at);
  const impossible = memory !== undefined && (memory.listedAllAtInMs > at.nowInMs || [...memory.coveredThroughInMs.values()].some((t) => t > at.nowInMs));
  if (!memory || impossible || at.nowInMs - memory.listedAllAtInMs >= fullListingEveryInMs) return { days, full: true, spotChecked: [] };
  const changed = days.filter((day) => {
    const through = memory.coveredThroughInMs.get(day) ?? Number.NEGATIVE_INFINITY;
    return overdueInstants(day, at).some((t) => t > through && t <= at.nowInMs);
  });
  const trusted = days.filter((day) => !changed.includes(day));
  // In turn by the tick's quarter hour, so consecutive ticks check different days whatever the schedule's phase.
  const turn = Math.floor(at.nowInMs / (15 * 60_000));
  const spotChecked = trusted.length === 0 ? [] : [...new Set(Array.from({ length: Math.min(spotChecksPerTick, trusted.length) }, (_, i) => trusted[(turn * spotChecksPerTick + i) % trusted.length] as number))];
  return { days: [...changed, ...spotChecked].sort((a, b) => a - b), full: false, spotChecked };
}

/**
 * The memory after a sweep that listed `listing.days` and found `missing` (the coverage report's
 * missing jobs) and re-sent `resent` in the period `resendTag`. A listed day is covered up to now,
 * but not as far as its first missing job falls overdue (so it is listed again until that job is
 * archived), nor as far as its first window not planned yet could.
 */
export function rememberSweep(
  previous: SweepMemory | undefined,
  at: SweepClock,
  listing: SweepListing,
  found: { readonly missing: readonly Job[]; readonly resent: readonly Job[]; readonly resendTag: string },
): SweepMemory {
  const kept = new Set(sweptDays(at));
  const covered = new Map([...(previous?.coveredThroughInMs ?? new Map<number, number>())].filter(([day]) => kept.has(day)));
  // A window not planned yet falls overdue no earlier than its pass 0 after the watermark.
  const firstUnplanned = overdueAt({ startInMs: at.plannedUntilInMs, endInMs: at.plannedUntilInMs + at.plan.windowInMs }, 0, at.plan, at.sweep);
  for (const day of listing.days) {
    const missingHere = found.missing.filter((job) => floorTo(job.window.startInMs, dayInMs) === day).map((job) => overdueAt(job.window, job.pass, at.plan, at.sweep));
    covered.set(day, Math.min(at.nowInMs, firstUnplanned - 1, ...missingHere.map((t) => t - 1)));
  }
  const samePeriod = previous?.resent?.tag === found.resendTag ? previous.resent.jobs : new Set<string>();
  return {
    listedAllAtInMs: listing.full ? at.nowInMs : (previous?.listedAllAtInMs ?? at.nowInMs),
    coveredThroughInMs: covered,
    resent: { tag: found.resendTag, jobs: new Set([...samePeriod, ...found.resent.map(jobKey)]) },
  };
}

/**
 * One sweep's decision, given the manifests of the days `listing` named: what is missing and what
 * to re-send (coverage.ts, told what the memory already knows), and the memory to keep after it.
 */
export function decideSweep(
  memory: SweepMemory | undefined,
  at: SweepClock,
  listing: SweepListing,
  manifests: readonly ArchivedManifest[],
): { readonly report: CoverageReport; readonly next: SweepMemory; readonly falseMemory: boolean } {
  const resendTag = resendTagAt(at.nowInMs, at.plan, at.sweep);
  const report = coverageGaps({
    manifests,
    nowInMs: at.nowInMs,
    plannedUntilInMs: at.plannedUntilInMs,
    plan: at.plan,
    sweep: at.sweep,
    ...(memory && !listing.full ? { knownCoveredThroughInMs: (day: number) => (listing.spotChecked.includes(day) ? undefined : memory.coveredThroughInMs.get(day)) } : {}),
    ...(memory?.resent?.tag === resendTag ? { resentThisPeriod: memory.resent.jobs } : {}),
  });
  const remembered = rememberSweep(memory, at, listing, { missing: report.missing, resent: report.resend.map((r) => r.job), resendTag });
  // A spot-checked day missing something the memory said was covered: the memory is false, so the
  // next tick lists every day (what this tick found missing is already re-sent).
  const caught = memory !== undefined && report.missing.some((job) => {
    const day = floorTo(job.window.startInMs, dayInMs);
    return listing.spotChecked.includes(day) && overdueAt(job.window, job.pass, at.plan, at.sweep) <= (memory.coveredThroughInMs.get(day) ?? Number.NEGATIVE_INFINITY);
  });
  const next = caught ? { ...remembered, listedAllAtInMs: 0 } : remembered;
  return { report, next, falseMemory: caught };
}
