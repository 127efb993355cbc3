/**
 * Blob names of the archive: pure. Hive-style partitions by the window's start, so Synapse
 * (`filepath()`) and Spark (`key=value` discovery) prune by time; manifests start with `_`, which
 * both skip.
 *
 *   callrecords/v1/year=2026/month=11/day=27/hour=09/20261127T0900Z_20261127T1000Z_p0.jsonl.gz
 *   callrecords/v1/year=2026/month=11/day=27/hour=09/_20261127T0900Z_20261127T1000Z_p0.manifest.json
 *   callrecords/v1/year=2026/month=11/day=27/hour=09/_20261127T0900Z_20261127T1000Z_p0.deadletter.json
 *   callrecords/v1/year=2026/month=11/day=27/hour=09/_20261127T0900Z_20261127T1000Z_p0.chain.json
 *
 * The last two are a (window, pass)'s lasting job records (pipeline/harvest/jobRecords.ts), both
 * write-once: the dead-letter record says the pass was given up, so the later passes of the window
 * run after it as after a manifest (a replay of the pass still writes its own manifest); the chain
 * record names the one retry chain the pass's transient failures belong to.
 *
 * A telephony log's blobs (core/sources.ts) sit below its own root, a tenant level and the day,
 * with the same names: windows of a log are days, so there is no hour level.
 *
 *   pstncalls/v1/tenant=home/year=2026/month=11/day=27/20261127T0000Z_20261128T0000Z_p0.jsonl.gz
 *
 * Another tenant's blobs (core/tenants.ts) sit below a `tenant=<id>` folder of each root; the home
 * tenant's call records stay where they always were, so a single-tenant archive never moves:
 *
 *   callrecords/v1/tenant=0b7e2c1a-…/year=2026/month=11/day=27/hour=09/20261127T0900Z_20261127T1000Z_p0.jsonl.gz
 *   pstncalls/v1/tenant=0b7e2c1a-…/year=2026/month=11/day=27/20261127T0000Z_20261128T0000Z_p0.jsonl.gz
 */
import { type Job, jobKey } from "../core/job.js";
import type { TimeWindow } from "../core/window.js";
import { type LogSourceName, logSourceNames, logSources } from "../core/sources.js";
import { type Origin, type TenantId, tenantFolder, tenantOfBlobName } from "../core/tenants.js";

export const archiveRoot = "callrecords/v1";

/**
 * Where an origin's blobs start: `callrecords/v1/` (the home tenant's call records),
 * `callrecords/v1/tenant=<id>/`, `pstncalls/v1/tenant=home/`, `pstncalls/v1/tenant=<id>/`.
 */
export function rootOf(origin: Origin = {}): string {
  if (origin.source !== undefined) return `${logSources[origin.source].archiveRoot}/${tenantFolder(origin.tenant)}/`;
  return origin.tenant === undefined ? `${archiveRoot}/` : `${archiveRoot}/${tenantFolder(origin.tenant)}/`;
}

/** Where a log's blobs start: `pstncalls/v1/tenant=home/`. */
export const logRoot = (source: LogSourceName, tenant?: TenantId): string => rootOf({ source, ...(tenant === undefined ? {} : { tenant }) });

const pad = (n: number) => String(n).padStart(2, "0");

/** `year=2026/month=11/day=27/`: the Hive folders of a UTC day, below any root (raw or curated). */
export function dayPartition(instantInMs: number): string {
  const d = new Date(instantInMs);
  return `year=${d.getUTCFullYear()}/month=${pad(d.getUTCMonth() + 1)}/day=${pad(d.getUTCDate())}/`;
}

/** `callrecords/v1/year=2026/month=11/day=27/hour=09/`: a call records window's folder. */
export const partitionPrefix = (instantInMs: number, tenant?: TenantId): string =>
  `${rootOf(tenant === undefined ? {} : { tenant })}${dayPartition(instantInMs)}hour=${pad(new Date(instantInMs).getUTCHours())}/`;

/** `callrecords/v1/year=2026/month=11/day=27/` (or a log's, or another tenant's day): a UTC day's partition. */
export const dayPartitionPrefix = (instantInMs: number, origin: Origin = {}): string => `${rootOf(origin)}${dayPartition(instantInMs)}`;

/** The folder a job's blobs are written to. */
const jobFolder = (job: Job): string => (job.source === undefined ? partitionPrefix(job.window.startInMs, job.tenant) : dayPartitionPrefix(job.window.startInMs, job));

export const dataBlobName = (job: Job): string => `${jobFolder(job)}${jobKey(job)}.jsonl.gz`;
export const manifestBlobName = (job: Job): string => `${jobFolder(job)}_${jobKey(job)}.manifest.json`;
export const deadLetterBlobName = (job: Job): string => `${jobFolder(job)}_${jobKey(job)}.deadletter.json`;
export const chainBlobName = (job: Job): string => `${jobFolder(job)}_${jobKey(job)}.chain.json`;

/** Day partitions a window touches. Windows divide a day and are aligned, so every window that
 * contains or overlaps this one (an earlier pass, the window a half was split from) starts within
 * these days: listing them finds every blob a harvest must consult. */
export function dayPrefixesOf(window: TimeWindow, origin: Origin = {}): string[] {
  const day = 86_400_000;
  const prefixes: string[] = [];
  for (let t = Math.floor(window.startInMs / day) * day; t < window.endInMs; t += day) prefixes.push(dayPartitionPrefix(t, origin));
  return prefixes;
}

const blobNamePattern = /(_?)(\d{8}T\d{4,6}Z)_(\d{8}T\d{4,6}Z)_p(\d+)\.(manifest\.json|deadletter\.json|chain\.json|jsonl\.gz)$/;

const parseCompact = (compact: string) =>
  Date.parse(compact.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})?Z$/, (_, y, mo, d, h, mi, s) => `${y}-${mo}-${d}T${h}:${mi}:${s ?? "00"}Z`));

/** Reads a blob's job and kind back from its name; undefined for anything else. */
export type ArchiveBlobKind = "manifest" | "deadLetter" | "chain" | "data";

const kindOfSuffix: Readonly<Record<string, ArchiveBlobKind>> = { "manifest.json": "manifest", "deadletter.json": "deadLetter", "chain.json": "chain", "jsonl.gz": "data" };

export function archiveBlobOf(name: string): { job: Job; kind: ArchiveBlobKind } | undefined {
  const match = blobNamePattern.exec(name);
  if (!match) return undefined;
  const kind = kindOfSuffix[match[5] as string] as ArchiveBlobKind;
  if ((kind !== "data") !== (match[1] === "_")) return undefined;
  const source = logSourceNames.find((s) => name.startsWith(`${logSources[s].archiveRoot}/`));
  const tenant = tenantOfBlobName(name);
  const window = { startInMs: parseCompact(match[2] as string), endInMs: parseCompact(match[3] as string) };
  return { job: { window, pass: Number(match[4]), ...(source !== undefined ? { source } : {}), ...(tenant !== undefined ? { tenant } : {}) }, kind };
}

