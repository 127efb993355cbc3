import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AccessToken, TokenCredential } from "@azure/core-auth";
import { createTokenSource } from "../../shared/graph/credentials.js";

/** Credentials that hand out numbered tokens after a short wait, counting what was asked of them. */
function countingCredentials() {
  const counts = { built: 0, fetched: 0 };
  const make = (): TokenCredential => {
    counts.built += 1;
    return {
      getToken: async (): Promise<AccessToken> => {
        counts.fetched += 1;
        const token = `t${counts.fetched}`;
        await new Promise((resolve) => setTimeout(resolve, 20));
        return { token, expiresOnTimestamp: Date.now() + 3_600_000 };
      },
    };
  };
  return { counts, make };
}

describe("the token source", () => {
  it("asks Entra once for many requests that need a token at the same moment", async () => {
    const { counts, make } = countingCredentials();
    const tokens = createTokenSource(make, "https://graph.microsoft.com/.default");
    const got = await Promise.all(Array.from({ length: 50 }, () => tokens.getToken()));
    assert.deepEqual(new Set(got), new Set(["t1"]));
    assert.equal(counts.fetched, 1);
  });

  it("refreshes once, with one new credential, however many requests met the same 401", async () => {
    const { counts, make } = countingCredentials();
    const tokens = createTokenSource(make, "https://graph.microsoft.com/.default");
    const rejected = await tokens.getToken();
    const fresh = await Promise.all(Array.from({ length: 50 }, () => tokens.getToken(rejected)));
    assert.deepEqual(new Set(fresh), new Set(["t2"]));
    assert.deepEqual(counts, { built: 2, fetched: 2 });
    // A request that met the 401 late, after the refresh, gets the new token without another.
    assert.equal(await tokens.getToken(rejected), "t2");
    assert.deepEqual(counts, { built: 2, fetched: 2 });
  });
});
