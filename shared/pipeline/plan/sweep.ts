/**
 * The coverage sweep's effects: list the manifests Graph's retention can still matter for, by day
 * partition (one listing per day, with the split status in blob metadata, so no manifest is read;
 * only the days sweepMemory.ts picks), ask coverage.ts what is missing, and send that again.
 */
import type { ArchiveStore } from "../../archive/archiveStore.js";
import type { Clock } from "../../core/clock.js";
import type { CoverageReport, SweepSettings } from "./coverage.js";
import { listDayManifests } from "./manifestListing.js";
import type { PlanSettings, PlannedJob } from "./planning.js";
import type { TenantId } from "../../core/tenants.js";
import type { JobSender } from "./scheduler.js";
import { decideSweep, sweepListing } from "./sweepMemory.js";
import type { SweepMemoryStore } from "./sweepMemoryStore.js";

export interface SweepDeps {
  readonly archive: ArchiveStore;
  readonly sender: JobSender;
  readonly clock: Clock;
  readonly plan: PlanSettings;
  readonly sweep: SweepSettings;
  /** What earlier sweeps listed and re-sent; absent: every day is listed, every tick. */
  readonly memory?: SweepMemoryStore;
  /** Whose archive is swept; absent: the home tenant's. */
  readonly tenant?: TenantId;
}

/** Jobs the sweep re-sends, as the tenant's jobs. */
export const ofTenant = (tenant: TenantId | undefined, jobs: readonly PlannedJob[]): PlannedJob[] =>
  tenant === undefined ? [...jobs] : jobs.map((j) => ({ ...j, job: { ...j.job, tenant } }));

/** A sweep's report, with how much it listed. */
export interface SweepRun extends CoverageReport {
  readonly listedDays: number;
  readonly fullListing: boolean;
  /** A spot-checked day lacked what the memory said it held: the next tick lists every day. */
  readonly falseMemory?: boolean;
}

/**
 * Compares the archive with what should exist up to the watermark, and re-sends what is missing:
 * listing only the days where something fell overdue since the memory's last look (every day once
 * a day), and re-sending a job once per resend period; then remembers what it saw and sent.
 */
export async function runCoverageSweep(deps: SweepDeps, plannedUntilInMs: number): Promise<SweepRun> {
  const nowInMs = deps.clock.now();
  const at = { nowInMs, plannedUntilInMs, plan: deps.plan, sweep: deps.sweep };
  const memory = await deps.memory?.read();
  const listing = sweepListing(memory, at);
  const manifests = await listDayManifests(deps.archive, listing.days, deps.tenant);
  const { report, next, falseMemory } = decideSweep(memory, at, listing, manifests);
  if (report.resend.length > 0) await deps.sender.send(ofTenant(deps.tenant, report.resend));
  // Nothing listed and nothing sent: the memory would only be written back as it was read.
  if (listing.days.length > 0 || report.resend.length > 0 || !memory) await deps.memory?.write(next);
  return { ...report, listedDays: listing.days.length, fullListing: listing.full, falseMemory };
}
