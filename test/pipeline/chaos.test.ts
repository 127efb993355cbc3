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
  it("archives every (id, version) exactly once, with nothing partial and no error escaping a job; only windows with a looping record are dead-lettered, each named", { timeout: 300_000 }, async () => {
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
      // Higher than the long run's: one short day must meet both.
      loopingRecordRate: 0.03,
      stallRate: 0.02,
    });
    assert.deepEqual(
      { missing: result.missing, duplicated: result.duplicated, partial: result.partial, unexplainedDeadLetters: result.unexplainedDeadLetters, loopWindowsDeadLettered: result.loopWindowsDeadLettered, escaped: result.escaped },
      { missing: result.lostToLoops, duplicated: 0, partial: 0, unexplainedDeadLetters: 0, loopWindowsDeadLettered: result.loopWindows, escaped: 0 },
      JSON.stringify(result),
    );
    assert.ok(result.truth > 50 && result.archived === result.truth - result.lostToLoops, JSON.stringify(result));
    // The chaos really happened.
    assert.ok(result.throttled > 0 && result.unavailable > 0 && result.retries > 0 && result.stalled > 0 && result.loopWindows > 0, JSON.stringify(result));
  });
});
