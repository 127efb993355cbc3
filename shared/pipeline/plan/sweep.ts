/**
 * The coverage sweep's effects: list the manifests Graph's retention can still matter for, by day
 * partition (one listing per day, with the split status in blob metadata, so no manifest is read),
 * ask coverage.ts what is missing, and send that again.
 */
import { archiveBlobOf, dayPartitionPrefix } from "../../archive/archiveLayout.js";
import type { ArchiveStore } from "../../archive/archiveStore.js";
import type { Clock } from "../../core/clock.js";
import { dayInMs, floorTo } from "../../core/window.js";
import { type ArchivedManifest, type CoverageReport, type SweepSettings, coverageGaps, retentionStart } from "./coverage.js";
import type { PlanSettings } from "./planning.js";
import type { JobSender } from "./scheduler.js";

export interface SweepDeps {
  readonly archive: ArchiveStore;
  readonly sender: JobSender;
  readonly clock: Clock;
  readonly plan: PlanSettings;
  readonly sweep: SweepSettings;
}

export async function listArchivedManifests(archive: ArchiveStore, fromInMs: number, toInMs: number): Promise<ArchivedManifest[]> {
  const manifests: ArchivedManifest[] = [];
  for (let day = floorTo(fromInMs, dayInMs); day < toInMs; day += dayInMs) {
    const prefix = dayPartitionPrefix(day);
    for (const { name, metadata } of await archive.listWithMetadata(prefix)) {
      const blob = archiveBlobOf(name);
      if (blob?.kind !== "manifest") continue;
      const status = metadata.status === "split" || metadata.status === "complete" ? metadata.status : undefined;
      const count = (text: string | undefined) => (text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined);
      manifests.push({ job: blob.job, status, records: count(metadata.records), bytes: count(metadata.bytes) });
    }
  }
  return manifests;
}

/** Compares the archive with what should exist up to the watermark, and re-sends what is missing. */
export async function runCoverageSweep(deps: SweepDeps, plannedUntilInMs: number): Promise<CoverageReport> {
  const now = deps.clock.now();
  const manifests = await listArchivedManifests(deps.archive, retentionStart(now, deps.plan.windowInMs), plannedUntilInMs);
  const report = coverageGaps({ manifests, nowInMs: now, plannedUntilInMs, plan: deps.plan, sweep: deps.sweep });
  if (report.resend.length > 0) await deps.sender.send(report.resend);
  return report;
}
