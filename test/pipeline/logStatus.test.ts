import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defaultLogPlan } from "../../shared/config/config.js";
import { logStatus } from "../../shared/pipeline/operate/logStatus.js";
import type { ArchivedLogManifest } from "../../shared/pipeline/plan/manifestListing.js";

const dayOf = (date: string) => ({ startInMs: Date.parse(`${date}T00:00:00Z`), endInMs: Date.parse(`${date}T00:00:00Z`) + 86_400_000 });
const manifest = (date: string, pass: number, status: "complete" | "unsupported", records = 0, bytes = 0): ArchivedLogManifest => ({ job: { window: dayOf(date), pass, source: "pstnCalls" }, status, records, bytes });

describe("a telephony log's status", () => {
  it("counts days and re-reads due by the log's own schedule, names what is overdue, and says when the tenant has no such log", () => {
    const status = logStatus({
      source: "pstnCalls",
      manifests: [manifest("2026-11-20", 0, "complete", 10, 100), manifest("2026-11-20", 1, "complete", 2), manifest("2026-11-22", 0, "unsupported")],
      nowInMs: Date.parse("2026-12-03T12:00:00Z"),
      plan: defaultLogPlan("pstnCalls"),
      watermarkInMs: undefined,
      graceInMs: 3_600_000,
      riskMarginInMs: 2 * 86_400_000,
    });
    // Three days in the span; pass 1 (7 days after) is due for each, pass 2 (30 days after) for none.
    assert.deepEqual(status.days, { read: 2, due: 3 });
    assert.deepEqual(status.rereads, { done: 1, due: 3 });
    assert.equal(status.rows, 12);
    assert.equal(status.bytes, 100);
    assert.equal(status.availability, "unsupported");
    assert.equal(status.unsupportedDays, 1);
    assert.equal(status.horizonDays, 365);
    assert.deepEqual(status.missing, [
      { job: "20261121T0000Z_20261122T0000Z_p0", windowStart: "2026-11-21T00:00:00Z", pass: 0, daysBeforeHorizon: 352.5 },
      { job: "20261121T0000Z_20261122T0000Z_p1", windowStart: "2026-11-21T00:00:00Z", pass: 1, daysBeforeHorizon: 352.5 },
      { job: "20261122T0000Z_20261123T0000Z_p1", windowStart: "2026-11-22T00:00:00Z", pass: 1, daysBeforeHorizon: 353.5 },
    ]);
    assert.deepEqual(status.atRisk, []);
    assert.equal(status.headline, "PSTN calls: not available in this tenant (Graph answered 404 for getPstnCalls on the newest day read); every day asks again");
  });
});
