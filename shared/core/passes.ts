/**
 * Graph's horizon and the passes over a window: when each falls due, which is the last, and which
 * windows Graph still holds. Pure, and the one place these rules live: planning, the harvest, the
 * job retry policy, the coverage sweep, the day marker, the status report and the tests call it.
 *
 * Call records' horizon is Graph's 30 days; a telephony log's is its own setting (core/sources.ts),
 * carried by its schedule as `horizonInMs`.
 */
import { type TimeWindow, ceilTo, dayInMs, formatInstant } from "./window.js";

/** How long Graph keeps a call record after the call started. */
export const graphRetentionInMs = 30 * dayInMs;

/** What decides when a window's passes fall due (the plan settings hold it). */
export interface PassSchedule {
  /** Pass 0 falls due this long after the window's end. */
  readonly settleInMs: number;
  /** Offsets after a window's end for passes 1, 2, …; strictly increasing. */
  readonly rereadOffsetsInMs: readonly number[];
  /** How long Graph keeps what the source holds; absent: call records' 30 days. */
  readonly horizonInMs?: number;
}

/** How long Graph keeps a schedule's source. */
export const horizonOf = (schedule?: { readonly horizonInMs?: number }): number => schedule?.horizonInMs ?? graphRetentionInMs;

/** The instant after which Graph no longer holds a window's earliest records. */
export const windowHorizon = (window: TimeWindow, schedule?: { readonly horizonInMs?: number }): number => window.startInMs + horizonOf(schedule);

/** A re-read must be able to start, and retry, this long before the window's horizon. */
export const horizonMarginInMs = 2 * 3_600_000;

/** The first window whose every record Graph still holds. */
export const retentionStart = (nowInMs: number, windowInMs: number, horizonInMs = graphRetentionInMs): number => ceilTo(nowInMs - horizonInMs, windowInMs);

/**
 * What makes a job's window unreadable now, if anything: it ended before Graph's 30 days (Graph
 * has forgotten its calls: an empty answer would be archived as "checked, nothing there"), or it
 * has not started yet. Pure; the harvest refuses such a job before its first Graph request.
 */
export function windowReadableProblem(window: TimeWindow, nowInMs: number, horizonInMs = graphRetentionInMs): string | undefined {
  if (window.endInMs <= nowInMs - horizonInMs) {
    return `windowEnd ${formatInstant(window.endInMs)} is past Graph's ${horizonInMs / dayInMs}-day horizon (${formatInstant(nowInMs - horizonInMs)}): Graph no longer holds those calls`;
  }
  if (window.startInMs >= nowInMs) return `windowStart ${formatInstant(window.startInMs)} is in the future (now ${formatInstant(nowInMs)})`;
  return undefined;
}

/** When pass `pass` of a window falls due: the settle delay after its end, or its re-read offset. */
export function passDueAt(window: TimeWindow, pass: number, settings: PassSchedule): number {
  if (pass === 0) return window.endInMs + settings.settleInMs;
  return window.endInMs + (settings.rereadOffsetsInMs[pass - 1] ?? Number.POSITIVE_INFINITY);
}

/** The last pass a window gets: the last re-read that can start well before Graph forgets it. */
export function finalPass(window: TimeWindow, plan: PassSchedule): number {
  let last = 0;
  for (let pass = 1; pass <= plan.rereadOffsetsInMs.length; pass += 1) {
    if (passDueAt(window, pass, plan) < windowHorizon(window, plan) - horizonMarginInMs) last = pass;
  }
  return last;
}
