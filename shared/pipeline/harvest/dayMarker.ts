/**
 * A day's completion marker: once every window of a UTC day has its final pass archived (the last
 * re-read Graph's 30 days leave room for, split halves followed down), `day=DD/_SUCCESS.json` is
 * written once, with the day's counts, so downstream jobs know the day will not change. Synapse
 * and Spark skip it by its leading underscore. The decision is pure; writing it is write-once.
 */
import { dayPartitionPrefix } from "../../archive/archiveLayout.js";
import type { ArchiveStore } from "../../archive/archiveStore.js";
import { dayInMs, formatInstant } from "../../core/window.js";
import { type ArchivedManifest, manifestStatus, stillIncomplete, uncoveredJobs } from "../plan/coverage.js";
import type { PlanSettings } from "../plan/planning.js";
import { listArchivedManifests } from "../plan/manifestListing.js";
import { finalPass } from "../../core/passes.js";
import type { Origin, TenantId } from "../../core/tenants.js";

/** The marker of a day of call records, or of a telephony log's day (`source`), whose window is the day itself; of a tenant's. */
export const dayMarkerName = (dayStartInMs: number, origin: Origin = {}): string => `${dayPartitionPrefix(dayStartInMs, origin)}_SUCCESS.json`;

export interface DayCompletion {
  readonly final: boolean;
  readonly day: string;
  readonly windows: number;
  readonly manifests: number;
  readonly records: number;
  /** Records still incomplete after each window's latest pass (at the final pass: for good). */
  readonly incomplete: number;
  readonly bytes: number;
  readonly passes: readonly number[];
}

export function dayCompletion(dayStartInMs: number, manifests: readonly ArchivedManifest[], plan: PlanSettings): DayCompletion {
  const status = manifestStatus(manifests);
  let final = true;
  let windows = 0;
  for (let start = dayStartInMs; start < dayStartInMs + dayInMs; start += plan.windowInMs) {
    const window = { startInMs: start, endInMs: start + plan.windowInMs };
    windows += 1;
    if (uncoveredJobs(status, window, finalPass(window, plan)).length > 0) final = false;
  }
  const own = manifests.filter((m) => m.job.window.startInMs >= dayStartInMs && m.job.window.startInMs < dayStartInMs + dayInMs);
  return {
    final,
    day: formatInstant(dayStartInMs).slice(0, 10),
    windows,
    manifests: own.length,
    records: own.reduce((n, m) => n + (m.records ?? 0), 0),
    incomplete: stillIncomplete(own),
    bytes: own.reduce((n, m) => n + (m.bytes ?? 0), 0),
    passes: [...new Set(own.map((m) => m.job.pass))].sort((a, b) => a - b),
  };
}

/** Writes the day's marker if the day is final (once: a second writer finds it there). */
export async function markDayIfFinal(archive: ArchiveStore, dayStartInMs: number, plan: PlanSettings, nowInMs: number, tenant?: TenantId): Promise<boolean> {
  const origin = tenant === undefined ? {} : { tenant };
  const manifests = await listArchivedManifests(archive, dayStartInMs, dayStartInMs + dayInMs, tenant);
  const completion = dayCompletion(dayStartInMs, manifests, plan);
  if (!completion.final) return false;
  const dataFiles = (await archive.list(dayPartitionPrefix(dayStartInMs, origin))).filter((name) => name.endsWith(".jsonl.gz")).length;
  const marker = { schemaVersion: 1, ...completion, dataFiles, markedAt: formatInstant(nowInMs) };
  await archive.createText(dayMarkerName(dayStartInMs, origin), `${JSON.stringify(marker, null, 2)}\n`, "application/json");
  return true;
}
