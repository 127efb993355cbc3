/**
 * Harvest one job of a telephony log (core/sources.ts): read the log's rows for a day, keep those
 * that started in it, write the rows new or changed since the day's earlier passes to one
 * write-once blob, then the manifest.
 *
 * Rows have no version: a row's identity is its `id`, and a re-read that finds different content
 * archives it again, as a new line; the views keep the last one seen. A tenant without the log
 * (Graph answers 404 on its function) gets an `unsupported` manifest: the pass is settled, status
 * reports it, and the next day's job asks again. A 403 is a missing permission and fails the job
 * by name, as for call records.
 *
 * Crash-safe as call records' harvest is: the data blob appears whole or not at all, the manifest
 * comes last, and a delivery that finds the data blob without its manifest rebuilds the manifest.
 */
import { Readable } from "node:stream";
import { createGzip } from "node:zlib";
import { dataBlobName, deadLetterBlobName, manifestBlobName } from "../../archive/archiveLayout.js";
import type { ArchiveStore } from "../../archive/archiveStore.js";
import { HashTap } from "../../archive/dataLines.js";
import { graphFigures } from "../../archive/manifest.js";
import { type LogManifest, describeLogBlob, digestsOfBlob, logManifestMetadata, parseLogManifest, rowKey, textDigest } from "../../archive/logManifest.js";
import type { Clock } from "../../core/clock.js";
import { ArchiveBlobVanishedError, type GraphRequestError, InvalidJobError, WaitingForEarlierPass, isGraphRequestError } from "../../core/errors.js";
import { type Job, jobBody, jobKey } from "../../core/job.js";
import { finalPass, windowReadableProblem } from "../../core/passes.js";
import { dayMarkerName } from "./dayMarker.js";
import { type LogSourceName, logSources, rowInWindow, rowStartInMs } from "../../core/sources.js";
import { formatInstant } from "../../core/window.js";
import type { CloudName } from "../../graph/clouds.js";
import type { GraphClient } from "../../graph/graphClient.js";
import type { GraphCounters } from "../../graph/graphCounters.js";
import type { PlanSettings } from "../plan/planning.js";

export interface LogHarvestDeps {
  readonly graph: GraphClient;
  readonly counters: GraphCounters;
  readonly archive: ArchiveStore;
  readonly clock: Clock;
  readonly cloud: CloudName;
  /** The log's plan: its horizon decides whether the day can still be read. */
  readonly plan: PlanSettings;
  readonly signal?: AbortSignal;
}

export type LogJob = Job & { readonly source: LogSourceName };

export type LogHarvestOutcome =
  | { readonly status: "harvested" | "repaired" | "unsupported"; readonly manifest: LogManifest }
  | { readonly status: "alreadyDone" };

const jsonLines = "application/x-ndjson";

export async function harvestLog(job: LogJob, deps: LogHarvestDeps): Promise<LogHarvestOutcome> {
  const { archive, clock } = deps;
  const unreadable = windowReadableProblem(job.window, clock.now(), deps.plan.horizonInMs);
  if (unreadable) throw new InvalidJobError(`${logSources[job.source].label}: ${unreadable}`);
  if (await archive.read(manifestBlobName(job))) return { status: "alreadyDone" };
  const startedAt = clock.now();
  const existing = await archive.readStream(dataBlobName(job));
  if (existing) return repair(job, existing, startedAt, deps);
  const earlier = await earlierDigests(job, archive);

  // The last content answered per row in this pass: a row answered twice (paging with `$skip`
  // over a log still growing) counts once, as Graph answered it last. Kept as its JSON text, not
  // the parsed page: a day of 50,000 rows is held here (npm run bench:logs measures it).
  const answered = new Map<string, { readonly digest: string; readonly json: string }>();
  let rowsAnswered = 0;
  let outsideWindow = 0;
  try {
    for await (const page of deps.graph.listLog(job.source, job.window, deps.signal)) {
      for (const row of page) {
        rowsAnswered += 1;
        const startInMs = rowStartInMs(row.startDateTime);
        // A row whose start cannot be read is kept where Graph answered it: nothing is lost.
        if (startInMs !== undefined && !rowInWindow(startInMs, job.window)) {
          outsideWindow += 1;
          continue;
        }
        const json = JSON.stringify(row);
        const digest = textDigest(json);
        const key = rowKey(row, digest);
        answered.delete(key);
        answered.set(key, { digest, json });
      }
    }
  } catch (error) {
    if (isLogUnsupported(error)) return settleUnsupported(job, startedAt, deps, error.status, error.graphCode);
    throw error;
  }
  // What the archiver adds to each line, spliced into the row's own text as its last member.
  const archiveInfo = JSON.stringify({ source: job.source, harvestedAt: formatInstant(clock.now()), window: windowText(job), pass: job.pass, cloud: deps.cloud });
  const written: string[] = [];
  let unchanged = 0;
  for (const [key, { digest }] of answered) {
    if (earlier.get(key) === digest) unchanged += 1;
    else written.push(key);
  }
  const lines = function* () {
    for (const key of written) {
      const json = answered.get(key)?.json ?? "{}";
      yield json === "{}" ? `{"_archive":${archiveInfo}}\n` : `${json.slice(0, -1)},"_archive":${archiveInfo}}\n`;
    }
  };
  const repeated = rowsAnswered - outsideWindow - answered.size;
  let committed: { bytes: number; sha256: string } | undefined;
  if (written.length > 0) {
    const result = await writeData(archive, dataBlobName(job), lines());
    if (result === "exists") {
      const theirs = await archive.readStream(dataBlobName(job));
      if (!theirs) throw new ArchiveBlobVanishedError(dataBlobName(job));
      return repair(job, theirs, startedAt, deps);
    }
    committed = result;
  }
  const manifest = buildLogManifest(job, startedAt, deps, {
    status: "complete",
    dataBlob: committed ? dataBlobName(job) : undefined,
    recordCount: written.length,
    rowsAnswered,
    unchanged,
    repeated,
    outsideWindow,
    bytes: committed?.bytes ?? 0,
    sha256: committed?.sha256,
  });
  if ((await writeManifest(job, manifest, deps)) === "exists") return { status: "alreadyDone" };
  return { status: "harvested", manifest };
}

const windowText = (job: Job) => ({ start: formatInstant(job.window.startInMs), end: formatInstant(job.window.endInMs) });

/**
 * Digests of the rows the day's earlier passes archived, by identity (the last pass's wins). Pass k
 * runs after pass k − 1 is settled, archived or given up, as for call records: otherwise it would
 * archive the same rows twice.
 */
async function earlierDigests(job: LogJob, archive: ArchiveStore): Promise<Map<string, string>> {
  const digests = new Map<string, string>();
  if (job.pass === 0) return digests;
  const before: LogJob = { ...job, pass: job.pass - 1 };
  const settled = (await archive.read(manifestBlobName(before))) !== undefined || (await archive.read(deadLetterBlobName(before))) !== undefined;
  if (!settled) {
    throw new WaitingForEarlierPass(`Pass ${before.pass} of ${logSources[job.source].label} ${jobKey(before)} has not archived this day yet (nor been dead-lettered); pass ${job.pass} runs after it`);
  }
  for (let pass = 0; pass < job.pass; pass += 1) {
    const name = dataBlobName({ ...job, pass });
    const blob = await archive.readStream(name);
    if (blob) await digestsOfBlob(name, blob, digests);
  }
  return digests;
}

/** Gzips the lines (each ending in a newline) and creates the blob write-once. */
async function writeData(archive: ArchiveStore, name: string, lines: Iterable<string>): Promise<{ bytes: number; sha256: string } | "exists"> {
  const tap = new HashTap();
  const gzip = createGzip();
  const content = Readable.from(lines).pipe(gzip).pipe(tap);
  const result = await archive.createFromStream(name, content, jsonLines);
  return result === "exists" ? "exists" : { bytes: tap.bytes, sha256: tap.sha256() };
}

/**
 * Writes the manifest; after the day's final pass (the last re-read its horizon leaves room for),
 * also the day's marker, `day=DD/_SUCCESS.json`: every pass reads the whole day, so the final one
 * leaves the day as Graph will keep it, and the day can be curated.
 */
async function writeManifest(job: LogJob, manifest: LogManifest, deps: LogHarvestDeps) {
  const result = await deps.archive.createText(manifestBlobName(job), JSON.stringify(manifest, null, 2), "application/json", logManifestMetadata(manifest));
  if (job.pass === finalPass(job.window, deps.plan)) {
    const marker = { final: true, day: formatInstant(job.window.startInMs).slice(0, 10), source: job.source, passes: Array.from({ length: job.pass + 1 }, (_, i) => i), markedAt: formatInstant(deps.clock.now()) };
    await deps.archive.createText(dayMarkerName(job.window.startInMs, job), `${JSON.stringify(marker, null, 2)}\n`, "application/json");
  }
  return result;
}

/**
 * True when Graph says the log is not there: 404 on its function (a tenant without PSTN calling or
 * Direct Routing), a cloud whose Graph does not know the function at all ("Resource not found for
 * the segment", answered 400), or an endpoint that does not serve it (405, 501: a Graph-compatible
 * endpoint without the logs). Which clouds serve which log has differed between revisions of the
 * documentation: the answer decides, not a list. None of these is retried: the next day asks again.
 */
const unsupportedStatuses = new Set([404, 405, 501]);
const isLogUnsupported = (error: unknown): error is GraphRequestError =>
  isGraphRequestError(error) &&
  ((error.status !== undefined && unsupportedStatuses.has(error.status)) || (error.status === 400 && /not found for the segment/i.test(error.message)));

async function settleUnsupported(job: LogJob, startedAt: number, deps: LogHarvestDeps, status: number | undefined, code: string | undefined): Promise<LogHarvestOutcome> {
  const manifest = buildLogManifest(job, startedAt, deps, {
    status: "unsupported",
    dataBlob: undefined,
    recordCount: 0,
    rowsAnswered: 0,
    unchanged: 0,
    repeated: 0,
    outsideWindow: 0,
    bytes: 0,
    sha256: undefined,
    unsupported: { status: status ?? 404, code },
  });
  if ((await writeManifest(job, manifest, deps)) === "exists") return { status: "alreadyDone" };
  return { status: "unsupported", manifest };
}

async function repair(job: LogJob, blob: Readable, startedAt: number, deps: LogHarvestDeps): Promise<LogHarvestOutcome> {
  const name = dataBlobName(job);
  const { rows, bytes, sha256 } = await describeLogBlob(name, blob);
  const manifest = buildLogManifest(job, startedAt, deps, {
    status: "complete",
    dataBlob: name,
    recordCount: rows,
    rowsAnswered: rows,
    unchanged: 0,
    repeated: 0,
    outsideWindow: 0,
    bytes,
    sha256,
    repairedFromBlob: true,
  });
  if ((await writeManifest(job, manifest, deps)) === "exists") return { status: "alreadyDone" };
  return { status: "repaired", manifest };
}

type LogManifestContent = Omit<LogManifest, "schemaVersion" | "job" | "graph" | "startedAt" | "finishedAt" | "durationMs" | "cloud" | "expired">;

function buildLogManifest(job: Job, startedAt: number, deps: LogHarvestDeps, content: LogManifestContent): LogManifest {
  const finished = deps.clock.now();
  return {
    schemaVersion: 1,
    job: jobBody(job),
    ...content,
    expired: [],
    graph: graphFigures(deps.counters),
    startedAt: formatInstant(startedAt),
    finishedAt: formatInstant(finished),
    durationMs: finished - startedAt,
    cloud: deps.cloud,
  };
}

/** Reads a log's manifest, if the (day, pass) has one. */
export async function readLogManifest(archive: ArchiveStore, job: LogJob): Promise<LogManifest | undefined> {
  const name = manifestBlobName(job);
  const text = await archive.read(name);
  return text && parseLogManifest(text.toString("utf8"), name);
}
