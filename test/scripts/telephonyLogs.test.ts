/**
 * The telephony logs through the command line, as a user runs it: npm start over an old enough day
 * of a sandbox tenant without PSTN calling (SANDBOX_WITHOUT_LOGS), then npm run status and
 * npm run query over what it wrote.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runScript } from "../support/runScript.js";

const day = 86_400_000;
// Ten days back: pass 0 (48 h after the day) and the re-read at 7 days are due, the one at 30 days not.
const start = Math.floor((Date.now() - 10 * day) / day) * day;
const from = new Date(start).toISOString().slice(0, 10);
const to = new Date(start + day).toISOString().slice(0, 10);

describe("a tenant without PSTN calling, through npm start, status and query", () => {
  let folder = "";
  let run: Awaited<ReturnType<typeof runScript>>;
  before(async () => {
    folder = await mkdtemp(join(tmpdir(), "telephony-cli-"));
    run = await runScript("start", ["--from", from, "--to", to, "--window", "1440", "--out", join(folder, "out")], 120_000, { SANDBOX_WITHOUT_LOGS: "pstnCalls" });
  });
  after(() => rm(folder, { recursive: true, force: true }));

  it("npm start exits 0, says PSTN calls are not available and archives the Direct Routing day", () => {
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /^ {2}PSTN calls {11}not available in this tenant: Graph answered 404 for getPstnCalls \(recorded; every day asks again\)$/m);
    assert.match(run.stdout, /^ {2}Direct Routing calls 1 day, 2 passes: 30 rows archived \(\d+ KiB gzip\) under directroutingcalls\/v1\/$/m);
  });

  it("npm run status reports it, and exits 0: a tenant without a log is not an outage", async () => {
    // The window length the archive was written with (status reads it from the settings).
    const status = await runScript("status", ["--out", join(folder, "out")], 60_000, { ARCHIVER_WINDOW_MINUTES: "1440" });
    assert.equal(status.code, 0, `${status.stdout}\n${status.stderr}`);
    assert.match(status.stdout, /^PSTN calls: not available in this tenant \(Graph answered 404 for getPstnCalls on the newest day read\); every day asks again$/m);
    assert.match(status.stdout, /^Direct Routing calls: 1\/1 days read, 1\/1 re-reads, 30 rows; nothing overdue$/m);
  });

  it("npm run query reads direct_routing_calls (and no PSTN view, with no PSTN file)", async () => {
    const query = await runScript("query", ["--out", join(folder, "out"), "SELECT count(*) AS calls, count(DISTINCT id) AS ids, min(startDateTime)::VARCHAR AS first FROM direct_routing_calls"], 60_000);
    assert.equal(query.code, 0, query.stderr);
    // The sandbox's first row of every day starts exactly at midnight.
    assert.match(query.stdout, new RegExp(`^30 +30 +${from} 00:00:00 *$`, "m"));
    const pstn = await runScript("query", ["--out", join(folder, "out"), "SELECT count(*) FROM pstn_calls"], 60_000);
    assert.equal(pstn.code, 1);
    assert.match(pstn.stderr, /pstn_calls does not exist/);
  });
});
