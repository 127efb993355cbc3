import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { before, describe, it } from "node:test";
import { dayInMs, formatInstant, hourInMs } from "../../shared/core/window.js";
import { redactUrl } from "../../local/startOptions.js";

// `npm start` refusing what it cannot do, driven as a user drives it: the real script, its exact
// message and exit status (2: usage or configuration; 0: archived, warnings and all).
const root = resolve(import.meta.dirname, "..", "..");
const hour = Math.floor(Date.now() / hourInMs) * hourInMs;

async function start(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ["--import", "tsx", "scripts/start.ts", ...args], {
      cwd: root,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", SANDBOX_CALLS_PER_DAY: "60", ...env },
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let scratch = "";
let aFile = "";
before(async () => {
  scratch = await mkdtemp(join(tmpdir(), "archiver-cli-"));
  aFile = join(scratch, "a-file");
  await writeFile(aFile, "not a folder");
});

describe("npm start refuses what it cannot do, by name (exit status 2)", () => {
  const secret = "sig=SECRETSIGNATURE";
  const table: [string, () => string[], Record<string, string>, RegExp][] = [
    ["--to after the last settled instant", () => ["--to", formatInstant(hour + 3 * hourInMs), "--out", scratch], {}, /^error: --to \S+ is later than the last settled instant, \S+ \(now minus ARCHIVER_SETTLE_MINUTES\): Graph may not list those calls yet, and a local run never reads them again\. Use --to \S+ or earlier\./],
    ["a span older than Graph's 30 days", () => ["--from", formatInstant(hour - 40 * dayInMs), "--to", formatInstant(hour - 35 * dayInMs), "--out", scratch], {}, /^error: the span ends at \S+, before the oldest instant Graph can still be read from, \S+ \(now minus 30 days, plus ARCHIVER_SAFETY_MARGIN_MINUTES\): Graph has forgotten those calls\./],
    ["--out naming a file", () => ["--out", aFile], {}, /^error: --out \S+a-file is a file; give a folder \(it is created if missing\) or an https:\/\/ blob container URL/],
    ["--out below a file", () => ["--out", join(aFile, "archive")], {}, /^error: cannot write to --out \S+a-file\/archive: part of that path is a file/],
    ["--out with an http:// URL", () => ["--out", "http://example.com/archive"], {}, /^error: --out http:\/\/example\.com\/archive is neither a folder nor an https:\/\/ blob container URL/],
    ["--out with a SAS URL naming a blob, not a container", () => ["--out", `https://acct.blob.core.windows.net/archive/x?sv=2024&${secret}`], {}, /^error: --out https:\/\/acct\.blob\.core\.windows\.net\/archive\/x\?\[query redacted\] must name one blob container/],
    ["--out to a host that is not a blob endpoint", () => ["--out", `https://archive.attacker.example/c?${secret}`], {}, /^error: --out https:\/\/archive\.attacker\.example\/c\?\[query redacted\] is not a blob endpoint of the Global cloud \(https:\/\/ACCOUNT\.blob\.core\.windows\.net\/CONTAINER, set by ARCHIVER_CLOUD\): your Azure Storage token is sent to no other host/],
    ["--out to another cloud's blob endpoint", () => ["--out", "https://acct.blob.core.windows.net/c"], { ARCHIVER_CLOUD: "USGov" }, /^error: --out https:\/\/acct\.blob\.core\.windows\.net\/c is not a blob endpoint of the USGov cloud \(https:\/\/ACCOUNT\.blob\.core\.usgovcloudapi\.net\/CONTAINER/],
    ["--out to a container on this machine without a SAS: your Azure login's token is not sent there", () => ["--out", "https://127.0.0.1:1/archive"], {}, /^error: --out https:\/\/127\.0\.0\.1:1\/archive is on this machine: give it as a SAS URL \(your Azure login's token goes only to the Global cloud's blob endpoints\)/],
    ["--out to a container with no Azure login, before any Graph request", () => ["--out", "https://nosuchaccount.blob.core.windows.net/archive"], { AZURE_CONFIG_DIR: "/nonexistent" }, /^error: cannot use --out https:\/\/nosuchaccount\.blob\.core\.windows\.net\/archive \(/],
    ["--out to a container that cannot be reached, with a SAS", () => ["--out", `https://127.0.0.1:1/archive?sv=2024&${secret}`], {}, /^error: cannot use --out https:\/\/127\.0\.0\.1:1\/archive\?\[query redacted\] \(it cannot be reached: connect ECONNREFUSED/],
    ["--window 7", () => ["--window", "7", "--out", scratch], {}, /^error: --window expects minutes that divide a day \(1440\), such as 15, 30, 60 or 120; got "7"/],
    ["--to 10:45 (not an instant)", () => ["--to", "10:45", "--out", scratch], {}, /^error: --to expects an ISO 8601 instant such as 2026-11-25T00:00:00Z or a UTC day such as 2026-11-25, got "10:45"/],
    ["--from 2026-02-30 (a day the calendar does not have)", () => ["--from", "2026-02-30", "--out", scratch], {}, /^error: --from expects an ISO 8601 instant .* got "2026-02-30"/],
    ["ARCHIVER_GRAPH_APP_CLIENT_ID without a real tenant's credential", () => ["--out", scratch], { ARCHIVER_GRAPH_APP_CLIENT_ID: "00000000-0000-0000-0000-000000000001" }, /^error: ARCHIVER_GRAPH_APP_CLIENT_ID is set, but that identity .* exists only in Azure\./],
    ["a blob service URI that is not https", () => ["--out", scratch], { ARCHIVER_STORAGE__blobServiceUri: "http://starchive.blob.core.windows.net" }, /ARCHIVER_STORAGE__blobServiceUri: expected an https URL \(identity-based access needs TLS\)/],
    ["a Service Bus namespace given as a URL", () => ["--out", scratch], { ARCHIVER_SERVICEBUS__fullyQualifiedNamespace: "https://sb-archiver.servicebus.windows.net/" }, /ARCHIVER_SERVICEBUS__fullyQualifiedNamespace: expected a host name such as sb-archiver\.servicebus\.windows\.net, not a URL/],
    ["a 5-field schedule", () => ["--out", scratch], { ARCHIVER_SCHEDULE: "*/15 * * * *" }, /ARCHIVER_SCHEDULE: expected a 6-field NCRONTAB expression such as "0 \*\/15 \* \* \* \*": expected 6 fields/],
    ["a schedule with hour 25", () => ["--out", scratch], { ARCHIVER_SCHEDULE: "0 0 25 * * *" }, /ARCHIVER_SCHEDULE: .*the hour field "25" is outside 0-23/],
    ["a time budget longer than the function timeout allows", () => ["--out", scratch], { ARCHIVER_TIME_BUDGET_SECONDS: "600", AzureFunctionsJobHost__functionTimeout: "00:10:00" }, /ARCHIVER_TIME_BUDGET_SECONDS: 600 s leaves less than 3 minutes of the function timeout \(600 s\) to split a window; harvests would time out instead\. Use at most 420\./],
  ];
  for (const [what, args, env, message] of table) {
    it(`${what}`, async () => {
      const run = await start(args(), env);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, message);
      assert.ok(!`${run.stdout}${run.stderr}`.includes("SECRETSIGNATURE"), "a SAS signature was printed");
      assert.deepEqual(await readdir(scratch), ["a-file"], "something was archived");
    });
  }

  it("redacts the whole query and fragment of any URL it prints, whatever they hold, to the end of the line", () => {
    assert.equal(redactUrl("into https://a.blob.core.windows.net/c?sv=1&sig=abc then\nnext line"), "into https://a.blob.core.windows.net/c?[query redacted]\nnext line");
    // Blanks and quotes inside the query, and a fragment before it, hide nothing.
    for (const url of ['https://a.blob.core.windows.net/c?rscd=attachment; filename="a b"&sig=SECRET', "https://a.blob.core.windows.net/c#x?sig=SECRET", "https://a.blob.core.windows.net/c?x=<y>&sig=SECRET"]) {
      assert.equal(redactUrl(`archive ${url}`), "archive https://a.blob.core.windows.net/c?[query redacted]");
    }
    // Already redacted text keeps what follows it (a sentence built around a redacted URL).
    assert.equal(redactUrl("--out https://a.blob.core.windows.net/c?[query redacted] is not a folder"), "--out https://a.blob.core.windows.net/c?[query redacted] is not a folder");
    // A SAS may carry ; , ) ' in its response headers: they do not end the query.
    for (const sas of ["sv=1&rscd=attachment;filename=x&sig=SECRET", "sv=1&rscd=a,b&sig=SECRET", "rscd=(x)&sig=SECRET", "rscd='x'&sig=SECRET"]) {
      const printed = redactUrl(`error: https://a.blob.core.windows.net/c?${sas}, then`);
      assert.ok(!printed.includes("SECRET"), printed);
      assert.match(printed, /^error: https:\/\/a\.blob\.core\.windows\.net\/c\?\[query redacted\]/);
    }
  });
});

describe("npm start says what it changed (exit status 0)", () => {
  it("a --to off the window boundary is floored, with a warning", async () => {
    const out = join(scratch, "floored");
    const to = hour - 30 * hourInMs + 45 * 60_000;
    const run = await start(["--from", formatInstant(hour - 31 * hourInMs), "--to", formatInstant(to), "--out", out]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, new RegExp(`warning: --to ${formatInstant(to)} is not on a 60-minute window boundary; using ${formatInstant(to - 45 * 60_000)}`));
    assert.match(run.stdout, /windows {11}1;/);
  });

  it("a span straddling Graph's horizon is clipped, and the warning says what was left out", async () => {
    const out = join(scratch, "clipped");
    const run = await start(["--from", formatInstant(hour - 31 * dayInMs), "--to", formatInstant(hour - 30 * dayInMs + 3 * hourInMs), "--out", out]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /warning: --from \S+ is before the oldest instant Graph can still be read from; archiving from (\S+) instead\. Left out: \S+ to \S+, which Graph has forgotten\./);
    assert.match(run.stdout, /windows {11}[12];/);
  });
});
