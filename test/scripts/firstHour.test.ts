import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { runScript } from "../support/runScript.js";

// A newcomer's first hour, as the issue that listed its stumbles tried it: commands run as child
// processes on the real clock.
const root = resolve(import.meta.dirname, "..", "..");
const day = 86_400_000;

/** Runs a script with `cwd` as the project folder (its own .local/), the project's modules linked in. */
async function inFolder(cwd: string, script: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ["--import", "tsx", join(root, "scripts", `${script}.ts`), ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("before any npm start: status, query and curate say there is no archive yet (exit 2), not an outage", () => {
  let project = "";
  before(async () => {
    project = await mkdtemp(join(tmpdir(), "first-hour-"));
    await symlink(join(root, "node_modules"), join(project, "node_modules"), "dir");
  });
  after(() => rm(project, { recursive: true, force: true }));

  const commands: [string, string[]][] = [
    ["status", []],
    ["query", ["SELECT count(*) FROM callrecords_latest"]],
    ["curate", ["--from", "2026-11-01", "--to", "2026-11-01"]],
  ];
  for (const [script, args] of commands) {
    it(`npm run ${script}`, { timeout: 90_000 }, async () => {
      const run = await inFolder(project, script, args);
      assert.equal(run.code, 2, `${run.stdout}\n${run.stderr}`);
      assert.match(run.stderr, /^error: there is no archive yet: npm start writes one \(in \.local\/azurite, read here by default\); or give --out FOLDER or --archive URL$/m);
      assert.doesNotMatch(`${run.stdout}${run.stderr}`, /overdue|No files found|\n\s+at /);
    });
  }
});

describe("a local run over a day old enough: its day marker, then curate, taking npm start's instants", () => {
  // A whole UTC day 25 days back, in one day-long window: every pass is due, the last (20 days)
  // included, so the day is final by the same rule as in Azure.
  const start = Math.floor((Date.now() - 25 * day) / day) * day;
  const from = new Date(start).toISOString().replace(".000", "");
  const to = new Date(start + day).toISOString().replace(".000", "");
  const dayText = from.slice(0, 10);
  let user = "";
  let run: Awaited<ReturnType<typeof runScript>>;

  before(async () => {
    user = await mkdtemp(join(tmpdir(), "first-hour-user-"));
    // A relative --out, typed in the user's folder (INIT_CWD, as npm run leaves it).
    run = await runScript("start", ["--from", from, "--to", to, "--window", "1440", "--out", "archive-out"], 120_000, { INIT_CWD: user });
  });
  after(() => rm(user, { recursive: true, force: true }));

  it("writes into the user's folder, not the project's", () => {
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.ok(existsSync(join(user, "archive-out", "callrecords", "v1")), run.stdout);
    assert.ok(!existsSync(join(root, "archive-out")));
  });

  it("marks the day final (all six passes archived) and says each pass in words", async () => {
    const marker = JSON.parse(await readFile(join(user, "archive-out", "callrecords", "v1", `year=${dayText.slice(0, 4)}`, `month=${dayText.slice(5, 7)}`, `day=${dayText.slice(8, 10)}`, "_SUCCESS.json"), "utf8")) as { final: boolean; passes: number[] };
    assert.deepEqual([marker.final, marker.passes], [true, [0, 1, 2, 3, 4, 5]]);
    // Six call records passes, and two passes (0, and the re-read 7 days on) of each telephony log.
    assert.match(run.stdout, /\[\d+\/10\] \d{8}T\S+_p5 {2}harvested, \d+ records?$/m);
    assert.match(run.stdout, /\[\d+\/10\] pstn_\S+_p1 {2}harvested, \d+ rows?$/m);
  });

  it("npm run curate takes the same --from/--to and curates the day", async () => {
    const curate = await runScript("curate", ["--from", from, "--to", to, "--out", "archive-out"], 60_000, { INIT_CWD: user });
    assert.equal(curate.code, 0, curate.stderr);
    assert.match(curate.stdout, new RegExp(`^${dayText} {2}curated: \\d+ calls`, "m"));
    assert.doesNotMatch(curate.stdout, /not final/);
  });

  it("run again, the span given as days: the same six passes, each 'already archived', never an internal status name", async () => {
    const again = await runScript("start", ["--from", dayText, "--to", to.slice(0, 10), "--window", "1440", "--out", "archive-out"], 120_000, { INIT_CWD: user });
    assert.equal(again.code, 0, again.stderr);
    assert.equal((again.stdout.match(/\] \d{8}T\S+ {2}already archived$/gm) ?? []).length, 6, again.stdout);
    assert.equal((again.stdout.match(/\] (pstn|dr)_\S+ {2}already archived$/gm) ?? []).length, 4, again.stdout);
    assert.doesNotMatch(again.stdout, /alreadyDone/);
  });
});
