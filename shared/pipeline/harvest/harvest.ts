/**
 * Harvest one job: list the window, fetch details only for records that are new or changed since
 * earlier passes, stream them gzipped to one write-once blob, then write the manifest.
 *
 * Crash-safe by construction: the data blob appears whole or not at all; the manifest is written
 * last; a re-delivered job finds its manifest (done) or its data blob (manifest repaired from it).
 */
import { setMaxListeners } from "node:events";
import { PassThrough, type Readable, pipeline } from "node:stream";
import { createGzip } from "node:zlib";
import { type ArchiveBlobKind, archiveBlobOf, dataBlobName, dayPrefixesOf, manifestBlobName } from "../../archive/archiveLayout.js";
import type { ArchiveStore } from "../../archive/archiveStore.js";
import { HashTap } from "../../archive/dataLines.js";
import type { CallRecordSummary } from "../../graph/callRecord.js";
import { forEachLimited, readAhead } from "../../core/asyncFlow.js";
import type { Clock } from "../../core/clock.js";
import type { CloudName } from "../../graph/clouds.js";
import { ArchiveBlobVanishedError, HarvestStoppedError, InvalidJobError, WaitingForEarlierPass, WindowTooBigError, isGraphPagingError, isRecordExpiredError } from "../../core/errors.js";
import type { FetchedRecord, GraphClient } from "../../graph/graphClient.js";
import type { GraphCounters } from "../../graph/graphCounters.js";
import { type Job, jobBody, jobKey, parseJobMessage } from "../../core/job.js";
import {
  type ArchivedVersion,
  type IncompleteRecord,
  type Manifest,
  manifestMetadata,
  describeDataBlob,
  graphFigures,
  manifestSchemaVersion,
  parseManifest,
} from "../../archive/manifest.js";
import { markDayIfFinal } from "./dayMarker.js";
import type { LogHarvestOutcome } from "./harvestLog.js";
import { type Incompleteness, WindowRecordFailures, isolationOf } from "./recordIsolation.js";
import type { PlanSettings, PlannedJob } from "../plan/planning.js";
import { dayInMs, floorTo, formatInstant, isSplittable, splitWindow } from "../../core/window.js";
import { finalPass, windowReadableProblem } from "../../core/passes.js";

export interface HarvestDeps {
  readonly graph: GraphClient;
  /** The counters `graph` adds to: this harvest's own. */
  readonly counters: GraphCounters;
  readonly archive: ArchiveStore;
  readonly clock: Clock;
  readonly cloud: CloudName;
  readonly timeBudgetInMs: number;
  /** Records in flight, read before each one starts: it follows the pace the governor allows. */
  readonly concurrency: () => number;
  /** Sends follow-up jobs (the halves of a split window). */
  readonly enqueue: (jobs: readonly PlannedJob[]) => Promise<void>;
  /** Stops the harvest from outside (the host shutting down); nothing partial is committed. */
  readonly signal?: AbortSignal;
  /** With the plan, the final pass of a day's windows writes the day's completion marker. */
  readonly plan?: PlanSettings;
  /** Which delivery of the job this is (0: the first; a re-sent copy counts up). */
  readonly attempt?: number;
}

export type HarvestOutcome =
  | { readonly status: "harvested" | "repaired"; readonly manifest: Manifest }
  | { readonly status: "alreadyDone" }
  | { readonly status: "split"; readonly manifest: Manifest }
  /** A telephony log's outcomes (harvestLog.ts): its manifest, or a tenant without the log. */
  | Exclude<LogHarvestOutcome, { readonly status: "alreadyDone" }>;

/** Thrown inside a harvest to abandon the upload when the time budget runs out. */
class BudgetExceeded extends Error {
  override readonly name = "BudgetExceeded";
}

const jsonLines = "application/x-ndjson";

/**
 * Three steps: decide how the job starts (already done, a data blob to repair a manifest from, or
 * a window to read), stream the window into its data blob, then settle (commit the blob, write the
 * manifest, mark the day). A time budget spent or a listing that loops ends in a split instead.
 */
export async function harvest(job: Job, deps: HarvestDeps): Promise<HarvestOutcome> {
  const start = await decideStart(job, deps);
  if (start.kind === "settled") return start.outcome;
  const streamed = await streamWindow(job, deps, start);
  if (streamed.kind === "split") return split(job, start.startedAt, deps, streamed.reason);
  return settle(job, deps, start.startedAt, streamed.window);
}

type Start =
  | { readonly kind: "settled"; readonly outcome: HarvestOutcome }
  | { readonly kind: "read"; readonly startedAt: number; readonly neighbours: readonly Neighbour[]; readonly known: ReadonlyMap<string, number> };

/** What this delivery must do, from the archive alone: nothing, a repair, or read the window. */
async function decideStart(job: Job, deps: HarvestDeps): Promise<Start> {
  const { archive, clock } = deps;
  const unreadable = windowReadableProblem(job.window, clock.now());
  if (unreadable) throw new InvalidJobError(unreadable);
  const manifestName = manifestBlobName(job);
  const done = await archive.read(manifestName);
  if (done) {
    // A split whose halves may have been lost with a crash: the halves not archived yet are sent
    // again (no queue tier is relied on to drop a repeat; Service Bus Basic has no duplicate detection).
    const manifest = parseManifest(done.toString("utf8"), manifestName);
    if (manifest.status === "split") await enqueueHalves(manifest, deps, "missingOnly");
    return { kind: "settled", outcome: { status: "alreadyDone" } };
  }
  const startedAt = clock.now();
  const existing = await archive.readStream(dataBlobName(job));
  if (existing) return { kind: "settled", outcome: await repair(job, existing, startedAt, deps) };
  const neighbours = await listNeighbours(job, archive);
  if (job.pass > 0 && !(await earlierPassComplete(job, neighbours))) {
    throw new WaitingForEarlierPass(`Pass ${job.pass - 1} of ${jobKey({ ...job, pass: job.pass - 1 })} has not archived this window yet (nor been dead-lettered); pass ${job.pass} runs after it`);
  }
  return { kind: "read", startedAt, neighbours, known: await archivedVersions(job, neighbours, archive) };
}

type Streamed = { readonly kind: "streamed"; readonly window: WindowStream } | { readonly kind: "split"; readonly reason: "timeBudget" | "listingLoop" };

/**
 * Reads the window and writes its data blob's lines, the records fetched side by side. Any failure
 * discards the upload (nothing partial is committed) and is the job's, unless it calls for a split.
 */
async function streamWindow(job: Job, deps: HarvestDeps, start: Extract<Start, { kind: "read" }>): Promise<Streamed> {
  const stream = new WindowStream(job, deps, start.startedAt, start.known);
  const stopFromOutside = () => stream.abort.abort(new HarvestStoppedError(deps.signal?.reason));
  deps.signal?.addEventListener("abort", stopFromOutside, { once: true });
  try {
    // Listing runs a page ahead of the records, and records are fetched across page boundaries:
    // the next page is on its way while this one's records are, and no page waits for its
    // slowest record before the next starts.
    await forEachLimited(stream.wanted(readAhead(deps.graph.listWindow(job.window, stream.abort.signal))), deps.concurrency, async (record) => {
      try {
        await stream.archiveRecord(record);
      } catch (error) {
        // Stops the listing and the other records at once: the job's failure is decided.
        stream.abort.abort(error);
        throw error;
      }
    });
    stream.abort.signal.throwIfAborted();
    await stream.retrySuspects();
    await stream.confirmIsolated();
    return { kind: "streamed", window: stream };
  } catch (error) {
    // The first failure is the job's cause: an upload refused mid-window surfaces in the Graph loop
    // as an abort, and its own error is the one worth reporting. A stop from outside is no failure
    // of the job, whatever a request in flight made of it.
    const cause = deps.signal?.aborted ? new HarvestStoppedError(deps.signal.reason) : (stream.upload?.failure ?? error);
    stream.abort.abort(cause);
    // Failing the input stream makes the upload reject before it commits: nothing partial is seen.
    await stream.upload?.discard(cause);
    if (cause instanceof BudgetExceeded) return { kind: "split", reason: "timeBudget" };
    // A listing that loops is tried once more as two halves: a half that lists is archived, and
    // only a half that loops again fails (a loop in a half of a loop-split window is not split).
    if (isGraphPagingError(cause) && cause.list === "list" && isSplittable(job.window) && !(await splitForLoop(job, start.neighbours))) {
      return { kind: "split", reason: "listingLoop" };
    }
    throw cause;
  } finally {
    deps.signal?.removeEventListener("abort", stopFromOutside);
  }
}

/** One window being read: what it has written so far, and the abort every request listens to. */
class WindowStream {
  readonly written: ArchivedVersion[] = [];
  readonly incomplete: IncompleteRecord[] = [];
  readonly expired: string[] = [];
  unchanged = 0;
  upload: Upload | undefined;
  /** Stops Graph requests still in flight once the job has failed: its error is decided, the rest is wasted budget. */
  readonly abort = new AbortController();
  private readonly seen = new Set<string>();
  private readonly failures: WindowRecordFailures;
  /** Records that failed for good as far as this delivery could tell: each is read once more at the end. */
  private readonly suspects: CallRecordSummary[] = [];

  constructor(
    private readonly job: Job,
    private readonly deps: HarvestDeps,
    private readonly startedAt: number,
    private readonly known: ReadonlyMap<string, number>,
  ) {
    this.failures = new WindowRecordFailures(deps.attempt ?? 0);
    // Every request in flight listens for the abort: as many as the harvest's concurrency.
    setMaxListeners(1024, this.abort.signal);
  }

  /** The listed records not archived at this version before, each once; past the time budget, BudgetExceeded. */
  async *wanted(pages: AsyncIterable<CallRecordSummary[]>): AsyncGenerator<CallRecordSummary> {
    for await (const page of pages) {
      for (const record of page) {
        if (this.seen.has(record.id)) continue;
        this.seen.add(record.id);
        if ((this.known.get(record.id) ?? -1) >= record.version) this.unchanged += 1;
        else yield record;
      }
      if (this.deps.clock.now() - this.startedAt > this.deps.timeBudgetInMs) throw new BudgetExceeded();
    }
  }

  /**
   * Records isolated with no record read after them stand only if Graph answers now (the first
   * page of the window's listing, asked again): if it does not, Graph is failing, not the records,
   * and the job fails (recordIsolation.ts).
   */
  async confirmIsolated(): Promise<void> {
    if (this.failures.unconfirmed) await this.graphAnswers();
  }

  /**
   * A record that failed for good, as far as the window's reading could tell, is read once more
   * at the end, once Graph has answered the window's listing again: an outage that caught it and
   * then passed (the window's other records read after it) costs nothing; a record that fails
   * again, with Graph answering, is archived incomplete (recordIsolation.ts).
   */
  async retrySuspects(): Promise<void> {
    if (this.suspects.length === 0) return;
    await this.graphAnswers();
    for (const record of this.suspects.splice(0)) await this.archiveRecord(record, true);
  }

  /** Asks Graph for the first page of the window's listing; throws if it does not answer. */
  private async graphAnswers(): Promise<void> {
    const pages = this.deps.graph.listWindow(this.job.window, this.abort.signal)[Symbol.asyncIterator]();
    try {
      await pages.next();
    } finally {
      await pages.return?.(undefined);
    }
  }

  /**
   * Fetches one record in full and writes its line; a record that cannot be read whole is isolated
   * (recordIsolation.ts): at once when its answers are over the cap, after a second reading
   * (`lastChance`, retrySuspects) when it keeps failing.
   */
  async archiveRecord(record: CallRecordSummary, lastChance = false): Promise<void> {
    const { deps, job, abort } = this;
    let item: FetchedRecord | undefined;
    let incomplete: Incompleteness | undefined;
    try {
      item = await deps.graph.getRecord(record.id, abort.signal);
    } catch (error) {
      if (isRecordExpiredError(error)) {
        this.expired.push(record.id);
        return;
      }
      // One record that cannot be read costs that record, unless the job has failed already or
      // the failure is not one record's.
      const isolation = abort.signal.aborted ? undefined : isolationOf(error);
      if (isolation === undefined || (isolation === "recordFailing" && this.failures.recordFailed() === "failJob" && !lastChance)) throw error;
      if (isolation === "recordFailing" && !lastChance) {
        this.suspects.push(record);
        return;
      }
      incomplete = { reason: isolation };
    }
    if (item) {
      this.failures.recordRead();
      if (item.loop) incomplete = { reason: "pagingLoop", list: item.loop.list, pagesRead: item.loop.pagesRead };
    }
    // A record answered after the job failed is not written: the upload it would start now
    // would come after the failed job's discard, and be left open.
    abort.signal.throwIfAborted();
    this.upload ??= startUpload(deps.archive, dataBlobName(job), (failure) => abort.abort(failure));
    // Incomplete: as far as it was read, or its list entry when its own GET failed.
    const document = item?.document ?? record;
    const line = {
      ...document,
      _archive: {
        harvestedAt: formatInstant(deps.clock.now()),
        window: { start: formatInstant(job.window.startInMs), end: formatInstant(job.window.endInMs) },
        pass: job.pass,
        cloud: deps.cloud,
        participantsListed: item?.participantsListed ?? false,
        ...(incomplete ? { incomplete } : {}),
      },
    };
    await this.upload.write(`${JSON.stringify(line)}\n`);
    this.written.push({ id: document.id, version: document.version });
    if (incomplete) this.incomplete.push({ id: document.id, version: document.version, ...incomplete });
  }
}

/** Commits the data blob (if any record was written), writes the manifest, and marks the day when this was its final pass. */
async function settle(job: Job, deps: HarvestDeps, startedAt: number, window: WindowStream): Promise<HarvestOutcome> {
  const dataName = dataBlobName(job);
  let committed: { bytes: number; sha256: string } | undefined;
  if (window.upload) {
    const done = await window.upload.finish();
    if (done.result === "exists") {
      // Another delivery of this job committed first: its blob is the truth.
      const theirs = await deps.archive.readStream(dataName);
      if (!theirs) throw new ArchiveBlobVanishedError(dataName);
      return repair(job, theirs, startedAt, deps);
    }
    committed = done;
  }
  const manifest = buildManifest(job, startedAt, deps, {
    kind: "complete",
    dataBlob: committed ? dataName : undefined,
    records: window.written,
    incomplete: window.incomplete,
    expired: window.expired,
    unchanged: window.unchanged,
    bytes: committed?.bytes ?? 0,
    sha256: committed?.sha256,
  });
  if ((await writeManifest(job, manifest, deps)) === "exists") return { status: "alreadyDone" };
  if (deps.plan && job.pass === finalPass(job.window, deps.plan)) await markDayIfFinal(deps.archive, floorTo(job.window.startInMs, dayInMs), deps.plan, deps.clock.now(), job.tenant);
  return { status: "harvested", manifest };
}

interface Upload {
  /** Writes one line, waiting while the upload is behind; rejects once the upload has failed. */
  write(text: string): Promise<void>;
  /** Ends the input and waits for the commit. */
  finish(): Promise<{ result: "created" | "exists"; bytes: number; sha256: string }>;
  /** Fails the input so the upload rejects without committing, and waits until it has. */
  discard(cause: unknown): Promise<void>;
  /** Why the upload failed, once it has. */
  readonly failure: Error | undefined;
}

/**
 * The data blob's upload: lines → gzip → hash tap → the store, one pipeline, so an error anywhere
 * destroys every stage and reaches the store's upload, which then rejects without committing. The
 * upload's promise is handled from the start: a refusal mid-window calls `onFailure` (which stops
 * the Graph loop) instead of going unhandled.
 */
function startUpload(archive: ArchiveStore, name: string, onFailure: (error: Error) => void): Upload {
  const input = new PassThrough({ highWaterMark: 1 << 20 });
  const tap = new HashTap();
  let failure: Error | undefined;
  const fail = (error: unknown) => {
    failure ??= error instanceof Error ? error : new Error(String(error));
    onFailure(failure);
  };
  // The callback owns every stage's error; the store's rejection below carries it to the job.
  const output = pipeline(input, createGzip(), tap, (error) => {
    if (error) fail(error);
  });
  const done = archive.createFromStream(name, output, jsonLines).then((result) => ({ result, bytes: tap.bytes, sha256: tap.sha256() }));
  done.catch(fail);
  return {
    get failure() {
      return failure;
    },
    async write(text) {
      if (failure) throw failure;
      if (!input.write(text)) await drained(input);
      if (failure) throw failure;
    },
    finish() {
      input.end();
      return done;
    },
    async discard(cause) {
      input.destroy(cause instanceof Error ? cause : new Error(String(cause)));
      await done.catch(() => undefined);
    },
  };
}

/** Resolves on `drain`; rejects on `error` or `close`, so a failed upload never leaves a writer waiting. */
function drained(stream: PassThrough): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const settle = (error?: Error) => {
      stream.off("drain", onDrain);
      stream.off("error", onError);
      stream.off("close", onClose);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = () => settle();
    const onError = (error: Error) => settle(error);
    const onClose = () => settle(new Error("the upload stream closed before the window was written"));
    stream.on("drain", onDrain);
    stream.on("error", onError);
    stream.on("close", onClose);
  });
}

interface Neighbour {
  readonly name: string;
  readonly job: Job;
  readonly kind: ArchiveBlobKind;
  /** A manifest's content, read once however often it is asked for. */
  readonly manifest: () => Promise<Manifest | undefined>;
}

/** Manifests and data blobs of every window overlapping this one, from its day partitions. */
async function listNeighbours(job: Job, archive: ArchiveStore): Promise<Neighbour[]> {
  const overlaps = (other: Job) => other.window.startInMs < job.window.endInMs && other.window.endInMs > job.window.startInMs;
  const neighbours: Neighbour[] = [];
  for (const prefix of dayPrefixesOf(job.window, job)) {
    for (const name of await archive.list(prefix)) {
      const blob = archiveBlobOf(name);
      if (!blob || !overlaps(blob.job)) continue;
      let read: Promise<Manifest | undefined> | undefined;
      const manifest = () => (read ??= archive.read(name).then((text) => text && parseManifest(text.toString("utf8"), name)));
      neighbours.push({ name, ...blob, manifest });
    }
  }
  return neighbours;
}

/** True when this window is a half of a window of the same pass split because its listing looped. */
async function splitForLoop(job: Job, neighbours: readonly Neighbour[]): Promise<boolean> {
  for (const n of neighbours) {
    const contains = n.job.window.startInMs <= job.window.startInMs && n.job.window.endInMs >= job.window.endInMs && jobKey(n.job) !== jobKey(job);
    if (n.kind === "manifest" && n.job.pass === job.pass && contains && (await n.manifest())?.splitReason === "listingLoop") return true;
  }
  return false;
}

/**
 * True when the pass before this one is settled over this window (its halves included): archived
 * completely, or given up (dead-lettered, with its lasting record), so that it never holds the
 * later passes back for good.
 */
async function earlierPassComplete(job: Job, neighbours: readonly Neighbour[]): Promise<boolean> {
  const covered: [number, number][] = [];
  for (const n of neighbours) {
    // A chain record only says the pass was retried: not settled.
    if (n.kind === "data" || n.kind === "chain" || n.job.pass !== job.pass - 1) continue;
    if (n.kind === "deadLetter" || (await n.manifest())?.status === "complete") covered.push([n.job.window.startInMs, n.job.window.endInMs]);
  }
  let reached = job.window.startInMs;
  for (const [start, end] of covered.sort((a, b) => a[0] - b[0])) if (start <= reached) reached = Math.max(reached, end);
  return reached >= job.window.endInMs;
}

/**
 * The newest archived version of each record this harvest must not archive again: what earlier
 * passes over any overlapping window wrote, and what a same-pass delivery of the window this one
 * was split from committed before the split was recorded (a redelivery racing the split).
 */
async function archivedVersions(job: Job, neighbours: readonly Neighbour[], archive: ArchiveStore): Promise<Map<string, number>> {
  const known = new Map<string, number>();
  // An incomplete record is tried again by every later pass, whatever its version.
  const add = (records: readonly ArchivedVersion[], incomplete: readonly ArchivedVersion[] = []) => {
    const retry = new Set(incomplete.map((r) => `${r.id}@${r.version}`));
    for (const { id, version } of records) if (!retry.has(`${id}@${version}`) && (known.get(id) ?? -1) < version) known.set(id, version);
  };
  const contains = (other: Job) =>
    other.window.startInMs <= job.window.startInMs && other.window.endInMs >= job.window.endInMs && jobKey(other) !== jobKey(job);
  for (const n of neighbours) {
    if (n.kind === "manifest" && n.job.pass < job.pass) {
      const manifest = await n.manifest();
      add(manifest?.records ?? [], manifest?.incomplete);
    } else if (n.kind === "data" && n.job.pass === job.pass && contains(n.job)) {
      const blob = await archive.readStream(n.name);
      if (blob) {
        const described = await describeDataBlob(n.name, blob);
        add(described.records, described.incomplete);
      }
    }
  }
  return known;
}

/** A committed data blob without its manifest (a crash in between, or another delivery's blob): the manifest is rebuilt from it. */
async function repair(job: Job, blob: Readable, startedAt: number, deps: HarvestDeps): Promise<HarvestOutcome> {
  const { records, incomplete, bytes, sha256 } = await describeDataBlob(dataBlobName(job), blob);
  const manifest = buildManifest(job, startedAt, deps, { kind: "complete", dataBlob: dataBlobName(job), records, incomplete, expired: [], unchanged: 0, bytes, sha256, repairedFromBlob: true });
  if ((await writeManifest(job, manifest, deps)) === "exists") return { status: "alreadyDone" };
  return { status: "repaired", manifest };
}

/**
 * Records the split, then sends the halves: a crash in between leaves a split manifest whose next
 * delivery sends the halves again, never a whole window archived alongside its halves.
 */
async function split(job: Job, startedAt: number, deps: HarvestDeps, reason: "timeBudget" | "listingLoop"): Promise<HarvestOutcome> {
  if (!isSplittable(job.window)) throw new WindowTooBigError(job.window, deps.timeBudgetInMs);
  const halves: Job[] = splitWindow(job.window).map((window) => ({ window, pass: job.pass }));
  const manifest = buildManifest(job, startedAt, deps, { kind: "split", halves, reason });
  const name = manifestBlobName(job);
  if ((await writeManifest(job, manifest, deps)) === "exists") {
    // Another delivery finished first: its manifest decides (and a split one sends its halves).
    const text = await deps.archive.read(name);
    if (!text) throw new ArchiveBlobVanishedError(name);
    const theirs = parseManifest(text.toString("utf8"), name);
    if (theirs.status === "split") await enqueueHalves(theirs, deps, "missingOnly");
    return { status: "alreadyDone" };
  }
  await enqueueHalves(manifest, deps);
  return { status: "split", manifest };
}

/** Sends a split's halves: both when the split is new, else those without a manifest yet. */
async function enqueueHalves(manifest: Manifest, deps: HarvestDeps, which: "both" | "missingOnly" = "both"): Promise<void> {
  let halves = (manifest.splitInto ?? []).map((body) => parseJobMessage(body));
  if (which === "missingOnly") {
    const archived = await Promise.all(halves.map(async (half) => (await deps.archive.read(manifestBlobName(half))) !== undefined));
    halves = halves.filter((_, i) => !archived[i]);
  }
  if (halves.length > 0) await deps.enqueue(halves.map((h) => ({ job: h, notBeforeInMs: undefined })));
}

/**
 * Writes a job's manifest, create-only. "exists": another delivery of the same job wrote it first
 * (the store answers that only for a name already taken); any other refusal is thrown.
 */
const writeManifest = (job: Job, manifest: Manifest, deps: HarvestDeps) =>
  deps.archive.createText(manifestBlobName(job), `${JSON.stringify(manifest, null, 2)}\n`, "application/json", manifestMetadata(manifest));

type ManifestContent =
  | {
      readonly kind: "complete";
      readonly dataBlob: string | undefined;
      readonly records: readonly ArchivedVersion[];
      readonly incomplete: readonly IncompleteRecord[];
      readonly expired: readonly string[];
      readonly unchanged: number;
      readonly bytes: number;
      readonly sha256: string | undefined;
      readonly repairedFromBlob?: true;
    }
  | { readonly kind: "split"; readonly halves: readonly Job[]; readonly reason: "timeBudget" | "listingLoop" };

/** The one place a manifest is built: a harvested or repaired window's, or a split's. */
function buildManifest(job: Job, startedAt: number, deps: HarvestDeps, content: ManifestContent): Manifest {
  const finished = deps.clock.now();
  const base = {
    schemaVersion: manifestSchemaVersion,
    job: jobBody(job),
    graph: graphFigures(deps.counters),
    startedAt: formatInstant(startedAt),
    finishedAt: formatInstant(finished),
    durationMs: finished - startedAt,
    cloud: deps.cloud,
  } as const;
  if (content.kind === "split") {
    return {
      ...base,
      status: "split",
      dataBlob: undefined,
      records: [],
      recordCount: 0,
      expired: [],
      unchanged: 0,
      bytes: 0,
      sha256: undefined,
      splitInto: content.halves.map((h) => jobBody(h)),
      splitReason: content.reason,
    };
  }
  return {
    ...base,
    status: "complete",
    dataBlob: content.dataBlob,
    records: [...content.records],
    recordCount: content.records.length,
    ...(content.incomplete.length > 0 ? { incomplete: [...content.incomplete] } : {}),
    expired: [...content.expired],
    unchanged: content.unchanged,
    bytes: content.bytes,
    sha256: content.sha256,
    ...(content.repairedFromBlob ? { repairedFromBlob: true } : {}),
  };
}
