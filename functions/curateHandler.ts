/** The curate function's handler: final days of call records, then of each log, as Parquet. */
import type { InvocationContext, Timer } from "@azure/functions";
import type { ArchiveStore } from "../shared/archive/archiveStore.js";
import type { Clock } from "../shared/core/clock.js";
import { logEvent } from "./logEvents.js";
import { type CurateRunOptions, type CurateRunSummary, curateDueDays } from "../shared/pipeline/curate/curateDay.js";
import type { PipelineConfig } from "../shared/config/config.js";
import { logSourceNames } from "../shared/core/sources.js";
import { curateLogDueDays } from "../shared/pipeline/curate/curateLogDay.js";

export interface CurateDeps {
  readonly archive: ArchiveStore;
  readonly clock: Clock;
  readonly curate: CurateRunOptions;
  /** The telephony logs that are on: their final days are curated after call records'. */
  readonly logs?: PipelineConfig["logs"];
}

/** The curate function's event per run: the days it wrote, with rows per table. */
export const curateEvent = (summary: CurateRunSummary) => ({
  checked: summary.checked,
  curated: summary.curated.length,
  days: summary.curated.map((c) => c.day),
  calls: summary.curated.reduce((n, c) => n + c.calls, 0),
});

export function makeCurateHandler(deps: () => CurateDeps) {
  return async (_timer: Timer, context: InvocationContext): Promise<CurateRunSummary> => {
    const d = deps();
    const summary = await curateDueDays({ archive: d.archive, nowInMs: () => d.clock.now() }, d.curate);
    logEvent(context, "info", "curate", curateEvent(summary));
    for (const source of logSourceNames) {
      const plan = d.logs?.[source];
      if (!plan) continue;
      const days = await curateLogDueDays({ archive: d.archive, nowInMs: () => d.clock.now() }, source, { lookbackDays: d.curate.lookbackDays, maxDays: d.curate.maxDays, finalAfterInMs: plan.rereadOffsetsInMs.at(-1) ?? 0 });
      logEvent(context, "info", "curateLog", { source, curated: days.length, days: days.map((c) => c.day), rows: days.reduce((n, c) => n + c.rows, 0) });
    }
    return summary;
  };
}

