import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { dataBlobName } from "../../shared/archive/archiveLayout.js";
import { folderArchiveStore } from "../../shared/archive/archiveStore.js";
import { dayInMs, hourInMs } from "../../shared/core/window.js";
import { curateDay, curatedFileName } from "../../shared/pipeline/curateDay.js";
import { dayMarkerName } from "../../shared/pipeline/dayMarker.js";
import { projectRoot } from "../support/bicep.js";

// Archives written before 2026-06-30 hold what Graph sent then: endpoints with `identity`, and a
// `participants` list of identity sets (no participants_v2). Graph's own 2020 revision of the
// expanded record is archived as such, and read through the DuckDB views and the curated tables;
// expected values are typed from the document.
let root = "";
let db: DuckDBInstance;
let sql: DuckDBConnection;
const rows = async (query: string) => (await sql.runAndReadAll(query)).getRowObjectsJson() as Record<string, unknown>[];
const day = Date.parse("2020-02-25T00:00:00Z");
const abbie = "821809f5-0000-0000-0000-3b5136c0e777";
const owen = "f69e2c00-0000-0000-0000-185e5f5f5d8a";

before(async () => {
  const record = JSON.parse(await readFile(join(projectRoot, "..", "shared", "fixtures", "graph", "get-callrecord-expanded-2020-revision.json"), "utf8")) as Record<string, unknown>;
  const line = { ...record, "sessions@odata.nextLink": undefined, _archive: { pass: 0 } };
  root = await mkdtemp(join(tmpdir(), "older-archive-"));
  const archive = folderArchiveStore(root);
  const job = { window: { startInMs: day + 18 * hourInMs, endInMs: day + 19 * hourInMs }, pass: 0 };
  await archive.createFromStream(dataBlobName(job), Readable.from([gzipSync(`${JSON.stringify(line)}\n`)]), "application/x-ndjson");
  await archive.createText(dayMarkerName(day), "{}", "application/json");
  assert.equal((await curateDay({ archive, nowInMs: () => day + 30 * dayInMs }, day)).status, "curated");
  db = await DuckDBInstance.create(":memory:");
  sql = await db.connect();
  await sql.run(`SET VARIABLE archive = '${root}'`);
  await sql.run(await readFile(join(projectRoot, "lake", "duckdb", "views.sql"), "utf8"));
});

after(async () => {
  sql?.closeSync();
  db?.closeSync();
  await rm(root, { recursive: true, force: true });
});

const participants = [
  { participantId: abbie, kind: "user", displayName: "Abbie Wilkins" },
  { participantId: owen, kind: "user", displayName: "Owen Franklin" },
];

describe("an archive written before 2026-06-30 (Graph's 2020 revision of the expanded record)", () => {
  it("callrecord_participants reads its participants list, and says so", async () => {
    const got = await rows("SELECT participantId, kind, displayName, source FROM callrecord_participants ORDER BY participantId");
    assert.deepEqual(got, participants.map((p) => ({ ...p, source: "participants" })));
  });

  it("callrecord_sessions keeps its caller's and callee's identity sets", async () => {
    const [session] = await rows("SELECT caller.identity.user.displayName AS caller, callee.identity.user.displayName AS callee FROM callrecord_sessions");
    assert.deepEqual(session, { caller: "Abbie Wilkins", callee: "Owen Franklin" });
  });

  it("the curated participants and sessions tables name the same people", async () => {
    const got = await rows(`SELECT participantId, kind, displayName FROM read_parquet('${join(root, curatedFileName("participants", day))}') ORDER BY participantId`);
    assert.deepEqual(got, participants);
    const [session] = await rows(`SELECT callerUserId, calleeUserId FROM read_parquet('${join(root, curatedFileName("sessions", day))}')`);
    assert.deepEqual(session, { callerUserId: abbie, calleeUserId: owen });
  });
});
