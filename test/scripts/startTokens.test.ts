import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { formatInstant, hourInMs } from "../../shared/core/window.js";
import { type Sandbox, startSandbox } from "../../sandbox/server.js";
import { callsPerDayFor } from "../../sandbox/generator.js";
import { sandboxCaFile, sandboxEnv } from "../support/graph.js";
import { archivedLines, runScript } from "../support/runScript.js";

// The real `npm start` as a child process on the real clock, against a Graph whose tokens stop
// working 4 s after issue though they claim an hour (revoked early, or a key roll), paced at 15
// requests a second so the run outlives several tokens. Requests meet 401s in waves; each wave
// must cost one token request, and no job may take a revoked token for a bad credential.
const hour = Math.floor(Date.now() / hourInMs) * hourInMs;
const tokenWorksForInSeconds = 4;

let sandbox: Sandbox;
let caFile = "";
let scratch = "";
before(async () => {
  sandbox = await startSandbox({
    seed: "cli-tokens",
    callsPerDay: callsPerDayFor(80, hour - 8 * hourInMs, hour - 2 * hourInMs),
    throttle: false,
    tokenWorksForInSeconds,
    faults: { latencyMs: 100 },
  });
  ({ caFile, folder: scratch } = await sandboxCaFile(sandbox, "archiver-tokens-"));
});
after(() => sandbox.close());

describe("npm start with tokens revoked long before their claimed expiry, on the real clock", () => {
  it("archives every record, exits 0, and asks for one token per wave of 401s", async () => {
    const from = hour - 8 * hourInMs;
    const to = hour - 2 * hourInMs;
    const out = join(scratch, "archive");
    const run = await runScript("start", ["--from", formatInstant(from), "--to", formatInstant(to), "--out", out], 150_000, {
      NODE_EXTRA_CA_CERTS: caFile,
      ...(sandboxEnv(sandbox, { ARCHIVER_GRAPH_RATE_REQUESTS: "15", ARCHIVER_GRAPH_RATE_WINDOW_SECONDS: "1" }) as Record<string, string>),
    });
    const seconds = run.wallInMs / 1000;
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    const waves = Math.ceil(seconds / tokenWorksForInSeconds);
    assert.ok(seconds > 3 * tokenWorksForInSeconds, `the run took ${seconds.toFixed(1)} s: too short to outlive several tokens`);
    assert.ok(sandbox.stats.tokensIssued >= 3, `only ${sandbox.stats.tokensIssued} tokens issued: the tokens never died under the run`);
    assert.ok(sandbox.stats.tokensIssued <= waves + 1, `${sandbox.stats.tokensIssued} tokens for at most ${waves} waves of 401s in ${seconds.toFixed(1)} s`);
    const lines = (await archivedLines(out)).map((l) => l.key);
    const truth = sandbox.tenant.groundTruth(from, to).map((t) => `${t.id}@${t.version}`).sort();
    assert.ok(truth.length > 0);
    assert.deepEqual([...new Set(lines)].sort(), truth);
  });
});
