/** The plan function's handler: each tenant's windows, coverage sweep and logs per tick, and the events alerts read. */
import type { InvocationContext, Timer } from "@azure/functions";
import type { ArchiveStore } from "../shared/archive/archiveStore.js";
import type { Clock } from "../shared/core/clock.js";
import { logEvent } from "./logEvents.js";
import { jobKey } from "../shared/core/job.js";
import type { CoverageReport, SweepSettings } from "../shared/pipeline/plan/coverage.js";
import type { SweepMemoryStore } from "../shared/pipeline/plan/sweepMemoryStore.js";
import type { PlanSettings } from "../shared/pipeline/plan/planning.js";
import { type SweepRun, runCoverageSweep } from "../shared/pipeline/plan/sweep.js";
import { runLogSweep } from "../shared/pipeline/plan/logSweep.js";
import { ofTenant } from "../shared/pipeline/plan/sweep.js";
import { type TenantId, tenantLabel } from "../shared/core/tenants.js";
import { type JobSender, type TickResult, runPlanTick } from "../shared/pipeline/plan/scheduler.js";
import type { WatermarkStore } from "../shared/pipeline/plan/watermarkStore.js";
import { formatInstant } from "../shared/core/window.js";
import type { LogSourceName } from "../shared/core/sources.js";
import type { TenantRegistryStore } from "../shared/archive/tenantRegistryStore.js";
import { type TenantEntry, retentionDrift, retentionParameter } from "../shared/core/tenantRegistry.js";
import type { TenantCheck } from "../shared/pipeline/operate/tenantCheck.js";

export interface PlanDeps {
  readonly watermarks: WatermarkStore;
  readonly sender: JobSender;
  readonly clock: Clock;
  readonly plan: PlanSettings;
  /** The coverage sweep, run after each tick; absent in a local run over an explicit span. */
  readonly sweep?: { readonly archive: ArchiveStore; readonly settings: SweepSettings; readonly memory?: SweepMemoryStore };
  /** The telephony logs that are on, each planned from its own watermark after call records. */
  readonly logs?: readonly LogPlanDeps[];
  /** The other tenants, each planned after the home tenant and apart from it (tenants.ts). */
  readonly tenants?: readonly TenantPlanDeps[];
  /** The tenant registry: each tick checks its invited tenants and plans its active ones. */
  readonly registry?: RegistryPlanDeps;
}

export interface RegistryPlanDeps {
  readonly store: TenantRegistryStore;
  /** One token and one list request in the tenant (tenantCheck.ts). */
  check(tenant: TenantId): Promise<TenantCheck>;
  /** A registered tenant's planning state, with the logs its settings keep. */
  planOf(entry: TenantEntry): TenantPlanDeps;
  /** The tenants' own retention the deployment's lifecycle rules hold (ARCHIVER_TENANT_RETENTION), to compare with the registry's. */
  readonly deployedRetention?: ReadonlyMap<string, number>;
}

export interface LogPlanDeps {
  readonly source: LogSourceName;
  readonly plan: PlanSettings;
  readonly watermarks: WatermarkStore;
  readonly sweepMemory?: SweepMemoryStore;
}

/** Another tenant's planning state: its own watermarks and sweep memories (stateLayout.ts), and its logs. */
export interface TenantPlanDeps {
  readonly tenant: TenantId;
  readonly watermarks: WatermarkStore;
  readonly sweepMemory?: SweepMemoryStore;
  readonly logs?: readonly LogPlanDeps[];
}

/**
 * The plan function's event per tick. Alerts (infra/modules/alerts.bicep) read its fields, and a
 * test holds the two together.
 */
export const planEvent = (result: TickResult, nowInMs: number) => ({
  windows: result.windows,
  jobs: result.jobs,
  advanced: result.advanced,
  watermark: formatInstant(result.nextWindowStartInMs),
  watermarkLagHours: Math.round(((nowInMs - result.nextWindowStartInMs) / 3_600_000) * 10) / 10,
});

/** The coverage sweep's event per tick: what is missing and how close the oldest is to Graph's horizon. */
export const sweepEvent = (report: SweepRun, nowInMs: number) => ({
  checked: report.checked,
  listedDays: report.listedDays,
  fullListing: report.fullListing,
  falseMemory: report.falseMemory === true,
  missing: report.missing.length,
  resent: report.resend.length,
  resentJobs: report.resend.slice(0, 20).map((r) => jobKey(r.job)),
  oldestMissingStart: report.oldestMissingStartInMs === undefined ? null : formatInstant(report.oldestMissingStartInMs),
  oldestMissingAgeHours: report.oldestMissingStartInMs === undefined ? 0 : Math.round(((nowInMs - report.oldestMissingStartInMs) / 3_600_000) * 10) / 10,
  oldestMissingMarginHours: report.oldestMissingMarginInMs === undefined ? null : Math.round((report.oldestMissingMarginInMs / 3_600_000) * 10) / 10,
});

/** A telephony log's sweep event per tick: the sweep's fields, and which log. The telephony alert reads it. */
export const sweepLogEvent = (source: LogSourceName, report: CoverageReport, nowInMs: number) => ({ source, ...sweepEvent({ ...report, listedDays: 0, fullListing: true }, nowInMs) });

/** A telephony log whose planning failed (its watermark unreadable, storage refused): which, and why. */
export const planLogFailedEvent = (source: LogSourceName, error: unknown, tenant?: TenantId) => ({ source, tenant: tenantLabel(tenant), description: error instanceof Error ? error.message : String(error) });

/** Another tenant whose call records planning failed: which, and why (the other tenants are planned all the same). */
export const planTenantFailedEvent = (tenant: TenantId, error: unknown) => ({ tenant, description: error instanceof Error ? error.message : String(error) });

export function makePlanHandler(deps: () => PlanDeps) {
  return async (_timer: Timer, context: InvocationContext): Promise<TickResult> => {
    const d = deps();
    // The home tenant first, as before tenants existed: its failure fails the tick, after the
    // other tenants have been planned (one tenant's broken state never stops another's).
    const home = await planTenant(d, { watermarks: d.watermarks, ...(d.sweep?.memory ? { sweepMemory: d.sweep.memory } : {}), ...(d.logs ? { logs: d.logs } : {}) }, context).then(
      (result) => ({ result }),
      (error: unknown) => ({ error }),
    );
    for (const tenant of await tenantsToPlan(d, context)) {
      try {
        await planTenant(d, tenant, context);
      } catch (error) {
        logEvent(context, "error", "planTenantFailed", planTenantFailedEvent(tenant.tenant, error));
      }
    }
    if ("error" in home) throw home.error;
    return home.result;
  };
}

/**
 * The other tenants planned this tick: ARCHIVER_TENANTS's, and the registry's active ones (the
 * registry's state wins for a tenant both name: a paused tenant is not planned). An invited tenant
 * whose check passes becomes active and is planned at once; one whose check or change fails waits
 * for the next tick, with an error event naming it. A registry that cannot be read leaves the
 * setting's tenants, with an error event.
 */
async function tenantsToPlan(d: PlanDeps, context: InvocationContext): Promise<readonly TenantPlanDeps[]> {
  const configured = d.tenants ?? [];
  if (!d.registry) return configured;
  const { store, check, planOf } = d.registry;
  try {
    const registry = await store.read();
    // A retention recorded but not deployed is not in force: personal data kept past its end.
    for (const drift of d.registry.deployedRetention ? retentionDrift(registry, d.registry.deployedRetention) : []) {
      logEvent(context, "warn", "tenantRetentionNotDeployed", { ...drift, deploy: retentionParameter(registry) });
    }
    const listed = new Set(registry.tenants.map((t) => t.id));
    const planned = configured.filter((t) => !listed.has(t.tenant));
    for (const entry of registry.tenants) {
      if (entry.state === "invited") {
        // One invited tenant's check or change failing costs that tenant this tick, not the others.
        try {
          const result = await check(entry.id);
          if (!result.ok) {
            logEvent(context, "warn", "tenantNotConsented", { tenant: entry.id, reason: result.reason, description: result.description });
            continue;
          }
          await store.change({ action: "consented", tenant: entry.id }, "plan function", d.clock.now());
        } catch (error) {
          logEvent(context, "error", "tenantRegistryFailed", { tenant: entry.id, location: store.location, description: error instanceof Error ? error.message : String(error) });
          continue;
        }
        logEvent(context, "info", "tenantConsented", { tenant: entry.id });
        planned.push(planOf(entry));
      } else if (entry.state === "active") {
        planned.push(planOf(entry));
      }
    }
    return planned;
  } catch (error) {
    logEvent(context, "error", "tenantRegistryFailed", { location: store.location, description: error instanceof Error ? error.message : String(error) });
    return configured;
  }
}

/** One tenant's tick: call records' windows and sweep, then each log's, each log apart. */
async function planTenant(d: PlanDeps, scope: Omit<TenantPlanDeps, "tenant"> & { readonly tenant?: TenantId }, context: InvocationContext): Promise<TickResult> {
  const { tenant } = scope;
  const own = tenant === undefined ? {} : { tenant };
  const sender: JobSender = tenant === undefined ? d.sender : { send: (jobs) => d.sender.send(ofTenant(tenant, jobs)) };
  const result = await runPlanTick({ watermarks: scope.watermarks, sender, clock: d.clock, plan: d.plan });
  logEvent(context, "info", "plan", { ...planEvent(result, d.clock.now()), tenant: tenantLabel(tenant) });
  if (d.sweep) {
    const report = await runCoverageSweep(
      { archive: d.sweep.archive, sender: d.sender, clock: d.clock, plan: d.plan, sweep: d.sweep.settings, ...(scope.sweepMemory ? { memory: scope.sweepMemory } : {}), ...own },
      result.nextWindowStartInMs,
    );
    logEvent(context, report.missing.length > 0 ? "warn" : "info", "sweep", { ...sweepEvent(report, d.clock.now()), tenant: tenantLabel(tenant) });
  }
  // Each log after call records, and apart: a log's stored watermark that is wrong fails its
  // own planning (an error event names it), never call records'.
  for (const log of scope.logs ?? []) {
    const logSender: JobSender = { send: (jobs) => sender.send(jobs.map((j) => ({ ...j, job: { ...j.job, source: log.source } }))) };
    try {
      const tick = await runPlanTick({ watermarks: log.watermarks, sender: logSender, clock: d.clock, plan: log.plan });
      logEvent(context, "info", "planLog", { source: log.source, tenant: tenantLabel(tenant), ...planEvent(tick, d.clock.now()) });
      if (d.sweep) {
        const report = await runLogSweep(
          { source: log.source, archive: d.sweep.archive, sender: d.sender, clock: d.clock, plan: log.plan, sweep: d.sweep.settings, ...(log.sweepMemory ? { memory: log.sweepMemory } : {}), ...own },
          tick.nextWindowStartInMs,
        );
        logEvent(context, report.missing.length > 0 ? "warn" : "info", "sweepLog", { ...sweepLogEvent(log.source, report, d.clock.now()), tenant: tenantLabel(tenant) });
      }
    } catch (error) {
      logEvent(context, "error", "planLogFailed", planLogFailedEvent(log.source, error, tenant));
    }
  }
  return result;
}

