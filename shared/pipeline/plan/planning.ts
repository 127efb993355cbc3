/**
 * Window planning: pure decisions from a watermark and the time. Windows are half-open, aligned
 * to their length, contiguous from the watermark on; every window gets pass 0 after the settle
 * delay and re-read passes at fixed offsets after its end, all well inside Graph's 30 days.
 */
import type { Job } from "../../core/job.js";
import { type TimeWindow, ceilTo, dayInMs } from "../../core/window.js";
import { horizonMarginInMs, horizonOf, passDueAt, windowHorizon } from "../../core/passes.js";

export interface PlanSettings {
  readonly windowInMs: number;
  readonly settleInMs: number;
  /** Offsets after a window's end for passes 1, 2, …; strictly increasing. */
  readonly rereadOffsetsInMs: readonly number[];
  readonly maxWindowsPerTick: number;
  /** Added to the oldest instant Graph holds, so a first run does not race its deletions. */
  readonly safetyMarginInMs: number;
  /** How long Graph keeps the source; absent: call records' 30 days (a log's schedule sets its own). */
  readonly horizonInMs?: number;
}

/** Everything before `nextWindowStartInMs` has been planned. */
export interface Watermark {
  readonly nextWindowStartInMs: number;
}

export interface PlannedJob {
  readonly job: Job;
  /** When the job should run; undefined means now. */
  readonly notBeforeInMs: number | undefined;
  /** Set on a re-send after a failure (see jobRetryPolicy.ts). */
  readonly attempt?: number;
  /** Set on a re-send by the coverage sweep or a replay: makes the messageId fresh. */
  readonly resendTag?: string;
  /** On a re-send after a failure: the failure's reason (a local run ends passes waiting on a given-up one). */
  readonly retryAfterFailure?: string;
  /** On a re-send after a failure: the retry chain it continues (jobRecords.ts). */
  readonly chain?: string;
}

export interface Plan {
  readonly windows: readonly TimeWindow[];
  readonly jobs: readonly PlannedJob[];
  readonly next: Watermark;
}

/** Where a new deployment starts: the oldest instant Graph still holds, plus a margin. */
export function firstWatermark(nowInMs: number, settings: PlanSettings): Watermark {
  return { nextWindowStartInMs: ceilTo(nowInMs - horizonOf(settings) + settings.safetyMarginInMs, settings.windowInMs) };
}

export function planTick(watermark: Watermark | undefined, nowInMs: number, settings: PlanSettings): Plan {
  const from = watermark ?? firstWatermark(nowInMs, settings);
  const horizon = nowInMs - settings.settleInMs;
  const windows: TimeWindow[] = [];
  let start = from.nextWindowStartInMs;
  while (windows.length < settings.maxWindowsPerTick && start + settings.windowInMs <= horizon) {
    windows.push({ startInMs: start, endInMs: start + settings.windowInMs });
    start += settings.windowInMs;
  }
  const jobs = windows.flatMap((window) => jobsForWindow(window, nowInMs, settings));
  return { windows, jobs, next: { nextWindowStartInMs: start } };
}

/**
 * Pass 0 now; each re-read pass at its offset after the window's end. Every pass is planned, so
 * every (window, pass) exists in the end and the coverage sweep can expect it by name. A re-read
 * already due (a window planned late, in a catch-up) is staggered after pass 0, one settle delay
 * per pass: its harvest waits for the pass before it anyway, and re-reads only what changed. A
 * re-read that could not start well before Graph forgets the window is not planned.
 */
export function jobsForWindow(window: TimeWindow, nowInMs: number, settings: PlanSettings): PlannedJob[] {
  const jobs: PlannedJob[] = [{ job: { window, pass: 0 }, notBeforeInMs: undefined }];
  settings.rereadOffsetsInMs.forEach((_, i) => {
    const pass = i + 1;
    const notBeforeInMs = Math.max(passDueAt(window, pass, settings), nowInMs + pass * settings.settleInMs);
    if (notBeforeInMs < windowHorizon(window, settings) - horizonMarginInMs) jobs.push({ job: { window, pass }, notBeforeInMs });
  });
  return jobs;
}

/**
 * What is wrong with a stored watermark, if anything: it must be aligned to the window length, not
 * more than one window ahead of now (the planner would wait forever), and not before Graph's
 * retention (those windows can no longer be read). Pure; the scheduler names the blob.
 */
export function watermarkProblem(watermark: Watermark, nowInMs: number, settings: PlanSettings): string | undefined {
  const at = watermark.nextWindowStartInMs;
  const minutes = settings.windowInMs / 60_000;
  if (at % settings.windowInMs !== 0) return `holds ${new Date(at).toISOString()}, which is not aligned to the ${minutes}-minute window length`;
  if (at > nowInMs + settings.windowInMs) return `holds ${new Date(at).toISOString()}, more than one window after now (${new Date(nowInMs).toISOString()}): no window would ever be planned`;
  const horizon = horizonOf(settings);
  if (at < nowInMs - horizon) {
    return `holds ${new Date(at).toISOString()}, before Graph's ${horizon / dayInMs}-day retention (${new Date(nowInMs - horizon).toISOString()}): those windows can no longer be read`;
  }
  return undefined;
}

/** Checks settings against Graph's retention; answers problems, keyed by what is wrong. */
export function planSettingsProblems(settings: PlanSettings): string[] {
  const problems: string[] = [];
  if (dayInMs % settings.windowInMs !== 0) problems.push("window length must divide a day");
  const last = settings.rereadOffsetsInMs.at(-1) ?? 0;
  if (settings.windowInMs + last + settings.settleInMs >= horizonOf(settings) - dayInMs) {
    problems.push(`the last re-read must come more than a day before Graph's ${horizonOf(settings) / dayInMs}-day retention ends`);
  }
  return problems;
}
