/**
 * A manifest says what one (window, pass) harvest archived. Every job ends with one, even for an
 * empty window, so "checked, nothing there" differs from "never checked".
 */
import type { Readable } from "node:stream";
import { ArchiveDataError } from "../core/errors.js";
import type { CloudName } from "../graph/clouds.js";
import type { GraphCounters } from "../graph/graphCounters.js";
import type { jobBody } from "../core/job.js";
import { HashTap, dataLinesOf } from "./dataLines.js";

export const manifestSchemaVersion = 1;

export interface ArchivedVersion {
  readonly id: string;
  readonly version: number;
}

/** A record archived as far as it could be read (shared/pipeline/harvest/recordIsolation.ts says when). */
export interface IncompleteRecord extends ArchivedVersion {
  readonly reason: "pagingLoop" | "answerTooLarge" | "recordFailing";
  /** With pagingLoop: which list of the record looped, and how many of its pages were read. */
  readonly list?: "sessions" | "participants";
  readonly pagesRead?: number;
}

export interface Manifest {
  readonly schemaVersion: 1;
  readonly job: ReturnType<typeof jobBody>;
  readonly status: "complete" | "split";
  /** Name of the JSON Lines blob; absent when nothing new or changed was found. */
  readonly dataBlob: string | undefined;
  readonly records: readonly ArchivedVersion[];
  readonly recordCount: number;
  /** Of `records`, those archived incomplete (absent: none); every later pass reads them again. */
  readonly incomplete?: readonly IncompleteRecord[];
  /** Listed, but 404 by the time details were fetched (aged out of Graph). */
  readonly expired: readonly string[];
  /** Listed records skipped because an earlier pass archived the same version. */
  readonly unchanged: number;
  readonly bytes: number;
  readonly sha256: string | undefined;
  readonly graph: Pick<GraphCounters, "requests" | "pages" | "retries"> & { throttledSeconds: number };
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly cloud: CloudName;
  /** Set when the window was re-enqueued as halves: too big for one invocation, or its listing looped. */
  readonly splitInto?: readonly ReturnType<typeof jobBody>[];
  /** Why it was split (absent in manifests written before a loop could split a window: the time budget). */
  readonly splitReason?: "timeBudget" | "listingLoop";
  /** True when rebuilt from an already committed data blob after a crash. */
  readonly repairedFromBlob?: boolean;
}

/**
 * What a manifest's blob metadata says about it, so listing a day's partition tells the sweep and
 * the status report everything they need without reading a manifest.
 */
export const manifestMetadata = (m: Manifest): Record<string, string> => ({
  status: m.status,
  records: String(m.recordCount),
  bytes: String(m.bytes),
  ...(m.incomplete && m.incomplete.length > 0 ? { incomplete: String(m.incomplete.length) } : {}),
});

export const graphFigures = (c: GraphCounters): Manifest["graph"] => ({
  requests: c.requests,
  pages: c.pages,
  retries: { ...c.retries },
  throttledSeconds: Math.round(c.throttledInMs) / 1000,
});

/** `name` says which blob, should the text not be a manifest (its text is never quoted). */
export function parseManifest(text: string, name: string): Manifest {
  let parsed: Manifest;
  try {
    parsed = JSON.parse(text) as Manifest;
  } catch {
    throw new ArchiveDataError(name, "is not valid JSON");
  }
  if (parsed === null || typeof parsed !== "object" || parsed.schemaVersion !== manifestSchemaVersion || !Array.isArray(parsed.records)) {
    throw new ArchiveDataError(name, `is not a manifest of schema version ${manifestSchemaVersion}`);
  }
  return parsed;
}

/**
 * What a committed data blob holds: its (id, version) lines, size and hash, read as a stream, line
 * by line, so a blob of any size is described in constant memory (bar the pairs themselves).
 */
export async function describeDataBlob(name: string, gzipped: Readable): Promise<{ records: ArchivedVersion[]; incomplete: IncompleteRecord[]; bytes: number; sha256: string }> {
  const tap = new HashTap();
  gzipped.on("error", (error) => tap.destroy(error));
  const records: ArchivedVersion[] = [];
  const incomplete: IncompleteRecord[] = [];
  let line = 0;
  for await (const record of dataLinesOf(name, gzipped.pipe(tap))) {
    line += 1;
    const { id, version } = record;
    if (typeof id !== "string" || typeof version !== "number") throw new ArchiveDataError(name, `record ${line} has no string id and numeric version`);
    records.push({ id, version });
    const marked = (record._archive as { incomplete?: Omit<IncompleteRecord, "id" | "version"> } | undefined)?.incomplete;
    if (marked) incomplete.push({ id, version, ...marked });
  }
  return { records, incomplete, bytes: tap.bytes, sha256: tap.sha256() };
}
