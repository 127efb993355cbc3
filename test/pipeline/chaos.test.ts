import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Azurite, startAzurite } from "../../local/azurite.js";
import { runChaos } from "../support/chaos.js";

// The short run of the chaos test; `npm run test:chaos` runs ten seeds over two days each.
let azurite: Azurite;
before(async () => {
  azurite = await startAzurite();
});
after(() => azurite.stop());

describe("chaos, one seed over one sandbox day", () => {
  it("archives every (id, version) exactly once, with nothing partial, no dead letter and no error escaping a job; a bad record costs that record only, archived incomplete", { timeout: 300_000 }, async () => {
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
    // The chaos really happened.
    assert.ok(result.throttled > 0 && result.unavailable > 0 && result.retries > 0 && result.stalled > 0 && result.injectedBad > 0, JSON.stringify(result));
  });
});
