/**
 * Blob names of the archive: pure. Hive-style partitions by the window's start, so Synapse
 * (`filepath()`) and Spark (`key=value` discovery) prune by time; manifests start with `_`, which
 * both skip.
 *
 *   callrecords/v1/year=2026/month=11/day=27/hour=09/20261127T0900Z_20261127T1000Z_p0.jsonl.gz
 *   callrecords/v1/year=2026/month=11/day=27/hour=09/_20261127T0900Z_20261127T1000Z_p0.manifest.json
 */
import { type Job, jobKey } from "../core/job.js";
import type { TimeWindow } from "../core/window.js";

export const archiveRoot = "callrecords/v1";

const pad = (n: number) => String(n).padStart(2, "0");

export function partitionPrefix(instantInMs: number): string {
  const d = new Date(instantInMs);
  return `${archiveRoot}/year=${d.getUTCFullYear()}/month=${pad(d.getUTCMonth() + 1)}/day=${pad(d.getUTCDate())}/hour=${pad(d.getUTCHours())}/`;
}

export const dataBlobName = (job: Job): string => `${partitionPrefix(job.window.startInMs)}${jobKey(job)}.jsonl.gz`;
export const manifestBlobName = (job: Job): string => `${partitionPrefix(job.window.startInMs)}_${jobKey(job)}.manifest.json`;

/** Hour partitions a window's records can sit in: earlier passes and split halves of it. */
export function partitionsOf(window: TimeWindow): string[] {
  const hour = 3_600_000;
  const prefixes: string[] = [];
  for (let t = Math.floor(window.startInMs / hour) * hour; t < window.endInMs; t += hour) prefixes.push(partitionPrefix(t));
  return prefixes;
}

const manifestName = /_(\d{8}T\d{4,6}Z)_(\d{8}T\d{4,6}Z)_p(\d+)\.manifest\.json$/;

/** Reads a manifest's job back from its name; undefined for anything else. */
export function jobOfManifestName(name: string): Job | undefined {
  const match = manifestName.exec(name);
  if (!match) return undefined;
  const parse = (compact: string) =>
    Date.parse(compact.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})?Z$/, (_, y, mo, d, h, mi, s) => `${y}-${mo}-${d}T${h}:${mi}:${s ?? "00"}Z`));
  return { window: { startInMs: parse(match[1] as string), endInMs: parse(match[2] as string) }, pass: Number(match[3]) };
}
