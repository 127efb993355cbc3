/**
 * One planning tick: read the watermark, plan, send the jobs, then advance the watermark with an
 * ETag condition. Sending before saving means a crash in between re-sends identical jobs (each
 * finds its window archived and does nothing; Service Bus Standard drops them earlier) rather than
 * skipping a window.
 */
import type { Clock } from "../../core/clock.js";
import { WatermarkError } from "../../core/errors.js";
import { type PlanSettings, type PlannedJob, planTick, watermarkProblem } from "./planning.js";
import type { WatermarkStore } from "./watermarkStore.js";

export interface JobSender {
  send(jobs: readonly PlannedJob[]): Promise<void>;
}

export interface TickResult {
  readonly windows: number;
  readonly jobs: number;
  /** False when a racing tick advanced the watermark first (our jobs were duplicates). */
  readonly advanced: boolean;
  readonly nextWindowStartInMs: number;
}

export async function runPlanTick(deps: {
  watermarks: WatermarkStore;
  sender: JobSender;
  clock: Clock;
  plan: PlanSettings;
}): Promise<TickResult> {
  const stored = await deps.watermarks.read();
  const problem = stored && watermarkProblem(stored.watermark, deps.clock.now(), deps.plan);
  if (problem) throw new WatermarkError(`The watermark blob ${deps.watermarks.location} ${problem}. See "Repair the watermark" in the README.`);
  const plan = planTick(stored?.watermark, deps.clock.now(), deps.plan);
  if (plan.windows.length === 0) {
    return { windows: 0, jobs: 0, advanced: false, nextWindowStartInMs: plan.next.nextWindowStartInMs };
  }
  await deps.sender.send(plan.jobs);
  const advanced = await deps.watermarks.write(plan.next, stored?.etag);
  return { windows: plan.windows.length, jobs: plan.jobs.length, advanced, nextWindowStartInMs: plan.next.nextWindowStartInMs };
}
