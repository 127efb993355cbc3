/**
 * The purge's effect: lists the archive container, and deletes (with `apply`) each blob past its
 * tenant's retention (retentionPurge.ts decides which). A blob the container's immutability policy
 * still holds is refused by the service (409): it is counted as kept, never an error, since the
 * operator cannot know each blob's period in advance; the next purge deletes it.
 */
import { type ContainerClient, RestError } from "@azure/storage-blob";
import { type RetentionRules, purgeOwner } from "./retentionPurge.js";

export interface PurgeFigures {
  /** Blobs past their retention, by owner (`home` or the tenant id). */
  readonly due: Map<string, { blobs: number; bytes: number; oldestInMs: number }>;
  readonly deleted: number;
  /** Refused by the container's immutability policy: still within their WORM period. */
  readonly keptByPolicy: number;
  /** The service's reason for the first refusal, as it gave it. */
  readonly refusal?: string;
}

/** What the purge uses of a container: its listing, and deleting one blob. */
export type PurgeContainer = Pick<ContainerClient, "listBlobsFlat" | "deleteBlob">;

/** Deletes at once: a month's purge of a busy archive is thousands of blobs (no batch API on ADLS Gen2). */
const deletesAtOnce = 16;

export async function purgeArchive(container: PurgeContainer, rules: RetentionRules, nowInMs: number, apply: boolean): Promise<PurgeFigures> {
  const due: PurgeFigures["due"] = new Map();
  let deleted = 0;
  let keptByPolicy = 0;
  let refusal: string | undefined;
  const remove = async (name: string) => {
    try {
      await container.deleteBlob(name);
      deleted += 1;
    } catch (error) {
      if (!(error instanceof RestError && error.statusCode === 409)) throw error;
      keptByPolicy += 1;
      refusal ??= `${error.code ?? "409"}: ${error.message.split("\n")[0]}`;
    }
  };
  let pending: string[] = [];
  // A hierarchical-namespace account lists its directories too, marked hdi_isfolder: never a purge's.
  for await (const item of container.listBlobsFlat({ includeMetadata: true })) {
    if (item.metadata?.hdi_isfolder === "true") continue;
    const modifiedInMs = item.properties.lastModified.getTime();
    const owner = purgeOwner(item.name, modifiedInMs, rules, nowInMs);
    if (owner === undefined) continue;
    const sofar = due.get(owner) ?? { blobs: 0, bytes: 0, oldestInMs: modifiedInMs };
    due.set(owner, { blobs: sofar.blobs + 1, bytes: sofar.bytes + (item.properties.contentLength ?? 0), oldestInMs: Math.min(sofar.oldestInMs, modifiedInMs) });
    if (!apply) continue;
    pending.push(item.name);
    if (pending.length >= deletesAtOnce) {
      await Promise.all(pending.map(remove));
      pending = [];
    }
  }
  await Promise.all(pending.map(remove));
  return { due, deleted, keptByPolicy, ...(refusal === undefined ? {} : { refusal }) };
}
