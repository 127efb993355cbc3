/** The curate function's handler: final days of call records, then of each log, as Parquet. */
import type { InvocationContext, Timer } from "@azure/functions";
import type { ArchiveStore } from "../shared/archive/archiveStore.js";
import type { Clock } from "../shared/core/clock.js";
import { logEvent } from "./logEvents.js";
import { type CurateRunOptions, type CurateRunSummary, curateDueDays } from "../shared/pipeline/curate/curateDay.js";
import type { PipelineConfig } from "../shared/config/config.js";
import { logSourceNames } from "../shared/core/sources.js";
import { curateLogDueDays } from "../shared/pipeline/curate/curateLogDay.js";
import { type TenantId, tenantLabel } from "../shared/core/tenants.js";

export interface CurateDeps {
  readonly archive: ArchiveStore;
  readonly clock: Clock;
  readonly curate: CurateRunOptions;
  /** The telephony logs that are on: their final days are curated after call records'. */
  readonly logs?: PipelineConfig["logs"];
  /**
   * The other tenants whose final days are curated after the home tenant's (each apart): the
   * setting's, and the registry's when it can be read.
   */
  readonly tenants?: { readonly configured: readonly TenantId[]; readonly registered?: () => Promise<readonly TenantId[]> };
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
    const home = await curateTenant(d, undefined, context);
    // A registry that cannot be read leaves the setting's tenants to curate, and then fails the
    // run (the curate-failed alert), rather than costing every other tenant its hour.
    let registryError: unknown;
    const registered = await (d.tenants?.registered?.() ?? Promise.resolve([])).catch((error: unknown) => {
      registryError = error;
      return [];
    });
    for (const tenant of new Set([...(d.tenants?.configured ?? []), ...registered])) {
      try {
        await curateTenant(d, tenant, context);
      } catch (error) {
        logEvent(context, "error", "curateTenantFailed", { tenant, description: error instanceof Error ? error.message : String(error) });
      }
    }
    if (registryError !== undefined) throw registryError;
    return home;
  };
}

/** One tenant's final days: call records', then each log's. */
async function curateTenant(d: CurateDeps, tenant: TenantId | undefined, context: InvocationContext): Promise<CurateRunSummary> {
  const own = { archive: d.archive, nowInMs: () => d.clock.now(), ...(tenant === undefined ? {} : { tenant }) };
  const summary = await curateDueDays(own, d.curate);
  logEvent(context, "info", "curate", { ...curateEvent(summary), tenant: tenantLabel(tenant) });
  for (const source of logSourceNames) {
    const plan = d.logs?.[source];
    if (!plan) continue;
    const days = await curateLogDueDays(own, source, { lookbackDays: d.curate.lookbackDays, maxDays: d.curate.maxDays, finalAfterInMs: plan.rereadOffsetsInMs.at(-1) ?? 0 });
    logEvent(context, "info", "curateLog", { source, tenant: tenantLabel(tenant), curated: days.length, days: days.map((c) => c.day), rows: days.reduce((n, c) => n + c.rows, 0) });
  }
  return summary;
}

