/**
 * A telephony log's manifest: what one (day, pass) of a log archived. As for call records, every
 * job ends with one, so "checked, nothing there" differs from "never checked", and "the tenant has
 * no such log" (Graph answered 404) is a third answer, recorded rather than retried.
 */
import type { Readable } from "node:stream";
import { createHash } from "node:crypto";
import { ArchiveDataError } from "../core/errors.js";
import type { CloudName } from "../graph/clouds.js";
import type { jobBody } from "../core/job.js";
import type { Manifest } from "./manifest.js";
import { HashTap, type JsonLine, dataLinesOf } from "./dataLines.js";

export interface LogManifest {
  readonly schemaVersion: 1;
  readonly job: ReturnType<typeof jobBody>;
  /** `unsupported`: Graph answered 404 for the log's function (no such log in this tenant or cloud). */
  readonly status: "complete" | "unsupported";
  /** Name of the JSON Lines blob; absent when no row was new or changed. */
  readonly dataBlob: string | undefined;
  /** Rows written: new, or changed since an earlier pass. */
  readonly recordCount: number;
  /** Rows Graph answered, repeats and rows outside the window included. */
  readonly rowsAnswered: number;
  /** Rows an earlier pass archived with the same content. */
  readonly unchanged: number;
  /** Rows answered more than once in this pass (paging with `$skip` over a growing log): the last answer is kept. */
  readonly repeated: number;
  /** Rows answered that started outside the window: at its end, where Graph's end is inclusive. */
  readonly outsideWindow: number;
  /** Always empty: kept so every manifest reads alike. */
  readonly expired: readonly string[];
  readonly bytes: number;
  readonly sha256: string | undefined;
  readonly graph: Manifest["graph"];
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly cloud: CloudName;
  /** Graph's answer when the log is unsupported: its status and error code. */
  readonly unsupported?: { readonly status: number; readonly code: string | undefined };
  readonly repairedFromBlob?: boolean;
}

/** Listed with the manifest's name, as call records' manifests are (manifest.ts). */
export const logManifestMetadata = (m: LogManifest): Record<string, string> => ({ status: m.status, records: String(m.recordCount), bytes: String(m.bytes) });

export function parseLogManifest(text: string, name: string): LogManifest {
  let parsed: LogManifest;
  try {
    parsed = JSON.parse(text) as LogManifest;
  } catch {
    throw new ArchiveDataError(name, "is not valid JSON");
  }
  if (parsed === null || typeof parsed !== "object" || parsed.schemaVersion !== 1 || (parsed.status !== "complete" && parsed.status !== "unsupported")) {
    throw new ArchiveDataError(name, "is not a telephony log manifest of schema version 1");
  }
  return parsed;
}

/** The row a line holds: the line without what the archiver added. */
export function rowOfLine(line: JsonLine): JsonLine {
  const row = { ...line };
  delete row._archive;
  return row;
}

/** The digest of a row's JSON text. */
export const textDigest = (json: string): string => createHash("sha256").update(json).digest("base64url");

/** A row's content digest: equal digests, equal rows (the key order is Graph's, kept as sent). */
export const rowDigest = (row: JsonLine): string => textDigest(JSON.stringify(row));

/** A row's identity: its `id`, or its digest when Graph sent none (it is then kept, never merged). */
export const rowKey = (row: JsonLine, digest: string): string => (typeof row.id === "string" ? `id:${row.id}` : `digest:${digest}`);

/** Every row a committed data blob holds, by identity, with the digest of the last line for it. */
export async function digestsOfBlob(name: string, gzipped: Readable, into: Map<string, string>): Promise<void> {
  for await (const line of dataLinesOf(name, gzipped)) {
    const row = rowOfLine(line);
    const digest = rowDigest(row);
    into.set(rowKey(row, digest), digest);
  }
}

/** A committed data blob's rows, size and hash, for a manifest rebuilt after a crash. */
export async function describeLogBlob(name: string, gzipped: Readable): Promise<{ rows: number; bytes: number; sha256: string }> {
  const tap = new HashTap();
  gzipped.on("error", (error) => tap.destroy(error));
  let rows = 0;
  const lines = dataLinesOf(name, gzipped.pipe(tap));
  while (!(await lines.next()).done) rows += 1;
  return { rows, bytes: tap.bytes, sha256: tap.sha256() };
}
