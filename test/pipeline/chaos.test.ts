import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Azurite, startAzurite } from "../../local/azurite.js";
import { runChaos } from "../support/chaos.js";
import { runOutage } from "../support/outage.js";

// The short run of the chaos test; `npm run test:chaos` runs ten seeds over two days each.
let azurite: Azurite;
before(async () => {
  azurite = await startAzurite();
});
after(() => azurite.stop());

describe("chaos, one seed over one sandbox day", () => {
  it("archives every (id, version) and every log row exactly once, with nothing partial, no dead letter and no error escaping a job; a bad record costs that record only, archived incomplete; another tenant's revoked consent costs that tenant only", { timeout: 300_000 }, async () => {
    const result = await runChaos(azurite, {
      seed: 1,
      days: 1,
      callsPerDay: 150,
      outageAfterMs: 1_000,
      outageMs: 3_000,
      killRate: 0.08,
      duplicateRate: 0.05,
      storageRefusalRate: 0.1,
      plannerCrashRate: 0.2,
      // Higher than the long run's: one short day must meet them.
      loopingRecordRate: 0.02,
      oversizedRecordRate: 0.02,
      failingRecordRate: 0.02,
      stallRate: 0.02,
    });
    assert.deepEqual(
      { missing: result.missing, innocentLost: result.innocentLost, lostOrIncomplete: result.lostOrIncomplete, duplicated: result.duplicated, partial: result.partial, deadLetters: result.deadLetters, escaped: result.escaped },
      { missing: 0, innocentLost: 0, lostOrIncomplete: result.injectedBad, duplicated: 0, partial: 0, deadLetters: 0, escaped: 0 },
      JSON.stringify(result),
    );
    assert.ok(result.truth > 50 && result.archived === result.truth - result.injectedBad && result.incompleteArchived === result.injectedBad, JSON.stringify(result));
    // Both telephony logs, their day's passes 0 and 1 under the same chaos: every row's last line is Graph's row, each content once, in its own day.
    assert.deepEqual(
      { logMissing: result.logMissing, logDuplicated: result.logDuplicated, logMisplaced: result.logMisplaced, logExtra: result.logExtra },
      { logMissing: 0, logDuplicated: 0, logMisplaced: 0, logExtra: 0 },
      JSON.stringify(result),
    );
    assert.ok(result.logRows >= 20, JSON.stringify(result));
    // Two customer tenants under the same chaos: the one that kept its consent archived exactly as
    // its ground truth; the one that revoked it mid-run failed its remaining jobs by name, and what
    // it archived before is its own records, once each.
    assert.deepEqual(
      { tenantMissing: result.tenantMissing, tenantDuplicated: result.tenantDuplicated, tenantPartial: result.tenantPartial, revokedForeignOrDuplicated: result.revokedForeignOrDuplicated, revokedOtherDeadLetters: result.revokedOtherDeadLetters },
      { tenantMissing: 0, tenantDuplicated: 0, tenantPartial: 0, revokedForeignOrDuplicated: 0, revokedOtherDeadLetters: 0 },
      JSON.stringify(result),
    );
    assert.ok(result.tenantTruth > 10 && result.revokedDeadLetters > 0, JSON.stringify(result));
    // The chaos really happened.
    assert.ok(result.throttled > 0 && result.unavailable > 0 && result.retries > 0 && result.stalled > 0 && result.injectedBad > 0, JSON.stringify(result));
  });
});

describe("a three-day Graph outage on a queue without duplicate detection (simulated clock)", () => {
  it("keeps one retry chain per (window, pass): deliveries per pass within the bound, one dead letter per window Graph forgot meanwhile, nothing Graph still held lost", { timeout: 300_000 }, async () => {
    const result = await runOutage({ seed: 1, outageDays: 3, afterDays: 1, windowMinutes: 1440, chainRecords: true });
    // The bound over a 3-day outage, from the default settings: the first send (1), the chain's
    // attempts (delays double from 1 minute to the 1-hour cap, each at least half its step: 7 to
    // reach the cap, then at most one per 30 minutes, 144 in 3 days) and the coverage sweep's
    // re-sends (one per 6-hour resend period: 12, plus the period the outage started in): 165.
    assert.ok(result.maxDeliveries <= 165, JSON.stringify(result));
    const day = 86_400_000;
    // Windows whose retries would pass Graph's 30 days (less the 2-hour margin) during the outage:
    // the days starting 30, 29, 28 and 27 days before it. Each is dead-lettered once, as its pass 0.
    const expected = [30, 29, 28, 27].map((n) => {
      const start = new Date(result.startInMs - n * day).toISOString().replace(/[-:]/g, "").replace(/\d\d\.\d{3}Z$/, "Z");
      const end = new Date(result.startInMs - (n - 1) * day).toISOString().replace(/[-:]/g, "").replace(/\d\d\.\d{3}Z$/, "Z");
      return `${start}_${end}_p0 GraphUnavailableAtHorizon`;
    });
    assert.deepEqual(result.deadLettered, expected, JSON.stringify(result));
    assert.deepEqual({ missing: result.missing, lostIds: result.lostIds }, { missing: 0, lostIds: 0 }, JSON.stringify(result));
    assert.ok(result.truthIds > 100 && result.yielded > 0, JSON.stringify(result));
  });
});
