/**
 * What the archive holds, from listings alone: the manifests of whole UTC days, each with the
 * status and counts its blob metadata carries, so no manifest is read. The coverage sweep, the
 * day marker and the status report list through here.
 */
import { archiveBlobOf, dayPartitionPrefix, logRoot } from "../../archive/archiveLayout.js";
import type { Job } from "../../core/job.js";
import type { LogSourceName } from "../../core/sources.js";
import type { ArchiveStore } from "../../archive/archiveStore.js";
import type { TenantId } from "../../core/tenants.js";
import { dayStarts } from "../../core/window.js";
import type { ArchivedManifest } from "./coverage.js";

export const listArchivedManifests = (archive: ArchiveStore, fromInMs: number, toInMs: number, tenant?: TenantId): Promise<ArchivedManifest[]> =>
  listDayManifests(archive, dayStarts(fromInMs, toInMs), tenant);

/** The manifests of the given day partitions of a tenant's call records (absent: home's), one listing each. */
export async function listDayManifests(archive: ArchiveStore, days: readonly number[], tenant?: TenantId): Promise<ArchivedManifest[]> {
  const manifests: ArchivedManifest[] = [];
  for (const day of days) {
    const prefix = dayPartitionPrefix(day, tenant === undefined ? {} : { tenant });
    for (const { name, metadata } of await archive.listWithMetadata(prefix)) {
      const blob = archiveBlobOf(name);
      if (blob?.kind !== "manifest") continue;
      const status = metadata.status === "split" || metadata.status === "complete" ? metadata.status : undefined;
      const count = (text: string | undefined) => (text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined);
      manifests.push({ job: blob.job, status, records: count(metadata.records), bytes: count(metadata.bytes), incomplete: count(metadata.incomplete) });
    }
  }
  return manifests;
}

/** A telephony log's manifest, as its listing says it (status: complete, or unsupported: no such log). */
export interface ArchivedLogManifest {
  readonly job: Job;
  readonly status: "complete" | "unsupported" | undefined;
  readonly records: number | undefined;
  readonly bytes: number | undefined;
}

/** Every manifest of a tenant's log, one listing of its root (a day has one blob or two a pass). */
export async function listLogManifests(archive: ArchiveStore, source: LogSourceName, tenant?: TenantId): Promise<ArchivedLogManifest[]> {
  const manifests: ArchivedLogManifest[] = [];
  for (const { name, metadata } of await archive.listWithMetadata(logRoot(source, tenant))) {
    const blob = archiveBlobOf(name);
    if (blob?.kind !== "manifest" || blob.job.source !== source) continue;
    const status = metadata.status === "complete" || metadata.status === "unsupported" ? metadata.status : undefined;
    const count = (text: string | undefined) => (text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined);
    manifests.push({ job: blob.job, status, records: count(metadata.records), bytes: count(metadata.bytes) });
  }
  return manifests;
}
