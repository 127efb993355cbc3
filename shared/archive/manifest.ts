/**
 * A manifest says what one (window, pass) harvest archived. Every job ends with one, even for an
 * empty window, so "checked, nothing there" differs from "never checked".
 */
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import type { CloudName } from "../graph/clouds.js";
import type { GraphCounters } from "../graph/graphCounters.js";
import type { jobBody } from "../core/job.js";

export const manifestSchemaVersion = 1;

export interface ArchivedVersion {
  readonly id: string;
  readonly version: number;
}

export interface Manifest {
  readonly schemaVersion: 1;
  readonly job: ReturnType<typeof jobBody>;
  readonly status: "complete" | "split";
  /** Name of the JSON Lines blob; absent when nothing new or changed was found. */
  readonly dataBlob: string | undefined;
  readonly records: readonly ArchivedVersion[];
  readonly recordCount: number;
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
  /** Set when the window was too big for one invocation and was re-enqueued as halves. */
  readonly splitInto?: readonly ReturnType<typeof jobBody>[];
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
});

export const graphFigures = (c: GraphCounters): Manifest["graph"] => ({
  requests: c.requests,
  pages: c.pages,
  retries: { ...c.retries },
  throttledSeconds: Math.round(c.throttledInMs) / 1000,
});

export function parseManifest(text: string): Manifest {
  const parsed = JSON.parse(text) as Manifest;
  if (parsed.schemaVersion !== manifestSchemaVersion || !Array.isArray(parsed.records)) {
    throw new Error(`Unreadable manifest (schemaVersion ${String(parsed.schemaVersion)})`);
  }
  return parsed;
}

/** What a committed data blob holds: its (id, version) lines, size and hash. */
export function describeDataBlob(gz: Buffer): { records: ArchivedVersion[]; bytes: number; sha256: string } {
  const lines = gunzipSync(gz).toString("utf8").split("\n").filter((l) => l !== "");
  const records = lines.map((line) => {
    const { id, version } = JSON.parse(line) as ArchivedVersion;
    return { id, version };
  });
  return { records, bytes: gz.length, sha256: createHash("sha256").update(gz).digest("hex") };
}
