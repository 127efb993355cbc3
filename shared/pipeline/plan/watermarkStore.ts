/**
 * The scheduler's durable watermark, updated with ETag conditions so two racing ticks cannot both
 * advance it: the loser's write fails and its identical jobs are harmless (a job whose manifest
 * exists does nothing).
 */
import { readFile, rename, writeFile, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import type { ContainerClient } from "@azure/storage-blob";
import { WatermarkError } from "../../core/errors.js";
import type { Watermark } from "./planning.js";
import type { LogSourceName } from "../../core/sources.js";
import type { TenantId } from "../../core/tenants.js";
import { schedulerBlobName } from "../../archive/stateLayout.js";
import { readBlobText, writeBlobTextIf } from "../../archive/conditionalBlob.js";
import { formatInstant, parseStateInstant } from "../../core/window.js";

export interface StoredWatermark {
  readonly watermark: Watermark;
  readonly etag: string;
}

export interface WatermarkStore {
  /** Where it is kept, for errors: `state/scheduler/watermark.json`. */
  readonly location: string;
  read(): Promise<StoredWatermark | undefined>;
  /** False when someone else changed it since `etag` was read (or created it, with no etag). */
  write(watermark: Watermark, etag: string | undefined): Promise<boolean>;
}

/** Call records' watermark of the home tenant: `scheduler/watermark.json` (stateLayout.ts). */
export const watermarkBlobName = schedulerBlobName("watermark");
const blobName = watermarkBlobName;

const serialize = (w: Watermark) =>
  JSON.stringify({ schemaVersion: 1, nextWindowStart: formatInstant(w.nextWindowStartInMs) }, null, 2);

function deserialize(text: string, location: string): Watermark {
  const unreadable = (why: string) => new WatermarkError(`The watermark blob ${location} is unreadable: ${why}. See "Repair the watermark" in the README.`);
  let parsed: { nextWindowStart?: unknown };
  try {
    parsed = JSON.parse(text) as { nextWindowStart?: unknown };
  } catch {
    throw unreadable(text.trim() === "" ? "it is empty" : `it is not JSON (${JSON.stringify(text.slice(0, 80))})`);
  }
  const value = parsed?.nextWindowStart;
  const nextWindowStartInMs = parseStateInstant(value);
  if (nextWindowStartInMs === undefined) {
    throw unreadable(`nextWindowStart must be an ISO 8601 UTC instant such as 2026-11-27T09:00:00Z, got ${JSON.stringify(value)}`);
  }
  return { nextWindowStartInMs };
}

/** A telephony log's watermark: beside call records', one per log (and tenant). */
export const logWatermarkBlobName = (source: LogSourceName, tenant?: TenantId): string => schedulerBlobName("watermark", { source, ...(tenant === undefined ? {} : { tenant }) });

export function blobWatermarkStore(container: ContainerClient, name: string = blobName): WatermarkStore {
  const blob = container.getBlockBlobClient(name);
  const location = `${container.containerName}/${name}`;
  return {
    location,
    async read() {
      const stored = await readBlobText(blob);
      return stored && { watermark: deserialize(stored.text, location), etag: stored.etag };
    },
    write: (watermark, etag) => writeBlobTextIf(blob, serialize(watermark), etag),
  };
}

/** A file with a revision counter as its ETag; for local runs of one process. */
export function fileWatermarkStore(path: string): WatermarkStore {
  return {
    location: path,
    async read() {
      try {
        const text = await readFile(path, "utf8");
        const watermark = deserialize(text, path);
        const { revision } = JSON.parse(text) as { revision: number };
        return { watermark, etag: String(revision) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw error;
      }
    },
    async write(watermark, etag) {
      const current = await this.read();
      if ((current?.etag ?? undefined) !== etag) return false;
      const revision = Number(etag ?? 0) + 1;
      await mkdir(dirname(path), { recursive: true });
      const tmp = `${path}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify({ ...JSON.parse(serialize(watermark)), revision }, null, 2));
      await rename(tmp, path);
      return true;
    },
  };
}

/** In memory, starting at a given watermark: a local run over an explicit span. */
export function memoryWatermarkStore(initial: Watermark | undefined): WatermarkStore {
  let current = initial;
  let revision = 0;
  return {
    location: "memory",
    async read() {
      return current ? { watermark: current, etag: String(revision) } : undefined;
    },
    async write(watermark, etag) {
      if ((current ? String(revision) : undefined) !== etag) return false;
      current = watermark;
      revision += 1;
      return true;
    },
  };
}
