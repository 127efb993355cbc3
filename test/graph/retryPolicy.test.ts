import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type GraphOutcome,
  type RetryDecision,
  backoffDelayInMs,
  decideRetry,
  parseRetryAfterInMs,
} from "../../shared/graph/retryPolicy.js";

const options = { maxAttempts: 5, baseDelayInMs: 1000, maxDelayInMs: 30_000 };
const context = { attempt: 1, isRecordRequest: false, freshTokenRejected: false, random: () => 0.5 };
const response = (status: number, retryAfterHeader?: string): GraphOutcome => ({ kind: "response", status, retryAfterHeader });

describe("decideRetry", () => {
  const table: [string, GraphOutcome, Partial<typeof context>, RetryDecision][] = [
    ["200 succeeds", response(200), {}, { action: "success" }],
    ["429 waits the fractional Retry-After", response(429, "2.128"), {}, { action: "retry", delayInMs: 2128, cause: "throttled" }],
    ["429 without Retry-After backs off", response(429), {}, { action: "retry", delayInMs: 750, cause: "throttled" }],
    ["503 honours Retry-After", response(503, "3"), {}, { action: "retry", delayInMs: 3000, cause: "unavailable" }],
    ["504 backs off exponentially", response(504), { attempt: 3 }, { action: "retry", delayInMs: 3000, cause: "unavailable" }],
    ["500 is retried as a server error", response(500), {}, { action: "retry", delayInMs: 750, cause: "serverError" }],
    ["a Retry-After beyond the cap is capped", response(429, "600"), {}, { action: "retry", delayInMs: 30_000, cause: "throttled" }],
    ["connection reset is retried", { kind: "networkError", code: "ECONNRESET" }, {}, { action: "retry", delayInMs: 750, cause: "network" }],
    ["a timeout is retried", { kind: "timeout" }, {}, { action: "retry", delayInMs: 750, cause: "timeout" }],
    ["an unknown network failure is not", { kind: "networkError", code: "ERR_TLS_CERT_ALTNAME_INVALID" }, {}, { action: "fail", reason: "unexpected" }],
    ["401 refreshes the token", response(401), {}, { action: "refreshTokenAndRetry", cause: "unauthorized" }],
    ["401 on a token fetched after this request's last 401, never accepted, fails", response(401), { freshTokenRejected: true }, { action: "fail", reason: "unauthorized" }],
    ["400 is permanent", response(400), {}, { action: "fail", reason: "badRequest" }],
    ["403 is permanent", response(403), {}, { action: "fail", reason: "forbidden" }],
    ["404 on a record means expired", response(404), { isRecordRequest: true }, { action: "fail", reason: "expired" }],
    ["404 on a list is not found", response(404), {}, { action: "fail", reason: "notFound" }],
    ["429 on the last attempt gives up", response(429, "1"), { attempt: 5 }, { action: "fail", reason: "exhausted" }],
    ["403 on the last attempt is still forbidden", response(403), { attempt: 5 }, { action: "fail", reason: "forbidden" }],
    ["418 is unexpected", response(418), {}, { action: "fail", reason: "unexpected" }],
  ];
  for (const [name, outcome, overrides, expected] of table) {
    it(name, () => {
      assert.deepEqual(decideRetry(outcome, { ...context, ...overrides }, options), expected);
    });
  }
});

describe("parseRetryAfterInMs", () => {
  it("reads fractional seconds, rounding up to whole milliseconds", () => {
    assert.equal(parseRetryAfterInMs("2.1284", 0), 2129);
  });
  it("reads an HTTP date relative to now", () => {
    const now = Date.parse("2026-11-27T10:00:00Z");
    assert.equal(parseRetryAfterInMs("Fri, 27 Nov 2026 10:00:05 GMT", now), 5000);
  });
  it("ignores garbage and negatives", () => {
    assert.equal(parseRetryAfterInMs("soon", 0), undefined);
    assert.equal(parseRetryAfterInMs("-1", 0), undefined);
    assert.equal(parseRetryAfterInMs(undefined, 0), undefined);
  });
});

describe("backoffDelayInMs", () => {
  it("doubles per attempt with jitter between half and the whole step", () => {
    assert.equal(backoffDelayInMs(1, options, () => 0), 500);
    assert.equal(backoffDelayInMs(1, options, () => 0.999999), 1000);
    assert.equal(backoffDelayInMs(4, options, () => 0), 4000);
  });
  it("never exceeds the cap", () => {
    assert.equal(backoffDelayInMs(30, options, () => 0.999999), 30_000);
  });
});
