import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { archiveBlobOf, dataBlobName, manifestBlobName } from "../../shared/archive/archiveLayout.js";
import { jobBody, messageIdOf, parseJobDelivery } from "../../shared/core/job.js";
import { rangeOf, rowInWindow, rowStartInMs } from "../../shared/core/sources.js";
import { logDaysOf } from "../../local/startOptions.js";
import { jobsForWindow } from "../../shared/pipeline/plan/planning.js";
import { defaultLogPlan } from "../../shared/config/config.js";
import { decideJobRetry } from "../../shared/pipeline/harvest/jobRetryPolicy.js";

const day = { startInMs: Date.parse("2026-11-25T00:00:00Z"), endInMs: Date.parse("2026-11-26T00:00:00Z") };

describe("telephony log sources", () => {
  it("reads Graph's seven-decimal starts to the millisecond, rounded down", () => {
    // The documented example's PSTN row (test/fixtures/graph/get-pstn-calls.json).
    assert.equal(rowStartInMs("2019-11-01T00:00:08.2589935Z"), Date.UTC(2019, 10, 1, 0, 0, 8, 258));
    assert.equal(rowStartInMs("2019-11-01T00:00:25.105Z"), Date.UTC(2019, 10, 1, 0, 0, 25, 105));
    assert.equal(rowStartInMs("2026-11-25T23:59:59.9999999Z"), Date.UTC(2026, 10, 25, 23, 59, 59, 999));
    assert.equal(rowStartInMs("2026-11-26T00:00:00Z"), Date.UTC(2026, 10, 26));
    // The sentinel Graph writes for "no failure" is an instant too: year 1.
    assert.equal(rowStartInMs("0001-01-01T00:00:00Z"), -62_135_596_800_000);
    assert.equal(rowStartInMs("yesterday"), undefined);
    assert.equal(rowStartInMs(20191101), undefined);
  });

  it("puts a row on a boundary in the window it starts, never in both", () => {
    assert.equal(rowInWindow(Date.parse("2026-11-25T00:00:00Z"), day), true);
    assert.equal(rowInWindow(Date.parse("2026-11-26T00:00:00Z"), day), false);
    assert.equal(rowInWindow(Date.parse("2026-11-25T23:59:59.999Z"), day), true);
    assert.equal(rowInWindow(Date.parse("2026-11-24T23:59:59.999Z"), day), false);
  });

  it("asks for the window's own two instants, whatever the end convention", () => {
    assert.deepEqual(rangeOf(day), { fromDateTime: "2026-11-25T00:00:00Z", toDateTime: "2026-11-26T00:00:00Z" });
    assert.throws(() => rangeOf({ startInMs: day.startInMs, endInMs: day.startInMs + 91 * 86_400_000 }), /at most 90 days/);
  });

  it("names a log's job, message and blobs apart from call records'", () => {
    const job = { window: day, pass: 1, source: "pstnCalls" as const };
    assert.deepEqual(jobBody(job), { schemaVersion: 1, windowStart: "2026-11-25T00:00:00Z", windowEnd: "2026-11-26T00:00:00Z", pass: 1, source: "pstnCalls" });
    assert.equal(messageIdOf(job), "pstn_20261125T0000Z_20261126T0000Z_p1");
    assert.equal(messageIdOf({ ...job, source: "directRoutingCalls" }, 2), "dr_20261125T0000Z_20261126T0000Z_p1_a2");
    assert.equal(messageIdOf({ window: day, pass: 1 }), "20261125T0000Z_20261126T0000Z_p1");
    assert.equal(dataBlobName(job), "pstncalls/v1/tenant=home/year=2026/month=11/day=25/20261125T0000Z_20261126T0000Z_p1.jsonl.gz");
    assert.equal(manifestBlobName({ ...job, source: "directRoutingCalls" }), "directroutingcalls/v1/tenant=home/year=2026/month=11/day=25/_20261125T0000Z_20261126T0000Z_p1.manifest.json");
    assert.deepEqual(archiveBlobOf("pstncalls/v1/tenant=home/year=2026/month=11/day=25/20261125T0000Z_20261126T0000Z_p1.jsonl.gz"), { job, kind: "data" });
    assert.deepEqual(archiveBlobOf("callrecords/v1/year=2026/month=11/day=25/hour=00/_20261125T0000Z_20261125T0100Z_p0.manifest.json")?.job.source, undefined);
  });

  it("reads a log's job back from its message, and refuses an unknown source by name", () => {
    assert.deepEqual(parseJobDelivery({ schemaVersion: 1, windowStart: "2026-11-25T00:00:00Z", windowEnd: "2026-11-26T00:00:00Z", pass: 0, source: "directRoutingCalls" }).job, { window: day, pass: 0, source: "directRoutingCalls" });
    assert.throws(() => parseJobDelivery({ schemaVersion: 1, windowStart: "2026-11-25T00:00:00Z", windowEnd: "2026-11-26T00:00:00Z", pass: 0, source: "smsLog" }), /source must be "pstnCalls" or "directRoutingCalls" when present \(absent: call records\), got "smsLog"/);
    // Written before the logs existed: call records.
    assert.deepEqual(parseJobDelivery({ schemaVersion: 1, windowStart: "2026-11-25T00:00:00Z", windowEnd: "2026-11-25T01:00:00Z", pass: 0 }).job, { window: { startInMs: day.startInMs, endInMs: Date.parse("2026-11-25T01:00:00Z") }, pass: 0 });
  });

  it("plans a log's day at 48 h, 7 and 30 days after its end, and no pass past its horizon", () => {
    const now = Date.parse("2026-12-03T12:00:00Z");
    const passes = (source: "pstnCalls" | "directRoutingCalls", window: typeof day) =>
      jobsForWindow(window, now, defaultLogPlan(source)).map((j) => [j.job.pass, j.notBeforeInMs === undefined ? "now" : new Date(Math.max(j.notBeforeInMs, 0)).toISOString()]);
    assert.deepEqual(passes("pstnCalls", day), [
      [0, "now"],
      // Due on 2026-12-02 (7 days after), already past: staggered one settle delay (48 h) after now, as every late re-read is.
      [1, "2026-12-05T12:00:00.000Z"],
      [2, "2026-12-26T00:00:00.000Z"],
    ]);
    // 149 days before: Direct Routing keeps 150 days, so only pass 0 starts two hours inside it.
    const old = { startInMs: Date.parse("2026-07-07T00:00:00Z"), endInMs: Date.parse("2026-07-08T00:00:00Z") };
    assert.deepEqual(passes("directRoutingCalls", old), [[0, "now"]]);
    assert.deepEqual(passes("pstnCalls", old).map(([p]) => p), [0, 1, 2]);
  });

  it("gives up a log's retries at its own horizon, not call records' 30 days", () => {
    const job = { window: { startInMs: Date.parse("2026-10-01T00:00:00Z"), endInMs: Date.parse("2026-10-02T00:00:00Z") }, pass: 0 };
    const at = { attempt: 3, nowInMs: Date.parse("2026-10-31T00:00:00Z"), random: () => 0.5 };
    const failure = { permanent: false, reason: "GraphUnavailable", description: "503" };
    assert.equal(decideJobRetry(failure, { job, ...at }).action, "deadLetter");
    assert.equal(decideJobRetry(failure, { job: { ...job, source: "pstnCalls" }, ...at }).action, "retry");
    assert.equal(decideJobRetry(failure, { job: { ...job, source: "directRoutingCalls" }, ...at }).action, "retry");
  });

  it("reads in a local run the due days the span touches, or the two newest due days", () => {
    const plan = defaultLogPlan("directRoutingCalls");
    const now = Date.parse("2026-12-03T12:00:00Z");
    const days = (span: { from: string; to: string }, given: boolean) =>
      logDaysOf({ startInMs: Date.parse(span.from), endInMs: Date.parse(span.to) }, given, now, plan).map((d) => new Date(d.startInMs).toISOString().slice(0, 10));
    // 48 h after a day's end: 2026-11-30 is the newest day due at noon on 2026-12-03.
    assert.deepEqual(days({ from: "2026-12-01T10:00:00Z", to: "2026-12-03T10:00:00Z" }, false), ["2026-11-29", "2026-11-30"]);
    assert.deepEqual(days({ from: "2026-11-25T06:00:00Z", to: "2026-11-26T06:00:00Z" }, true), ["2026-11-25", "2026-11-26"]);
    assert.deepEqual(days({ from: "2026-12-01T00:00:00Z", to: "2026-12-02T00:00:00Z" }, true), []);
    // Direct Routing's 150 days before now is 2026-07-06T12:00; a day of margin, then the next
    // midnight: 2026-07-08 is the oldest day read.
    assert.deepEqual(days({ from: "2026-07-05T00:00:00Z", to: "2026-07-10T00:00:00Z" }, true), ["2026-07-08", "2026-07-09"]);
  });
});
