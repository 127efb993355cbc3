import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { after, before, describe, it } from "node:test";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { dataBlobName } from "../../shared/archive/archiveLayout.js";
import { folderArchiveStore } from "../../shared/archive/archiveStore.js";
import { dayInMs, hourInMs } from "../../shared/core/window.js";
import { lineRank } from "../../shared/lake/curatedTables.js";
import { curateDay, curatedFileName } from "../../shared/pipeline/curate/curateDay.js";
import { dayMarkerName } from "../../shared/pipeline/harvest/dayMarker.js";
import { projectRoot } from "../support/bicep.js";
import { documentedFixture } from "../support/documentedLake.js";

// Lines archived incomplete (_archive.incomplete) in the lake: Graph's documented record archived
// whole by pass 0 and, the same version, incomplete by a later pass (its list entry): the views and
// the curated tables keep the complete line. A second call archived only incomplete is kept, and
// says why. Expected values are typed from the document.
const id = "e523d2ed-2966-4b6b-925b-754a88034cc5";
const loopingId = "00000000-0000-0000-0000-00000000c0de";
let root = "";
let day = 0;
let sql: DuckDBConnection;
let close: () => void = () => undefined;

before(async () => {
  const record = await documentedFixture("get-callrecord-expanded.json");
  root = await mkdtemp(join(tmpdir(), "incomplete-lake-"));
  const start = Date.parse(String(record.startDateTime));
  day = Math.floor(start / dayInMs) * dayInMs;
  const hour = Math.floor(start / hourInMs) * hourInMs;
  const window = { startInMs: hour, endInMs: hour + hourInMs };
  const archive = folderArchiveStore(root);
  const whole = { ...record, "sessions@odata.nextLink": undefined, _archive: { pass: 0 } };
  const listEntry = { id, version: record.version, startDateTime: record.startDateTime, endDateTime: record.endDateTime, _archive: { pass: 1, incomplete: { reason: "recordFailing" } } };
  const looping = { id: loopingId, version: 3, startDateTime: record.startDateTime, endDateTime: record.endDateTime, sessions: [], _archive: { pass: 1, incomplete: { reason: "pagingLoop", list: "sessions", pagesRead: 2 } } };
  const blob = (lines: unknown[]) => Readable.from([gzipSync(lines.map((l) => `${JSON.stringify(l)}\n`).join(""))]);
  await archive.createFromStream(dataBlobName({ window, pass: 0 }), blob([whole]), "application/x-ndjson");
  await archive.createFromStream(dataBlobName({ window, pass: 1 }), blob([listEntry, looping]), "application/x-ndjson");
  await archive.createText(dayMarkerName(day), "{}", "application/json");
  const curated = await curateDay({ archive, nowInMs: () => day + 30 * dayInMs }, day);
  assert.equal(curated.status, "curated");
  const db = await DuckDBInstance.create(":memory:");
  sql = await db.connect();
  await sql.run(`SET VARIABLE archive = '${root}'`);
  await sql.run(await readFile(join(projectRoot, "lake", "duckdb", "views.sql"), "utf8"));
  close = () => {
    sql.closeSync();
    db.closeSync();
  };
});

after(async () => {
  close();
  await rm(root, { recursive: true, force: true });
});

const rows = async (query: string) => (await sql.runAndReadAll(query)).getRowObjectsJson() as Record<string, unknown>[];

describe("lines archived incomplete, in the lake", () => {
  it("callrecords_latest keeps the complete line of a version over a later pass's incomplete one, and an incomplete call with its reason", async () => {
    const got = await rows("SELECT id, _archive.pass AS pass, _archive.incomplete.reason AS reason, _archive.incomplete.pagesRead AS pagesRead, len(sessions) AS sessions FROM callrecords_latest ORDER BY id");
    assert.deepEqual(got, [
      { id: loopingId, pass: "1", reason: "pagingLoop", pagesRead: "2", sessions: "0" },
      { id, pass: "0", reason: null, pagesRead: null, sessions: "1" },
    ]);
  });

  it("the curated calls table keeps the same lines, with incompleteReason", async () => {
    const got = await rows(`SELECT callId, archivePass, incompleteReason, sessionCount FROM read_parquet('${join(root, curatedFileName("calls", day))}') ORDER BY callId`);
    assert.deepEqual(got, [
      { callId: loopingId, archivePass: 1, incompleteReason: "pagingLoop", sessionCount: 0 },
      { callId: id, archivePass: 0, incompleteReason: null, sessionCount: 1 },
    ]);
  });

  it("ranks a newer version first, then a complete line, then the later pass", () => {
    const line = (version: number, incomplete: boolean) => ({ version, _archive: incomplete ? { incomplete: { reason: "recordFailing" } } : {} });
    assert.ok(lineRank(line(3, true), 1) > lineRank(line(2, false), 4), "a newer version, even incomplete");
    assert.ok(lineRank(line(2, false), 0) > lineRank(line(2, true), 1), "of one version, complete before incomplete");
    assert.ok(lineRank(line(2, false), 1) > lineRank(line(2, false), 0), "then the later pass");
  });
});
