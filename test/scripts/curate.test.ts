import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DuckDBInstance } from "@duckdb/node-api";
import { curatedFileName, curatedMarkerName } from "../../shared/pipeline/curate/curateDay.js";
import { archiveRecord, documentedFixture } from "../support/documentedLake.js";
import { runScript } from "../support/runScript.js";

// `npm run curate` as a child process on a folder archive holding Graph's documented record (its
// day final) and an earlier v1 curated day: it writes the day into curated/v2, leaves v1 alone,
// lists the day after as not final, and writes nothing the second time.
const curate = (args: string[], env: Record<string, string> = {}) => runScript("curate", args, 120_000, env);

let archive = "";
let day = 0;
const v1Marker = "curated/v1/_days/2020-02-25.json";

before(async () => {
  archive = await mkdtemp(join(tmpdir(), "curate-cli-"));
  day = await archiveRecord(archive, await documentedFixture("get-callrecord-expanded.json"));
  // What an earlier release wrote for the day: a v1 marker, to be left as it is.
  await mkdir(join(archive, "curated", "v1", "_days"), { recursive: true });
  await writeFile(join(archive, v1Marker), '{"schemaVersion":1}\n');
});

after(() => rm(archive, { recursive: true, force: true }));

describe("npm run curate -- --from --to --out", () => {
  it("writes each final day into curated/v2, lists a day not final, leaves v1; exit 0", async () => {
    const r = await curate(["--from", "2020-02-25", "--to", "2020-02-26", "--out", archive]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^2020-02-25 {2}curated: 1 calls, calls 1, sessions 1, segments 1, streams 1, participants 2$/m);
    assert.match(r.stdout, /^2020-02-26 {2}not final: its last re-read pass \(due 2020-03-18 00:00 UTC\) is not archived, and Graph no longer holds the day, so it stays uncurated$/m);
    assert.equal(await readFile(join(archive, v1Marker), "utf8"), '{"schemaVersion":1}\n');
    assert.equal(JSON.parse(await readFile(join(archive, curatedMarkerName(day)), "utf8")).schemaVersion, 2);
    // DuckDB, not our own reader, reads every table back.
    const db = await DuckDBInstance.create(":memory:");
    const sql = await db.connect();
    for (const table of ["calls", "sessions", "segments", "streams", "participants"] as const) {
      const [row] = (await sql.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM read_parquet('${join(archive, curatedFileName(table, day))}')`)).getRowObjectsJson();
      assert.ok(Number(row?.n) >= 1, table);
    }
    sql.closeSync();
    db.closeSync();
  });

  it("takes the instants npm start takes: --to 2020-02-26T00:00:00Z ends the span with 2020-02-25", async () => {
    const r = await curate(["--from", "2020-02-25T00:00:00Z", "--to", "2020-02-26T00:00:00Z", "--out", archive]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^2020-02-25 {2}already curated$/m);
    assert.doesNotMatch(r.stdout, /^2020-02-26/m);
  });

  it("a second run writes nothing: the day is already curated", async () => {
    const before = await readdir(join(archive, "curated", "v2"), { recursive: true });
    const r = await curate(["--from", "2020-02-25", "--to", "2020-02-25", "--out", archive]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^2020-02-25 {2}already curated$/m);
    assert.deepEqual(await readdir(join(archive, "curated", "v2"), { recursive: true }), before);
  });

  it("--tenant curates another tenant's days below its own folder; all takes ARCHIVER_TENANTS's too; home is the default", async () => {
    const fabrikam = "0b7e2c1a-5f3d-4e6b-9a8c-1d2e3f4a5b6c";
    const folder = await mkdtemp(join(tmpdir(), "curate-cli-tenant-"));
    try {
      const tenantDay = await archiveRecord(folder, await documentedFixture("get-callrecord-expanded.json"), fabrikam);
      const home = await curate(["--from", "2020-02-25", "--to", "2020-02-25", "--out", folder]);
      assert.equal(home.code, 0, `${home.stdout}\n${home.stderr}`);
      assert.match(home.stdout, /^2020-02-25 {2}not final: /m, "the home tenant has no final day here");
      const one = await curate(["--from", "2020-02-25", "--to", "2020-02-25", "--out", folder, "--tenant", fabrikam]);
      assert.equal(one.code, 0, `${one.stdout}\n${one.stderr}`);
      assert.match(one.stdout, /^tenant 0b7e2c1a-5f3d-4e6b-9a8c-1d2e3f4a5b6c\n2020-02-25 {2}curated: 1 calls, calls 1, sessions 1, segments 1, streams 1, participants 2$/m);
      assert.equal(JSON.parse(await readFile(join(folder, curatedMarkerName(tenantDay, fabrikam)), "utf8")).schemaVersion, 2);
      assert.ok((await readdir(join(folder, "curated/v2/calls/tenant=0b7e2c1a-5f3d-4e6b-9a8c-1d2e3f4a5b6c"), { recursive: true })).some((n) => n.endsWith("calls_20200225.parquet")));
      const all = await curate(["--from", "2020-02-25", "--to", "2020-02-25", "--out", folder, "--tenant", "all"], { ARCHIVER_TENANTS: fabrikam });
      assert.equal(all.code, 0, `${all.stdout}\n${all.stderr}`);
      assert.match(all.stdout, /^tenant home\n2020-02-25 {2}not final: .*\n\ntenant 0b7e2c1a-5f3d-4e6b-9a8c-1d2e3f4a5b6c\n2020-02-25 {2}already curated$/m);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  const refusals: [string, string[], RegExp][] = [
    ["a tenant that is not a tenant id", ["--from", "2020-02-25", "--to", "2020-02-25", "--tenant", "fabrikam.onmicrosoft.com"], /^error: --tenant expects home, all or a tenant id: /],
    ["no --from", ["--to", "2020-02-25"], /^error: --from is required/],
    ["a day that is not a day", ["--from", "2020-02-30x", "--to", "2020-02-25"], /^error: --from expects an ISO 8601 instant such as 2026-11-25T00:00:00Z or a UTC day such as 2026-11-25, got "2020-02-30x"/],
    ["a day the calendar does not have", ["--from", "2020-02-30", "--to", "2020-03-01"], /^error: --from expects an ISO 8601 instant .* got "2020-02-30"/],
    ["--to before --from", ["--from", "2020-02-25", "--to", "2020-02-24"], /^error: --to 2020-02-24 is before --from 2020-02-25/],
    ["a folder that does not exist", ["--from", "2020-02-25", "--to", "2020-02-25", "--out", "/nonexistent/archive"], /^error: --out \/nonexistent\/archive does not exist/],
  ];
  for (const [what, args, message] of refusals) {
    it(`refuses ${what} (exit 2, named, no stack)`, async () => {
      const r = await curate(args);
      assert.equal(r.code, 2, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    });
  }
});
