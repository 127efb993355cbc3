/** The default plan settings (hourly windows, the README's re-read offsets), for pure planning tests. */
import { dayInMs, hourInMs } from "../../shared/core/window.js";
import type { PlanSettings } from "../../shared/pipeline/plan/planning.js";

export const hourlyPlan = (maxWindowsPerTick: number): PlanSettings => ({
  windowInMs: hourInMs,
  settleInMs: hourInMs,
  rereadOffsetsInMs: [6 * hourInMs, dayInMs, 3 * dayInMs, 7 * dayInMs, 20 * dayInMs],
  maxWindowsPerTick,
  safetyMarginInMs: hourInMs,
});
