import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ArchiveBlobVanishedError, ConfigError, ForeignNextLinkError, GraphRequestError, GraphResponseError, InvalidJobError, WaitingForEarlierPass } from "../../shared/core/errors.js";
import type { Job } from "../../shared/core/job.js";
import { dayInMs, hourInMs, minuteInMs } from "../../shared/core/window.js";
import { classifyJobFailure, decideJobRetry, defaultJobRetryOptions, horizonOf } from "../../shared/pipeline/harvest/jobRetryPolicy.js";
import { type Settlement, processJobMessage } from "../../shared/pipeline/harvest/jobProcessor.js";
import type { PlannedJob } from "../../shared/pipeline/plan/planning.js";
import { jobBody } from "../../shared/core/job.js";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { folderArchiveStore } from "../../shared/archive/archiveStore.js";
import { archiveJobRecords } from "../../shared/pipeline/harvest/jobRecords.js";

const graphError = (status: number) => new GraphRequestError(`HTTP ${status}`, status, undefined, "https://graph.microsoft.com/v1.0/communications/callRecords");
const named = (name: string, message: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(message), { name, ...extra });

describe("classifyJobFailure", () => {
  const table: [string, unknown, boolean, string][] = [
    ["a malformed job", new InvalidJobError("pass must be a whole number"), true, "InvalidJob"],
    ["a configuration error", new ConfigError([{ setting: "ARCHIVER_STORAGE__blobServiceUri", problem: "is required" }]), true, "ConfigurationError"],
    ["a nextLink to a foreign origin", new ForeignNextLinkError("https://evil.example/x", "https://graph.microsoft.com"), true, "ForeignNextLink"],
    ["Graph 400", graphError(400), true, "GraphBadRequest"],
    ["Graph 403 (missing grant)", graphError(403), true, "GraphForbidden"],
    ["Graph 401 twice", graphError(401), true, "GraphUnauthorized"],
    ["Entra refusing the secret", named("AuthenticationRequiredError", "invalid_client: AADSTS7000215: Invalid client secret provided."), true, "CredentialRejected"],
    ["Entra answering 400", named("AuthenticationError", "bad", { statusCode: 400 }), true, "CredentialRejected"],
    ["Entra unreachable", named("AuthenticationError", "connect ECONNREFUSED", { statusCode: undefined }), false, "HarvestFailed"],
    ["Graph 503 after every attempt", graphError(503), false, "GraphUnavailable"],
    ["Graph 429 after every attempt", graphError(429), false, "GraphUnavailable"],
    ["Graph exhausted on network errors", new GraphRequestError("ECONNRESET", undefined, undefined, "u"), false, "GraphUnavailable"],
    ["a malformed Graph answer", new GraphResponseError("not a page", "u"), false, "GraphBadAnswer"],
    ["storage refusing a write (403, role still propagating)", named("RestError", "AuthorizationPermissionMismatch", { statusCode: 403 }), false, "StorageFailed"],
    ["a full disk", Object.assign(new Error("ENOSPC"), { code: "ENOSPC" }), false, "StorageFailed"],
    ["an earlier pass still running", new WaitingForEarlierPass("pass 0 has no manifest yet"), false, "WaitingForEarlierPass"],
    ["a blob storage said exists but could not return", new ArchiveBlobVanishedError("callrecords/v1/x.jsonl.gz"), false, "StorageFailed"],
    ["an error merely named like one of ours", named("WaitingForEarlierPass", "not ours"), false, "HarvestFailed"],
    ["anything else", new Error("boom"), false, "HarvestFailed"],
  ];
  for (const [what, error, permanent, reason] of table) {
    it(`${what}: ${permanent ? "permanent" : "transient"}, reason ${reason}`, () => {
      const failure = classifyJobFailure(error);
      assert.equal(failure.permanent, permanent);
      assert.equal(failure.reason, reason);
      assert.equal(failure.description, (error as Error).message);
    });
  }
});

describe("decideJobRetry", () => {
  const now = Date.parse("2026-11-27T12:00:00Z");
  const job: Job = { window: { startInMs: now - 2 * dayInMs, endInMs: now - 2 * dayInMs + hourInMs }, pass: 0 };
  const transient = { permanent: false, reason: "GraphUnavailable", description: "HTTP 503" };
  const mid = () => 0.5;

  it("dead-letters a permanent failure at once, with its reason and the real error", () => {
    assert.deepEqual(decideJobRetry({ permanent: true, reason: "GraphForbidden", description: "403" }, { job, attempt: 0, nowInMs: now, random: mid }), {
      action: "deadLetter",
      reason: "GraphForbidden",
      description: "403",
    });
  });

  it("re-sends a transient failure after 1 minute, doubling per attempt to a 1-hour cap, with jitter between half and the whole step", () => {
    const delays = [0, 1, 2, 3, 5, 6, 7, 12].map((attempt) => {
      const low = decideJobRetry(transient, { job, attempt, nowInMs: now, random: () => 0 });
      const high = decideJobRetry(transient, { job, attempt, nowInMs: now, random: () => 0.999999 });
      assert.equal(low.action, "retry");
      assert.equal(high.action, "retry");
      if (low.action !== "retry" || high.action !== "retry") return [0, 0];
      assert.equal(low.attempt, attempt + 1);
      assert.equal(low.notBeforeInMs, now + low.delayInMs);
      return [low.delayInMs, Math.round(high.delayInMs / 1000) * 1000];
    });
    assert.deepEqual(delays, [
      [30 * 1000, 60 * 1000],
      [60 * 1000, 2 * minuteInMs],
      [2 * minuteInMs, 4 * minuteInMs],
      [4 * minuteInMs, 8 * minuteInMs],
      [16 * minuteInMs, 32 * minuteInMs],
      [30 * minuteInMs, hourInMs],
      [30 * minuteInMs, hourInMs],
      [30 * minuteInMs, hourInMs],
    ]);
  });

  it("keeps retrying for weeks while the window is inside Graph's 30 days", () => {
    const late = now + 25 * dayInMs;
    assert.equal(decideJobRetry(transient, { job, attempt: 400, nowInMs: late, random: mid }).action, "retry");
  });

  it("stops when the next attempt would come within 2 hours of Graph's horizon, and the dead letter carries the real error", () => {
    const nearHorizon = horizonOf(job) - 2 * hourInMs - 10 * minuteInMs;
    const decision = decideJobRetry(transient, { job, attempt: 20, nowInMs: nearHorizon, random: mid });
    assert.equal(decision.action, "deadLetter");
    if (decision.action !== "deadLetter") return;
    assert.equal(decision.reason, "GraphUnavailableAtHorizon");
    assert.match(decision.description, /Gave up after 21 attempts.*horizon.*Last error: HTTP 503/);
    assert.equal(defaultJobRetryOptions.horizonMarginInMs, 2 * hourInMs);
  });
});

describe("processJobMessage", () => {
  const job: Job = { window: { startInMs: Date.parse("2026-11-26T09:00:00Z"), endInMs: Date.parse("2026-11-26T10:00:00Z") }, pass: 1 };
  const settle = () => {
    const calls: string[] = [];
    const settlement: Settlement = {
      complete: async () => void calls.push("complete"),
      abandon: async () => void calls.push("abandon"),
      deadLetter: async (reason, description) => void calls.push(`deadLetter ${reason}: ${description}`),
    };
    return { calls, settlement };
  };
  const now = Date.parse("2026-11-27T12:00:00Z");

  it("on a transient failure, sends a scheduled copy with the next attempt, then completes the original", async () => {
    const { calls, settlement } = settle();
    const sent: PlannedJob[] = [];
    const result = await processJobMessage(jobBody(job, 2), settlement, async () => Promise.reject(graphError(503)), () => ({
      send: async (jobs) => void sent.push(...jobs),
      now: () => now,
      random: () => 0,
    }));
    assert.deepEqual(calls, ["complete"]);
    // Attempt 2 failed: the step is 4 minutes, and jitter 0 takes half of it.
    // A delivery from before chains existed (attempt 2, no chain) starts one: the instant and random 0.
    assert.deepEqual(sent, [{ job, attempt: 3, notBeforeInMs: now + 2 * minuteInMs, retryAfterFailure: "GraphUnavailable", chain: "c20261127T1200Z-000000" }]);
    assert.equal(result.status, "retrying");
  });

  it("on a permanent failure, dead-letters without asking for a sender", async () => {
    const { calls, settlement } = settle();
    const result = await processJobMessage(jobBody(job), settlement, async () => Promise.reject(graphError(403)), () => {
      throw new Error("no sender needed");
    });
    assert.deepEqual(calls, ["deadLetter GraphForbidden: HTTP 403"]);
    assert.equal(result.status, "deadLettered");
  });

  it("abandons the message when the re-send itself fails, so Service Bus redelivers it", async () => {
    const { calls, settlement } = settle();
    await assert.rejects(
      processJobMessage(jobBody(job), settlement, async () => Promise.reject(new Error("boom")), () => ({
        send: async () => Promise.reject(new Error("Service Bus unreachable")),
        now: () => now,
      })),
      /Service Bus unreachable/,
    );
    assert.deepEqual(calls, ["abandon"]);
  });

  describe("one retry chain per (window, pass), over a real (folder) archive", () => {
    const folder = "callrecords/v1/year=2026/month=11/day=26/hour=09";
    const withArchive = async (test: (root: string, records: () => ReturnType<typeof archiveJobRecords>) => Promise<void>) => {
      const root = await mkdtemp(join(tmpdir(), "chains-"));
      try {
        const archive = folderArchiveStore(root);
        await test(root, () => archiveJobRecords(archive, { now: () => now, sleep: async () => undefined }));
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    };
    const failing = async () => Promise.reject(graphError(503));
    const deliver = async (body: unknown, records: () => ReturnType<typeof archiveJobRecords>, random: number) => {
      const { calls, settlement } = settle();
      const sent: PlannedJob[] = [];
      const result = await processJobMessage(body, settlement, failing, () => ({ send: async (jobs) => void sent.push(...jobs), now: () => now, random: () => random }), records);
      return { calls, sent, result };
    };

    it("the first failing delivery starts the chain; a sweep's re-send and a duplicate that fail end there, unsent; the chain's own retry goes on", async () => {
      await withArchive(async (root, records) => {
        const first = await deliver(jobBody(job), records, 0.5);
        assert.deepEqual(first.sent.map((p) => [p.attempt, p.chain]), [[1, "c20261127T1200Z-800000"]]);
        const record = JSON.parse(await readFile(join(root, folder, "_20261126T0900Z_20261126T1000Z_p1.chain.json"), "utf8")) as Record<string, unknown>;
        assert.deepEqual(record, {
          schemaVersion: 1,
          job: { schemaVersion: 1, windowStart: "2026-11-26T09:00:00Z", windowEnd: "2026-11-26T10:00:00Z", pass: 1 },
          chain: "c20261127T1200Z-800000",
          startedAt: "2026-11-27T12:00:00Z",
          firstFailure: "GraphUnavailable",
        });

        // The coverage sweep's re-send (attempt 0, no chain): harvested, failed, found the chain.
        const sweep = await deliver(jobBody(job), records, 0.25);
        assert.deepEqual(sweep.sent, []);
        assert.deepEqual(sweep.calls, ["complete"]);
        assert.deepEqual(sweep.result.status === "yielded" && [sweep.result.holder, sweep.result.reason], ["c20261127T1200Z-800000", "GraphUnavailable"]);

        // A retry from before chains existed (attempt 4, no chain) ends the same way.
        const legacy = await deliver(jobBody(job, 4), records, 0.75);
        assert.equal(legacy.result.status, "yielded");
        assert.deepEqual(legacy.sent, []);

        // The chain's own copy continues it.
        const own = await deliver(jobBody(job, 1, "c20261127T1200Z-800000"), records, 0);
        assert.deepEqual(own.sent.map((p) => [p.attempt, p.chain, p.notBeforeInMs]), [[2, "c20261127T1200Z-800000", now + minuteInMs]]);
        assert.deepEqual(own.calls, ["complete"]);
      });
    });

    it("a chain that reaches the horizon dead-letters once, and its record names the chain", async () => {
      await withArchive(async (root, records) => {
        const late: Job = { window: { startInMs: now - 30 * dayInMs + hourInMs, endInMs: now - 30 * dayInMs + 2 * hourInMs }, pass: 0 };
        const { calls, settlement } = settle();
        const result = await processJobMessage(jobBody(late, 3, "c20261101T0000Z-abcdef"), settlement, failing, () => ({ send: async () => assert.fail("no re-send at the horizon"), now: () => now, random: () => 0 }), records);
        assert.equal(result.status, "deadLettered");
        assert.match(calls[0] ?? "", /^deadLetter GraphUnavailableAtHorizon: Gave up after 4 attempts/);
        const text = await readFile(join(root, "callrecords/v1/year=2026/month=10/day=28/hour=13/_20261028T1300Z_20261028T1400Z_p0.deadletter.json"), "utf8");
        const record = JSON.parse(text) as { reason: string; chain: string; deadLetteredAt: string };
        assert.deepEqual([record.reason, record.chain, record.deadLetteredAt], ["GraphUnavailableAtHorizon", "c20261101T0000Z-abcdef", "2026-11-27T12:00:00Z"]);
      });
    });

    it("when the record cannot be written or read, the delivery keeps retrying (at worst two chains, never none)", async () => {
      const broken = () => ({
        holdChain: async () => Promise.reject(new Error("storage down")),
        recordDeadLetter: async () => Promise.reject(new Error("storage down")),
      });
      const { calls, settlement } = settle();
      const sent: PlannedJob[] = [];
      const result = await processJobMessage(jobBody(job), settlement, failing, () => ({ send: async (jobs) => void sent.push(...jobs), now: () => now, random: () => 0 }), broken);
      assert.equal(result.status, "retrying");
      assert.deepEqual([sent.length, calls], [1, ["complete"]]);
    });

    it("a malformed chain in a body is refused by name", async () => {
      const { calls, settlement } = settle();
      await processJobMessage({ ...jobBody(job), chain: "../x" }, settlement, failing, () => assert.fail("no sender"));
      assert.match(calls[0] ?? "", /^deadLetter InvalidJob: chain must be 1 to 40 letters, digits or dashes when present, got "\.\.\/x"/);
    });
  });
});

