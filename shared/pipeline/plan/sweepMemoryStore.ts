/**
 * Where the coverage sweep keeps its memory (sweepMemory.ts): one small JSON blob beside the
 * watermark, `scheduler/sweep.json` in the state container. It is a cache of what listings showed,
 * so an unreadable one is treated as absent (the next sweep lists every day and writes it anew),
 * and it is written without a condition: two racing ticks each write what their own listing showed.
 */
import type { ContainerClient } from "@azure/storage-blob";
import { formatInstant, parseStateInstant } from "../../core/window.js";
import type { SweepMemory } from "./sweepMemory.js";
import type { LogSourceName } from "../../core/sources.js";
import type { TenantId } from "../../core/tenants.js";
import { schedulerBlobName } from "../../archive/stateLayout.js";

export interface SweepMemoryStore {
  read(): Promise<SweepMemory | undefined>;
  write(memory: SweepMemory): Promise<void>;
}

/** The home tenant's call records sweep memory: `scheduler/sweep.json` (stateLayout.ts). */
export const sweepMemoryBlobName = schedulerBlobName("sweep");
const blobName = sweepMemoryBlobName;

interface SweepMemoryFile {
  readonly schemaVersion: 1;
  readonly listedAllAt: string;
  readonly coveredThrough: Record<string, string>;
  readonly resent: { readonly tag: string; readonly jobs: readonly string[] } | null;
}

export function serializeSweepMemory(memory: SweepMemory): string {
  const file: SweepMemoryFile = {
    schemaVersion: 1,
    listedAllAt: formatInstant(memory.listedAllAtInMs),
    coveredThrough: Object.fromEntries([...memory.coveredThroughInMs].sort(([a], [b]) => a - b).map(([day, t]) => [formatInstant(day), new Date(t).toISOString()])),
    resent: memory.resent ? { tag: memory.resent.tag, jobs: [...memory.resent.jobs].sort() } : null,
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

/** The memory a file holds, or undefined when it is not one this version wrote. */
export function parseSweepMemory(text: string): SweepMemory | undefined {
  let file: Partial<SweepMemoryFile>;
  try {
    file = JSON.parse(text) as Partial<SweepMemoryFile>;
  } catch {
    return undefined;
  }
  const listedAll = parseStateInstant(file?.listedAllAt);
  if (file?.schemaVersion !== 1 || listedAll === undefined || typeof file.coveredThrough !== "object" || file.coveredThrough === null) return undefined;
  const covered = new Map<number, number>();
  for (const [day, through] of Object.entries(file.coveredThrough)) {
    const d = parseStateInstant(day);
    const t = parseStateInstant(through);
    if (d === undefined || t === undefined) return undefined;
    covered.set(d, t);
  }
  const resent = file.resent;
  const validResent = resent && typeof resent.tag === "string" && Array.isArray(resent.jobs) && resent.jobs.every((j) => typeof j === "string");
  return { listedAllAtInMs: listedAll, coveredThroughInMs: covered, resent: validResent ? { tag: resent.tag, jobs: new Set(resent.jobs) } : undefined };
}

/** A telephony log's sweep memory: beside call records', one per log (and tenant). */
export const logSweepMemoryBlobName = (source: LogSourceName, tenant?: TenantId): string => schedulerBlobName("sweep", { source, ...(tenant === undefined ? {} : { tenant }) });

export function blobSweepMemoryStore(container: ContainerClient, name: string = blobName): SweepMemoryStore {
  const blob = container.getBlockBlobClient(name);
  return {
    async read() {
      try {
        return parseSweepMemory((await blob.downloadToBuffer()).toString("utf8"));
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode === 404) return undefined;
        throw error;
      }
    },
    async write(memory) {
      const text = serializeSweepMemory(memory);
      await blob.upload(text, Buffer.byteLength(text), { blobHTTPHeaders: { blobContentType: "application/json" } });
    },
  };
}

/** In memory: a local run, a benchmark. */
export function memorySweepMemoryStore(): SweepMemoryStore & { readonly writes: number } {
  let kept: string | undefined;
  let writes = 0;
  return {
    get writes() {
      return writes;
    },
    async read() {
      return kept === undefined ? undefined : parseSweepMemory(kept);
    },
    async write(memory) {
      kept = serializeSweepMemory(memory);
      writes += 1;
    },
  };
}
