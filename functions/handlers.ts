/**
 * The two function handlers, independent of where their dependencies come from: Azure (plan.ts,
 * harvest.ts) or the local runner (`npm start`). Each parses its trigger and calls the core.
 */
import type { InvocationContext, Timer } from "@azure/functions";
import type { ArchiveStore } from "../shared/archive/archiveStore.js";
import type { Clock } from "../shared/core/clock.js";
import type { CloudName } from "../shared/graph/clouds.js";
import type { GraphRuntime } from "../shared/graph/graphSetup.js";
import { type GraphCounters, newGraphCounters } from "../shared/graph/graphCounters.js";
import { harvest } from "../shared/pipeline/harvest.js";
import { type ProcessResult, type Settlement, processJobMessage } from "../shared/pipeline/jobProcessor.js";
import { jobKey } from "../shared/core/job.js";
import type { PlanSettings } from "../shared/pipeline/planning.js";
import { type JobSender, type TickResult, runPlanTick } from "../shared/pipeline/scheduler.js";
import type { WatermarkStore } from "../shared/pipeline/watermarkStore.js";
import { formatInstant } from "../shared/core/window.js";

export interface PlanDeps {
  readonly watermarks: WatermarkStore;
  readonly sender: JobSender;
  readonly clock: Clock;
  readonly plan: PlanSettings;
}

export interface HarvestHandlerDeps {
  readonly graph: GraphRuntime;
  readonly archive: ArchiveStore;
  readonly sender: JobSender;
  readonly clock: Clock;
  readonly cloud: CloudName;
  readonly timeBudgetInMs: number;
  readonly concurrency: number;
  /** Called with each harvest's counters, for run totals. */
  readonly onCounters?: (counters: GraphCounters) => void;
}

/**
 * The plan function's one log line per tick. The watermark-lag alert (infra/modules/alerts.bicep)
 * parses the instant out of it, and a test holds the two together.
 */
export const planLogLine = (result: TickResult): string =>
  `plan: ${result.windows} windows, ${result.jobs} jobs sent; watermark ${result.advanced ? "advanced to" : "stays at"} ${formatInstant(result.nextWindowStartInMs)}`;

export function makePlanHandler(deps: () => PlanDeps) {
  return async (_timer: Timer, context: InvocationContext): Promise<TickResult> => {
    const result = await runPlanTick(deps());
    context.log(planLogLine(result));
    return result;
  };
}

export function makeHarvestHandler(deps: () => HarvestHandlerDeps) {
  return async (body: unknown, settlement: Settlement, context: InvocationContext): Promise<ProcessResult> => {
    const d = deps();
    const result = await processJobMessage(body, settlement, async (job) => {
      const counters = newGraphCounters();
      try {
        return await harvest(job, {
          graph: d.graph.newClient(counters),
          counters,
          archive: d.archive,
          clock: d.clock,
          cloud: d.cloud,
          timeBudgetInMs: d.timeBudgetInMs,
          concurrency: d.concurrency,
          enqueue: (jobs) => d.sender.send(jobs),
        });
      } finally {
        d.onCounters?.(counters);
      }
    });
    if (result.status === "deadLettered") context.warn(`harvest: message dead-lettered: ${result.reason}`);
    else context.log(`harvest ${jobKey(result.job)}: ${result.outcome.status}${"manifest" in result.outcome ? `, ${result.outcome.manifest.recordCount} records` : ""}`);
    return result;
  };
}
