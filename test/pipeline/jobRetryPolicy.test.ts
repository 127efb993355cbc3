import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, ForeignNextLinkError, GraphRequestError, GraphResponseError, InvalidJobError } from "../../shared/core/errors.js";
import type { Job } from "../../shared/core/job.js";
import { dayInMs, hourInMs, minuteInMs } from "../../shared/core/window.js";
import { classifyJobFailure, decideJobRetry, defaultJobRetryOptions, horizonOf } from "../../shared/pipeline/harvest/jobRetryPolicy.js";
import { type Settlement, processJobMessage } from "../../shared/pipeline/harvest/jobProcessor.js";
import type { PlannedJob } from "../../shared/pipeline/plan/planning.js";
import { jobBody } from "../../shared/core/job.js";

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
    ["an earlier pass still running", named("WaitingForEarlierPass", "pass 0 has no manifest yet"), false, "WaitingForEarlierPass"],
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
    assert.deepEqual(sent, [{ job, attempt: 3, notBeforeInMs: now + 2 * minuteInMs, retryAfterFailure: "GraphUnavailable" }]);
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
});
