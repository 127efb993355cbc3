/**
 * Window planning: pure decisions from a watermark and the time. Windows are half-open, aligned
 * to their length, contiguous from the watermark on; every window gets pass 0 after the settle
 * delay and re-read passes at fixed offsets after its end, all well inside Graph's 30 days.
 */
import type { Job } from "../core/job.js";
import { type TimeWindow, ceilTo, dayInMs } from "../core/window.js";

export const graphRetentionInMs = 30 * dayInMs;

export interface PlanSettings {
  readonly windowInMs: number;
  readonly settleInMs: number;
  /** Offsets after a window's end for passes 1, 2, …; strictly increasing. */
  readonly rereadOffsetsInMs: readonly number[];
  readonly maxWindowsPerTick: number;
  /** Added to the oldest instant Graph holds, so a first run does not race its deletions. */
  readonly safetyMarginInMs: number;
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
}

export interface Plan {
  readonly windows: readonly TimeWindow[];
  readonly jobs: readonly PlannedJob[];
  readonly next: Watermark;
}

/** Where a new deployment starts: the oldest instant Graph still holds, plus a margin. */
export function firstWatermark(nowInMs: number, settings: PlanSettings): Watermark {
  return { nextWindowStartInMs: ceilTo(nowInMs - graphRetentionInMs + settings.safetyMarginInMs, settings.windowInMs) };
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
 * Pass 0 now; each re-read pass at its offset after the window's end. A re-read already due is
 * dropped: pass 0, running now, sees everything it would.
 */
export function jobsForWindow(window: TimeWindow, nowInMs: number, settings: PlanSettings): PlannedJob[] {
  const jobs: PlannedJob[] = [{ job: { window, pass: 0 }, notBeforeInMs: undefined }];
  settings.rereadOffsetsInMs.forEach((offset, i) => {
    const due = window.endInMs + offset;
    if (due > nowInMs) jobs.push({ job: { window, pass: i + 1 }, notBeforeInMs: due });
  });
  return jobs;
}

/** Checks settings against Graph's retention; answers problems, keyed by what is wrong. */
export function planSettingsProblems(settings: PlanSettings): string[] {
  const problems: string[] = [];
  if (dayInMs % settings.windowInMs !== 0) problems.push("window length must divide a day");
  const last = settings.rereadOffsetsInMs.at(-1) ?? 0;
  if (settings.windowInMs + last + settings.settleInMs >= graphRetentionInMs - dayInMs) {
    problems.push("the last re-read must come more than a day before Graph's 30-day retention ends");
  }
  return problems;
}
