/**
 * The coverage sweep's decision: which (window, pass) should exist by now and does not. Pure, a
 * function of the archive's manifest names (and split status), the clock and the settings, in the
 * manner of a reconciler: desired state from the clock, actual state from the archive, the
 * difference re-sent. Run on every plan tick, it makes a dead letter or a lost message final only
 * once Graph has forgotten the window. A telephony log's plan carries its own horizon (logSweep.ts).
 */
import { type Job, jobKey } from "../../core/job.js";
import { type TimeWindow, compactInstant, dayInMs, floorTo, splitWindow } from "../../core/window.js";
import type { PlanSettings, PlannedJob } from "./planning.js";
import { horizonMarginInMs, horizonOf, passDueAt, retentionStart, windowHorizon } from "../../core/passes.js";

export interface ArchivedManifest {
  readonly job: Job;
  /** From the manifest's blob metadata; undefined when the store could not say. */
  readonly status: "complete" | "split" | undefined;
  /** Records and bytes archived, from the same metadata; undefined when unknown. */
  readonly records?: number | undefined;
  readonly bytes?: number | undefined;
  /** Of `records`, those archived incomplete (the metadata's `incomplete`; absent: none). */
  readonly incomplete?: number | undefined;
}

/**
 * Records still incomplete among these manifests: the incomplete count of each window's latest
 * pass, since every later pass reads an incomplete record again (its earlier count is superseded).
 */
export function stillIncomplete(manifests: readonly ArchivedManifest[]): number {
  const latest = new Map<string, ArchivedManifest>();
  for (const m of manifests) {
    const key = `${m.job.window.startInMs}-${m.job.window.endInMs}`;
    if ((latest.get(key)?.job.pass ?? -1) < m.job.pass) latest.set(key, m);
  }
  let count = 0;
  for (const m of latest.values()) count += m.incomplete ?? 0;
  return count;
}

export interface SweepSettings {
  /** A (window, pass) is overdue this long after it fell due. */
  readonly graceInMs: number;
  /** Most jobs one tick re-sends (oldest first). */
  readonly maxResendsPerTick: number;
}

export interface CoverageInput {
  readonly manifests: readonly ArchivedManifest[];
  readonly nowInMs: number;
  /** The watermark: every window before it has been planned. */
  readonly plannedUntilInMs: number;
  /** Where expectations start, if later than Graph's retention (a local span's archive). */
  readonly fromInMs?: number;
  readonly plan: PlanSettings;
  readonly sweep: SweepSettings;
  /**
   * From the sweep's memory (sweepMemory.ts): per day (its UTC start), an instant through which
   * every (window, pass) of that day overdue by then was archived when the day was last listed.
   * Those are not expected in `manifests` (the day was not listed again).
   */
  readonly knownCoveredThroughInMs?: (dayStartInMs: number) => number | undefined;
  /** Job keys already re-sent in this resend period (the same `resendTag`): not sent again. */
  readonly resentThisPeriod?: ReadonlySet<string>;
}

export interface CoverageReport {
  /** (window, pass) pairs that were due long enough to be checked. */
  readonly checked: number;
  /** Overdue jobs without a manifest, oldest window first; a split window's missing halves count. */
  readonly missing: readonly Job[];
  /** What this tick sends again: at most `maxResendsPerTick` of `missing`. */
  readonly resend: readonly PlannedJob[];
  readonly oldestMissingStartInMs: number | undefined;
  /** Time left before Graph forgets the oldest missing window's first records. */
  readonly oldestMissingMarginInMs: number | undefined;
}

/** Each archived manifest's split status, by job key. */
export const manifestStatus = (manifests: readonly ArchivedManifest[]): ReadonlyMap<string, ArchivedManifest["status"]> =>
  new Map(manifests.map((m) => [jobKey(m.job), m.status] as const));

/** The jobs, down to split halves, that a pass over this window still lacks. */
export function uncoveredJobs(status: ReadonlyMap<string, ArchivedManifest["status"]>, window: TimeWindow, pass: number, depth = 0): Job[] {
  const job = { window, pass };
  if (!status.has(jobKey(job))) return [job];
  if (status.get(jobKey(job)) !== "split" || depth > 20) return [];
  return splitWindow(window).flatMap((half) => uncoveredJobs(status, half, pass, depth + 1));
}

/** The instant a (window, pass) is expected archived by: when it fell due, plus the grace. */
export const overdueAt = (window: TimeWindow, pass: number, plan: PlanSettings, sweep: SweepSettings): number => passDueAt(window, pass, plan) + sweep.graceInMs;

/**
 * The tag of this resend period (at least a window long): a job missing for long is re-sent once
 * per period, not once per tick. The sweep's memory remembers what it sent in the period, so no
 * queue tier is relied on to drop repeats (Service Bus Basic has no duplicate detection).
 */
export const resendTagAt = (nowInMs: number, plan: PlanSettings, sweep: SweepSettings): string =>
  `s${compactInstant(floorTo(nowInMs, Math.max(sweep.graceInMs, plan.windowInMs)))}`;

export function coverageGaps(input: CoverageInput): CoverageReport {
  const { nowInMs, plan, sweep } = input;
  const status = manifestStatus(input.manifests);
  const knownThrough = input.knownCoveredThroughInMs ?? (() => undefined);
  const uncovered = (window: TimeWindow, pass: number) =>
    overdueAt(window, pass, plan, sweep) <= (knownThrough(floorTo(window.startInMs, dayInMs)) ?? Number.NEGATIVE_INFINITY) ? [] : uncoveredJobs(status, window, pass);

  const missing: Job[] = [];
  let checked = 0;
  const first = Math.max(retentionStart(nowInMs, plan.windowInMs, horizonOf(plan)), input.fromInMs ?? Number.NEGATIVE_INFINITY);
  for (let start = first; start + plan.windowInMs <= input.plannedUntilInMs; start += plan.windowInMs) {
    const window = { startInMs: start, endInMs: start + plan.windowInMs };
    for (let pass = 0; pass <= plan.rereadOffsetsInMs.length; pass += 1) {
      const due = passDueAt(window, pass, plan);
      if (overdueAt(window, pass, plan, sweep) > nowInMs || due >= windowHorizon(window, plan) - horizonMarginInMs) continue;
      // A re-read runs after the pass before it: while that one is missing, it is the one to send.
      if (pass > 0 && uncovered(window, pass - 1).length > 0) break;
      checked += 1;
      missing.push(...uncovered(window, pass));
    }
  }
  missing.sort((a, b) => a.window.startInMs - b.window.startInMs || a.pass - b.pass);
  const resendTag = resendTagAt(nowInMs, plan, sweep);
  const resent = input.resentThisPeriod ?? new Set<string>();
  const resend = missing
    .filter((job) => !resent.has(jobKey(job)))
    .slice(0, sweep.maxResendsPerTick)
    .map((job) => ({ job, notBeforeInMs: undefined, resendTag }));
  const oldest = missing[0];
  return {
    checked,
    missing,
    resend,
    oldestMissingStartInMs: oldest?.window.startInMs,
    oldestMissingMarginInMs: oldest ? windowHorizon(oldest.window, plan) - nowInMs : undefined,
  };
}
