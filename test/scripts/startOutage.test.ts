import assert from "node:assert/strict";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { chainBlobName } from "../../shared/archive/archiveLayout.js";
import { jobBody } from "../../shared/core/job.js";
import { after, before, describe, it } from "node:test";
import { dayInMs, formatInstant, hourInMs } from "../../shared/core/window.js";
import { type Sandbox, startSandbox } from "../../sandbox/server.js";
import { callsPerDayFor } from "../../sandbox/generator.js";
import { sandboxCaFile, sandboxEnv } from "../support/graph.js";
import { archivedLines, runScript } from "../support/runScript.js";

// The real `npm start` as a child process on the real clock, against a Graph (the sandbox, in
// this process) that goes down for longer than one request's retries: jobs fail, are re-sent by
// the job retry policy, and the run must still end, 0, with every record archived. Nothing here
// shares a clock with the run: the outage is in real time, the run reads its own.
const hour = Math.floor(Date.now() / hourInMs) * hourInMs;
const outageMs = 8_000;

let sandbox: Sandbox;
let caFile = "";
let scratch = "";
before(async () => {
  // The outage starts with the first run's third Graph request, however long the run takes to
  // start up; its span gets about 60 calls at any hour (a wall-clock outage and a fixed volume
  // missed each other on a quiet evening: the run ended before the outage began).
  sandbox = await startSandbox({
    seed: "cli-outage",
    callsPerDay: callsPerDayFor(60, hour - 8 * hourInMs, hour - 2 * hourInMs),
    throttle: false,
    faults: { outageAfterRequests: { after: 3, lengthInMs: outageMs } },
  });
  ({ caFile, folder: scratch } = await sandboxCaFile(sandbox, "archiver-outage-"));
});
after(() => sandbox.close());

const start = (args: string[]) => script("start", args);

// A request gives up in well under a second of outage; the job is then re-sent after 1–2 s,
// doubling: the outage outlasts several of both.
const script = (name: "start" | "status", args: string[]) =>
  runScript(name, args, 150_000, {
    NODE_EXTRA_CA_CERTS: caFile,
    ...(sandboxEnv(sandbox) as Record<string, string>),
    ARCHIVER_GRAPH_MAX_ATTEMPTS: "2",
    ARCHIVER_GRAPH_RETRY_BASE_MS: "50",
    ARCHIVER_GRAPH_RETRY_MAX_MS: "200",
    ARCHIVER_JOB_RETRY_BASE_MS: "2000",
    ARCHIVER_JOB_RETRY_MAX_MS: "4000",
  });

describe("npm start through a Graph outage longer than a request's retries, on the real clock", () => {
  it("a recent span: jobs are re-sent, the run ends 0, and every record is archived once, whatever retry chains an earlier, interrupted run left in the folder", async () => {
    const from = hour - 8 * hourInMs;
    const to = hour - 2 * hourInMs;
    const out = join(scratch, "recent");
    // An earlier run stopped with Ctrl-C while its passes were being retried: their chain records
    // stay (write-once), naming chains no queue holds any more. This run must retry on regardless.
    for (let start = from; start < to; start += hourInMs) {
      const job = { window: { startInMs: start, endInMs: start + hourInMs }, pass: 0 };
      const file = join(out, ...chainBlobName(job).split("/"));
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, `${JSON.stringify({ schemaVersion: 1, job: jobBody(job), chain: "c20200101T0000Z-000000", startedAt: "2020-01-01T00:00:00Z", firstFailure: "GraphUnavailable" })}\n`);
    }
    const run = await start(["--from", formatInstant(from), "--to", formatInstant(to), "--out", out]);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /attempt 1 in \d+ s/, "no job failed and was re-sent: the outage was not met");
    assert.ok(sandbox.stats.unavailable > 0, "the sandbox answered no 503");
    const truth = sandbox.tenant.groundTruth(from, to).map((t) => `${t.id}@${t.version}`).sort();
    assert.ok(truth.length > 0);
    assert.deepEqual((await archivedLines(out)).map((l) => l.key).sort(), truth);
  });

  it("a span up to the last settled instant: the re-read passes due by Graph's offsets run now, and npm run status is green after it", async () => {
    const out = join(scratch, "up-to-now");
    const run = await start(["--from", formatInstant(hour - 30 * hourInMs), "--out", out]);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    // Windows that ended over 6 hours ago are overdue for their 6-hour pass by the real clock; the
    // planner's catch-up stagger (one settle delay per pass after pass 0) would leave them for later.
    const status = await script("status", ["--out", out]);
    assert.equal(status.code, 0, `${status.stdout}\n${status.stderr}`);
    assert.match(status.stdout, /every due \(window, pass\) is archived/);
  });

  it("a span that ended days ago: the re-read passes already due run too, and the run ends 0", async () => {
    const to = hour - 3 * dayInMs;
    const from = to - 3 * hourInMs;
    const out = join(scratch, "days-ago");
    const run = await start(["--from", formatInstant(from), "--to", formatInstant(to), "--out", out]);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    const lines = await archivedLines(out);
    // Passes 1 (6 h), 2 (1 d) and 3 (3 d) are due for every window; pass 4 (7 d) for none.
    const manifests = (await readdir(join(out, "callrecords"), { recursive: true })).filter((f) => f.endsWith(".manifest.json"));
    const ofPass = (pass: number) => manifests.filter((m) => m.endsWith(`_p${pass}.manifest.json`)).length;
    assert.deepEqual([0, 1, 2, 3, 4].map(ofPass), [3, 3, 3, 3, 0], "each due pass runs for every window, and no pass runs early");
    // What it could not run yet is said, with when: the 7-day pass of the span's first window.
    assert.match(run.stdout, new RegExp(`\\d+ re-read passes are not due yet \\(the first at ${formatInstant(from + hourInMs + 7 * dayInMs)}: run again after it`));
    const latest = new Map<string, number>();
    for (const { key } of lines) {
      const [id, version] = key.split("@") as [string, string];
      latest.set(id, Math.max(latest.get(id) ?? 0, Number(version)));
    }
    for (const t of sandbox.tenant.groundTruth(from, to)) assert.equal(latest.get(t.id), t.version, `record ${t.id} is not archived at its current version`);
  });
});
