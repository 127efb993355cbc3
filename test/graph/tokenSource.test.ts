import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AccessToken, TokenCredential } from "@azure/core-auth";
import { createTokenSource } from "../../shared/graph/credentials.js";

/**
 * Credentials that hand out numbered tokens (or always `fixed`, as a managed identity endpoint's
 * cache may) after `delayInMs`, counting what was asked of them.
 */
function countingCredentials(options: { delayInMs?: number; fixed?: AccessToken } = {}) {
  const counts = { built: 0, fetched: 0 };
  const make = (): TokenCredential => {
    counts.built += 1;
    return {
      getToken: async (): Promise<AccessToken> => {
        counts.fetched += 1;
        const token = `t${counts.fetched}`;
        await new Promise((resolve) => setTimeout(resolve, options.delayInMs ?? 20));
        return options.fixed ?? { token, expiresOnTimestamp: Date.now() + 3_600_000 };
      },
    };
  };
  return { counts, make };
}

const scope = "https://graph.microsoft.com/.default";

describe("the token source", () => {
  it("asks Entra once for many requests that need a token at the same moment", async () => {
    const { counts, make } = countingCredentials();
    const tokens = createTokenSource(make, scope);
    const got = await Promise.all(Array.from({ length: 50 }, () => tokens.getToken()));
    assert.deepEqual(new Set(got.map((t) => t.value)), new Set(["t1"]));
    assert.equal(counts.fetched, 1);
  });

  it("refreshes once, with one new credential, however many requests met 401 on the same token, early or late", async () => {
    const { counts, make } = countingCredentials();
    const tokens = createTokenSource(make, scope);
    const rejected = await tokens.getToken();
    const since = tokens.rejected(rejected);
    const fresh = await Promise.all(Array.from({ length: 50 }, () => tokens.getToken(tokens.rejected(rejected))));
    assert.deepEqual(new Set(fresh.map((t) => t.value)), new Set(["t2"]));
    assert.deepEqual(counts, { built: 2, fetched: 2 });
    // A request that met the 401 on t1 late, after the refresh, gets t2 without another fetch:
    // the first 401 on t1 is what its next token must come after.
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(tokens.rejected(rejected), since);
    assert.equal((await tokens.getToken(tokens.rejected(rejected))).value, "t2");
    assert.deepEqual(counts, { built: 2, fetched: 2 });
  });

  it("never hands a request that met a 401 a token whose fetch began before that 401", async () => {
    let now = 1_000;
    const { counts, make } = countingCredentials({ delayInMs: 30 });
    const tokens = createTokenSource(make, scope, () => now);
    const first = await tokens.getToken();
    // A request with another token (say t1 is near expiry for everyone) starts a fetch at 1,000 …
    now = 2_000;
    const inFlight = tokens.getToken(1_500);
    // … and at 2,010 Graph answers 401 to t1: a token from the fetch begun at 2,000 may be dead already.
    now = 2_010;
    const since = tokens.rejected(first);
    const after = await tokens.getToken(since);
    assert.equal((await inFlight).value, "t2");
    assert.equal(after.value, "t3");
    assert.ok(after.fetchedAt >= since);
    assert.equal(counts.fetched, 3);
  });

  it("tells tokens apart by value and expiry: the same token handed back again is the old token, not a fresh one", async () => {
    let now = 1_000;
    const fixed = { token: "cached-by-the-endpoint", expiresOnTimestamp: Date.now() + 3_600_000 };
    const { make } = countingCredentials({ fixed });
    const tokens = createTokenSource(make, scope, () => now);
    const first = await tokens.getToken();
    now = 2_000;
    const since = tokens.rejected(first);
    const again = await tokens.getToken(since);
    assert.equal(again.value, fixed.token);
    assert.equal(again.fetchedAt, 1_000, "a 401 on it would be judged as on a token fetched after the 401");
  });

  it("remembers which tokens Graph accepted", async () => {
    const { make } = countingCredentials();
    const tokens = createTokenSource(make, scope);
    const token = await tokens.getToken();
    assert.equal(tokens.wasAccepted(token), false);
    tokens.accepted(token);
    assert.equal(tokens.wasAccepted(token), true);
  });
});
