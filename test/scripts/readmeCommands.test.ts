import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import type { StatusReport } from "../../shared/pipeline/operate/statusReport.js";
import { startSandbox } from "../../sandbox/server.js";

// Every npm command in a fenced block of the README or docs/, run as a user runs it (npm, a child
// process, the real clock), or excluded here with the reason. A command added to a document and to
// neither list fails the first test. Synopses (`[--out FOLDER]`) run with their options filled in.
const root = resolve(import.meta.dirname, "..", "..");
const readme = await readFile(join(root, "README.md"), "utf8");
const documents = [readme, ...(await Promise.all((await readdir(join(root, "docs"))).filter((f) => f.endsWith(".md")).map((f) => readFile(join(root, "docs", f), "utf8"))))];

/** The npm command of each line of each fenced block that runs one (settings before it kept). */
const fencedCommands = documents.flatMap((text) => [...text.matchAll(/```\w*\n([\s\S]*?)```/g)])
  .flatMap((m) => (m[1] ?? "").split("\n"))
  .map((line) => line.trim())
  .filter((line) => /^(?:[A-Z_]+=\S+ )*npm /.test(line));

/** What each is, as the first words of the line say: run below, or excluded and why. */
const excluded: Record<string, string> = {
  "npm ci && npm test": "is this suite",
  "npm ci && npm run build": "npm run build is run by test/functions/package.test.ts, and zip is not the archiver",
  "ARCHIVER_SERVICEBUS__fullyQualifiedNamespace=": "npm run replay needs a Service Bus namespace (Azure); its logic is tested in test/pipeline/replay.test.ts",
  "npm run tenants -- add": "run as written, against Azurite and the sandbox's tenants, by test/scripts/tenants.test.ts",
  "npm run tenants -- retention": "run against Azurite's registry by test/scripts/tenants.test.ts: set, printed, refused at 30 days, back to the deployment's",
  "npm run purge --": "names an Azure archive account (--archive https://ACCOUNT…); the same command runs against Azurite in test/scripts/purge.test.ts: its dry run from the registry, --as-of, its refusals, and the deletes",
};
const run = ["npm ci && npm start", "npm start --", "npm run status --", "npm run curate --", "npm run query --"];

async function npm(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)("npm", args, { cwd: root, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("the README's npm commands, run as written", () => {
  it("every fenced npm command is run here or excluded with a reason", () => {
    assert.ok(fencedCommands.length >= 6, fencedCommands.join("\n"));
    const unknown = fencedCommands.filter((c) => ![...run, ...Object.keys(excluded)].some((known) => c.startsWith(known)));
    assert.deepEqual(unknown, [], "a README command neither run by this test nor excluded with a reason");
  });

  // One settled hour, into a folder: the README's `npm start -- [--from] [--to] [--out]`.
  const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
  const from = new Date(hour - 3 * 3_600_000).toISOString().replace(".000", "");
  const to = new Date(hour - 2 * 3_600_000).toISOString().replace(".000", "");
  let out = "";
  let started: { code: number; stdout: string; stderr: string };

  before(async () => {
    out = await mkdtemp(join(tmpdir(), "readme-commands-"));
    started = await npm(["start", "--", "--from", from, "--to", to, "--out", out]);
  });
  after(() => rm(out, { recursive: true, force: true }));

  it("npm start -- --from --to --out: exit 0, every window archived", () => {
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stdout, /records archived {2}\d+/);
  });

  it("npm run status -- --out --json: green after it (exit 0), and it counts the records npm start archived", async () => {
    const status = await npm(["run", "--silent", "status", "--", "--out", out, "--json"]);
    assert.equal(status.code, 0, status.stderr);
    const report = JSON.parse(status.stdout) as StatusReport;
    const archived = Number(/records archived {2}(\d+)/.exec(started.stdout)?.[1]);
    assert.equal(report.totals.records, archived);
  });

  it("npm run query -- --out \"…\": the README's calls-per-hour query counts the sandbox's calls of the hour", async () => {
    const query = /npm run query -- "([^"]+)"/.exec(readme)?.[1];
    assert.ok(query, "the README shows no npm run query example");
    const result = await npm(["run", "--silent", "query", "--", "--out", out, query]);
    assert.equal(result.code, 0, result.stderr);
    const [header, ...rows] = result.stdout.trim().split("\n");
    assert.match(header ?? "", /^year\s+month\s+day\s+hour\s+calls$/);
    const calls = rows.reduce((n, row) => n + Number(row.trim().split(/\s+/).at(-1)), 0);
    // The sandbox's own ground truth for the hour: npm start's sandbox is the built-in one (seed
    // "contoso", 300 calls a day), generated the same in this process.
    const sandbox = await startSandbox({ callsPerDay: 300 });
    try {
      const truth = sandbox.tenant.groundTruth(Date.parse(from), Date.parse(to));
      assert.ok(truth.length > 0, "the sandbox holds no call in the hour");
      assert.equal(calls, truth.length);
    } finally {
      await sandbox.close();
    }
  });

  it("npm run curate -- --from --to --out: exit 0, the day listed as not final yet (its re-reads are weeks away)", async () => {
    const day = from.slice(0, 10);
    const curate = await npm(["run", "--silent", "curate", "--", "--from", day, "--to", day, "--out", out]);
    assert.equal(curate.code, 0, curate.stderr);
    assert.match(curate.stdout, new RegExp(`^${day} {2}not final yet`, "m"));
  });
});
