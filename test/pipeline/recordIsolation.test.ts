import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, it } from "node:test";
import functions from "@azure/functions";
import { makeHarvestHandler } from "../../functions/harvestHandler.js";
import { dataBlobName, deadLetterBlobName, manifestBlobName } from "../../shared/archive/archiveLayout.js";
import { type ArchiveStore, folderArchiveStore } from "../../shared/archive/archiveStore.js";
import { parseManifest } from "../../shared/archive/manifest.js";
import { loadArchiverConfig } from "../../shared/config/config.js";
import { GraphAnswerTooLargeError, GraphRequestError, GraphResponseError } from "../../shared/core/errors.js";
import { type Job, jobBody } from "../../shared/core/job.js";
import { defaultJobRetryOptions } from "../../shared/pipeline/harvest/jobRetryPolicy.js";
import { createGraphRuntime } from "../../shared/graph/graphSetup.js";
import { newGraphCounters } from "../../shared/graph/graphCounters.js";
import { type HarvestOutcome, harvest } from "../../shared/pipeline/harvest/harvest.js";
import { WindowRecordFailures, isolationOf } from "../../shared/pipeline/harvest/recordIsolation.js";
import { type FaultOptions, recordFaultOf } from "../../sandbox/faults.js";
import { hash32 } from "../../sandbox/random.js";
import { type Sandbox, startSandbox } from "../../sandbox/server.js";
import { ManualClock } from "../../sandbox/tenant.js";
import { clockAt, sandboxEnv } from "../support/graph.js";

const now = Date.parse("2026-11-27T12:00:00Z");
const window = { startInMs: Date.parse("2026-11-26T06:00:00Z"), endInMs: Date.parse("2026-11-26T12:00:00Z") };
const pass = (n: number): Job => ({ window, pass: n });

interface Line {
  id: string;
  version: number;
  sessions?: unknown[];
  _archive: { pass: number; incomplete?: { reason: string; list?: string; pagesRead?: number } };
}

/** A line without the archiver's own `_archive`: the document as Graph answered it. */
const documentOf = (line: Line): Record<string, unknown> => {
  const document: Record<string, unknown> = { ...line };
  delete document._archive;
  return document;
};

async function linesOf(archive: ArchiveStore, job: Job): Promise<Line[]> {
  const blob = await archive.read(dataBlobName(job));
  if (!blob) return [];
  return gunzipSync(blob).toString("utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as Line);
}

/** Harvests jobs from a sandbox with these faults into a fresh folder; the halves of a split are kept in `enqueued`. */
async function withFaults(faults: FaultOptions, body: (run: (job: Job, attempt?: number) => Promise<HarvestOutcome>, sandbox: Sandbox, archive: ArchiveStore, enqueued: Job[]) => Promise<void>, concurrency = 4) {
  const sandbox = await startSandbox({ seed: "isolation", clock: new ManualClock(now), callsPerDay: 300, throttle: false, emptyPageRate: 0, faults });
  const root = await mkdtemp(join(tmpdir(), "isolation-"));
  try {
    const config = loadArchiverConfig(sandboxEnv(sandbox, { ARCHIVER_GRAPH_PAGE_SIZE: "10", ARCHIVER_GRAPH_MAX_ATTEMPTS: "2", ARCHIVER_GRAPH_RETRY_BASE_MS: "5", ARCHIVER_GRAPH_MAX_BODY_MB: "1" }));
    const graph = createGraphRuntime(config, { ca: sandbox.ca });
    const archive = folderArchiveStore(root);
    const enqueued: Job[] = [];
    const run = (job: Job, attempt = 0) => {
      const counters = newGraphCounters();
      const enqueue = async (jobs: readonly { job: Job }[]) => void enqueued.push(...jobs.map((j) => j.job));
      return harvest(job, { graph: graph.newClient(counters), counters, archive, clock: clockAt(now), cloud: "Global", timeBudgetInMs: 600_000, concurrency: () => concurrency, enqueue, attempt });
    };
    await body(run, sandbox, archive, enqueued);
  } finally {
    await sandbox.close();
    await rm(root, { recursive: true, force: true });
  }
}

const faultOf = (faults: FaultOptions, id: string) => recordFaultOf(faults, id, hash32);

describe("a bad record costs that record, not its window", () => {
  const faults: FaultOptions = { loopingRecordRate: 0.05, oversizedRecordRate: 0.05, failingRecordRate: 0.05 };

  it("looping, oversized and failing records are archived incomplete (a failing one on the job's second delivery), each named in the manifest; every other record is archived whole", async () => {
    await withFaults(faults, async (run, sandbox, archive) => {
      const truth = sandbox.tenant.groundTruth(window.startInMs, window.endInMs);
      const bad = new Map(truth.map((t) => [t.id, faultOf(faults, t.id)] as const).filter(([, f]) => f !== undefined));
      assert.ok(new Set(bad.values()).size === 3, `the draw gave faults ${[...new Set(bad.values())].join(", ")}: all three kinds are needed`);
      // A record that fails after its own retries fails the job's first delivery: a passing fault
      // gets the job retry policy's delay to pass. The re-sent copy isolates it.
      await assert.rejects(run(pass(0)), /Graph request failed after 2 attempts \(last: HTTP 500\)/);
      assert.equal(await archive.read(dataBlobName(pass(0))), undefined);
      const outcome = await run(pass(0), 1);
      assert.equal(outcome.status, "harvested");
      const lines = await linesOf(archive, pass(0));
      assert.deepEqual(lines.map((l) => `${l.id}@${l.version}`).sort(), truth.map((t) => `${t.id}@${t.version}`).sort(), "a record is missing");
      for (const line of lines) {
        const fault = bad.get(line.id);
        const truthDocument = truth.find((t) => t.id === line.id)?.document;
        if (fault === undefined) {
          assert.equal(line._archive.incomplete, undefined);
          assert.deepEqual(documentOf(line), truthDocument, `record ${line.id} is not archived whole`);
        } else if (fault === "loop") {
          assert.deepEqual(line._archive.incomplete, { reason: "pagingLoop", list: "sessions", pagesRead: 2 });
          assert.deepEqual(line.sessions, (truthDocument?.sessions as unknown[]).slice(0, line.sessions?.length), "the sessions read before the loop are not Graph's");
        } else {
          assert.deepEqual(line._archive.incomplete, { reason: fault === "oversized" ? "answerTooLarge" : "recordFailing" });
          assert.equal(line.sessions, undefined, "an incomplete record whose GET failed is its list entry");
        }
      }
      const manifest = parseManifest(((await archive.read(manifestBlobName(pass(0)))) as Buffer).toString("utf8"), "manifest");
      const reasonOf = { loop: "pagingLoop", oversized: "answerTooLarge", failing: "recordFailing" } as const;
      assert.deepEqual(
        (manifest.incomplete ?? []).map((r) => `${r.id}:${r.reason}`).sort(),
        [...bad].map(([id, fault]) => `${id}:${reasonOf[fault as keyof typeof reasonOf]}`).sort(),
      );
    });
  });

  it("the next pass reads an incomplete record again, whatever its version, and archives it whole once Graph answers", async () => {
    await withFaults(faults, async (run, sandbox, archive) => {
      await run(pass(0), 1);
      const incomplete = (await linesOf(archive, pass(0))).filter((l) => l._archive.incomplete).map((l) => l.id).sort();
      assert.ok(incomplete.length >= 3);
      sandbox.healRecords();
      await run(pass(1));
      const pass1 = await linesOf(archive, pass(1));
      const truth = sandbox.tenant.groundTruth(window.startInMs, window.endInMs);
      for (const id of incomplete) {
        const line = pass1.find((l) => l.id === id);
        assert.ok(line, `record ${id} was not read again`);
        assert.equal(line._archive.incomplete, undefined);
        assert.deepEqual(documentOf(line), truth.find((t) => t.id === id)?.document);
      }
      // No record changed meanwhile: the complete ones are skipped as before, the incomplete read again.
      assert.deepEqual(pass1.map((l) => l.id).sort(), incomplete);
      const manifest = parseManifest(((await archive.read(manifestBlobName(pass(1)))) as Buffer).toString("utf8"), "manifest");
      assert.equal(manifest.incomplete, undefined);
    });
  });

  it("an outage that begins as the window's last record is read: the job fails on its retry delivery too, and no innocent record is archived incomplete", async () => {
    // A healthy run counts the window's Graph requests; then, one record at a time, Graph goes
    // down from the last of them on (an outage of a minute): the last record fails after its own
    // retries with no record read after it. Asked again, the listing fails too: Graph, not a record.
    let requests = 0;
    await withFaults({}, async (run, sandbox) => {
      assert.equal((await run(pass(0), 1)).status, "harvested");
      requests = sandbox.stats.graphRequests;
    }, 1);
    assert.ok(requests > 5, `${requests} requests`);
    await withFaults({ outageAfterRequests: { after: requests - 1, lengthInMs: 60_000 } }, async (run, _sandbox, archive) => {
      await assert.rejects(run(pass(0), 1), /Graph request failed after 2 attempts \(last: HTTP 503\)/);
      assert.equal(await archive.read(manifestBlobName(pass(0))), undefined, "a record caught by the outage was archived incomplete");
    }, 1);
  });

  it("every record failing (Graph failing, not a record) fails the job, with nothing written", async () => {
    await withFaults({ failingRecordRate: 1 }, async (run, _sandbox, archive) => {
      await assert.rejects(run(pass(0)), /Graph request failed after 2 attempts \(last: HTTP 500\)/);
      await assert.rejects(run(pass(0), 1), /Graph request failed after 2 attempts \(last: HTTP 500\)/, "three records failing in a row on a later delivery: Graph, not records");
      assert.equal(await archive.read(dataBlobName(pass(0))), undefined);
      assert.equal(await archive.read(manifestBlobName(pass(0))), undefined);
    });
  });
});

describe("a listing that loops costs at most the half window that still loops", () => {
  it("is tried once as two halves: the half that lists is archived whole, the half that loops again fails by name", async () => {
    // The listing of any window holding 07:00 loops: the whole window (06:00–12:00) and its first half.
    await withFaults({ loopingList: { atInMs: Date.parse("2026-11-26T07:00:00Z") } }, async (run, sandbox, archive, enqueued) => {
      const outcome = await run(pass(0));
      assert.equal(outcome.status, "split");
      const [first, second] = enqueued as [Job, Job];
      assert.deepEqual(enqueued.map((j) => [new Date(j.window.startInMs).toISOString(), new Date(j.window.endInMs).toISOString(), j.pass]), [
        ["2026-11-26T06:00:00.000Z", "2026-11-26T09:00:00.000Z", 0],
        ["2026-11-26T09:00:00.000Z", "2026-11-26T12:00:00.000Z", 0],
      ]);
      const manifest = parseManifest(((await archive.read(manifestBlobName(pass(0)))) as Buffer).toString("utf8"), "manifest");
      assert.equal(manifest.splitReason, "listingLoop");
      await assert.rejects(run(first), /^GraphPagingError: The listing of window 2026-11-26T06:00:00Z–2026-11-26T09:00:00Z is a paging loop: after 1 pages/);
      assert.equal(enqueued.length, 2, "a half that loops again was split again");
      assert.equal((await run(second)).status, "harvested");
      const truth = sandbox.tenant.groundTruth(second.window.startInMs, second.window.endInMs);
      assert.ok(truth.length > 0);
      assert.deepEqual((await linesOf(archive, second)).map((l) => `${l.id}@${l.version}`).sort(), truth.map((t) => `${t.id}@${t.version}`).sort());
    });
  });
});

describe("which failures are one record's", () => {
  const request = (status: number | undefined) => new GraphRequestError("failed", status, undefined, "https://graph.microsoft.com/v1.0/communications/callRecords/x");
  const rows: [string, unknown, string | undefined][] = [
    ["an answer over the body cap: at once", new GraphAnswerTooLargeError(64 * 1048576, "u"), "answerTooLarge"],
    ["500 after the record's retries", request(500), "recordFailing"],
    ["503 after the record's retries", request(503), "recordFailing"],
    ["429 after the record's retries", request(429), "recordFailing"],
    ["a timeout or dropped connection (no status)", request(undefined), "recordFailing"],
    ["an answer not of Graph's shape", new GraphResponseError("not a call record", "u"), "recordFailing"],
    ["401: the credential, never one record", request(401), undefined],
    ["403: the grant, never one record", request(403), undefined],
    ["400: our request", request(400), undefined],
    ["anything else (storage, a bug)", new Error("EACCES"), undefined],
  ];
  for (const [name, error, expected] of rows) it(name, () => assert.equal(isolationOf(error), expected));

  it("a record failing after its retries fails the job's first delivery; on a later one it is isolated, unless three fail since the last success (Graph failing)", () => {
    const first = new WindowRecordFailures(0);
    first.recordRead();
    assert.equal(first.recordFailed(), "failJob");
    const later = new WindowRecordFailures(1);
    assert.equal(later.recordFailed(), "isolate", "a window none of whose records was read yet");
    later.recordRead();
    assert.deepEqual([later.recordFailed(), later.recordFailed(), later.recordFailed()], ["isolate", "isolate", "failJob"]);
  });
});

describe("a later pass after a dead-lettered earlier pass", () => {
  it("runs once the earlier pass is dead-lettered (its lasting record), archiving the window, where it would otherwise wait for good", async () => {
    const root = await mkdtemp(join(tmpdir(), "dead-earlier-"));
    const refusing = await startSandbox({ seed: "isolation", clock: new ManualClock(now), callsPerDay: 300, throttle: false, emptyPageRate: 0, faults: { failAfterRequests: { after: 0, status: 403 } } });
    const healthy = await startSandbox({ seed: "isolation", clock: new ManualClock(now), callsPerDay: 300, throttle: false, emptyPageRate: 0 });
    try {
      const archive = folderArchiveStore(root);
      const settled: string[] = [];
      const handlerOn = (sandbox: Sandbox) => {
        const graph = createGraphRuntime(loadArchiverConfig(sandboxEnv(sandbox, { ARCHIVER_GRAPH_PAGE_SIZE: "10" })), { ca: sandbox.ca });
        return makeHarvestHandler(() => ({ graph, archive, sender: { send: async () => undefined }, clock: clockAt(now), cloud: "Global", timeBudgetInMs: 600_000, concurrency: 4, jobRetry: defaultJobRetryOptions }));
      };
      const settlement = { complete: async () => void settled.push("complete"), abandon: async () => void settled.push("abandon"), deadLetter: async (reason: string) => void settled.push(reason) };
      const context = new functions.InvocationContext({ invocationId: "t", functionName: "harvest", logHandler: () => undefined });
      // Before pass 0 is settled, pass 1 waits.
      const waiting = await handlerOn(healthy)(jobBody(pass(1)), settlement, context);
      assert.equal(waiting.status === "retrying" && waiting.reason, "WaitingForEarlierPass");
      const refused = await handlerOn(refusing)(jobBody(pass(0)), settlement, context);
      assert.equal(refused.status === "deadLettered" && refused.reason, "GraphForbidden");
      const record = JSON.parse(((await archive.read(deadLetterBlobName(pass(0)))) as Buffer).toString("utf8")) as { reason: string };
      assert.equal(record.reason, "GraphForbidden");
      const later = await handlerOn(healthy)(jobBody(pass(1)), settlement, context);
      assert.equal(later.status, "done");
      const truth = healthy.tenant.groundTruth(window.startInMs, window.endInMs);
      assert.deepEqual((await linesOf(archive, pass(1))).map((l) => `${l.id}@${l.version}`).sort(), truth.map((t) => `${t.id}@${t.version}`).sort());
      assert.deepEqual(settled, ["complete", "GraphForbidden", "complete"]);
      assert.equal(await archive.read(manifestBlobName(pass(0))), undefined, "the given-up pass keeps no manifest: a replay writes its own");
    } finally {
      await Promise.all([refusing.close(), healthy.close()]);
      await rm(root, { recursive: true, force: true });
    }
  });
});
