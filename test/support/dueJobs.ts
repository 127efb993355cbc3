/** Every (window, pass) a healthy archiver has written by `now`: what the sweep and the status report expect. */
import type { Job } from "../../shared/core/job.js";
import type { PlanSettings } from "../../shared/pipeline/plan/planning.js";
import { horizonMarginInMs, passDueAt, retentionStart, windowHorizon } from "../../shared/core/passes.js";

export function dueJobs(plan: PlanSettings, nowInMs: number, plannedUntilInMs: number, graceInMs: number): Job[] {
  const jobs: Job[] = [];
  for (let start = retentionStart(nowInMs, plan.windowInMs); start + plan.windowInMs <= plannedUntilInMs; start += plan.windowInMs) {
    const window = { startInMs: start, endInMs: start + plan.windowInMs };
    for (let pass = 0; pass <= plan.rereadOffsetsInMs.length; pass += 1) {
      const due = passDueAt(window, pass, plan);
      if (due + graceInMs <= nowInMs && due < windowHorizon(window) - horizonMarginInMs) jobs.push({ window, pass });
    }
  }
  return jobs;
}
