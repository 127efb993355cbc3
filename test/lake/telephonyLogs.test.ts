/**
 * Graph's documented telephony log rows (test/fixtures/graph/get-pstn-calls.json and
 * get-direct-routing-calls.json) through the shipped DuckDB views, archived as the harvest writes
 * them; and the join from a Direct Routing row's correlationId to the call record it belongs to.
 * Every expected value is typed from the documents.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { after, before, describe, it } from "node:test";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { dataBlobName } from "../../shared/archive/archiveLayout.js";
import { folderArchiveStore } from "../../shared/archive/archiveStore.js";
import type { LogSourceName } from "../../shared/core/sources.js";
import { projectRoot } from "../support/bicep.js";
import { dayMarkerName } from "../../shared/pipeline/harvest/dayMarker.js";
import { curateLogDay, curatedLogFileName } from "../../shared/pipeline/curate/curateLogDay.js";
import { archiveRecord, documentedFixture } from "../support/documentedLake.js";

let root: string;
let db: DuckDBInstance;
let sql: DuckDBConnection;

/** Writes rows as one pass of a log's day, as harvestLog.ts writes them. */
async function archiveRows(source: LogSourceName, day: string, pass: number, rows: Record<string, unknown>[]) {
  const startInMs = Date.parse(`${day}T00:00:00Z`);
  const window = { startInMs, endInMs: startInMs + 86_400_000 };
  const lines = rows.map((row) => JSON.stringify({ ...row, _archive: { source, harvestedAt: "2019-11-03T00:00:00Z", window: { start: `${day}T00:00:00Z`, end: "" }, pass, cloud: "Global" } }));
  await folderArchiveStore(root).createFromStream(dataBlobName({ window, pass, source }), Readable.from([gzipSync(`${lines.join("\n")}\n`)]), "application/x-ndjson");
}

const rows = async (query: string) => (await sql.runAndReadAll(query)).getRowObjectsJson() as Record<string, unknown>[];

before(async () => {
  root = await mkdtemp(join(tmpdir(), "telephony-lake-"));
  const pstn = ((await documentedFixture("get-pstn-calls.json")).value as Record<string, unknown>[])[0] as Record<string, unknown>;
  const direct = ((await documentedFixture("get-direct-routing-calls.json")).value as Record<string, unknown>[])[0] as Record<string, unknown>;
  const record = await documentedFixture("get-callrecord-expanded-2020-revision.json");
  await archiveRecord(root, record);
  await archiveRows("pstnCalls", "2019-11-01", 0, [pstn]);
  // A re-read found the row re-rated: the views keep this line.
  await archiveRows("pstnCalls", "2019-11-01", 1, [{ ...pstn, charge: 0.12, connectionCharge: 0.02 }]);
  // The documented row, and a second one (our own: another id) whose correlationId is the documented
  // call record's id, so the join has a call to find.
  // A third (also ours) failed with 486 on another trunk, an hour later.
  const failed = {
    ...direct,
    id: "1f8e3a90-0000-4000-a000-000000000002",
    startDateTime: "2019-11-01T01:10:00.5000000Z",
    failureDateTime: "2019-11-01T01:10:02.5000000Z",
    successfulCall: false,
    duration: 0,
    finalSipCode: 486,
    finalSipCodePhrase: "Busy Here",
    trunkFullyQualifiedDomainName: "sbc1.contoso.example",
  };
  await archiveRows("directRoutingCalls", "2019-11-01", 0, [direct, { ...direct, id: "1f8e3a90-0000-4000-a000-000000000001", correlationId: "e523d2ed-2966-4b6b-925b-754a88034cc5" }, failed]);
  // Both days final (as the final pass marks them), then curated as the curate function does.
  for (const source of ["pstnCalls", "directRoutingCalls"] as const) {
    await folderArchiveStore(root).createText(dayMarkerName(Date.parse("2019-11-01T00:00:00Z"), { source }), "{}", "application/json");
    const outcome = await curateLogDay({ archive: folderArchiveStore(root), nowInMs: () => Date.parse("2019-12-15T00:00:00Z") }, source, Date.parse("2019-11-01T00:00:00Z"));
    if (outcome.status !== "curated") throw new Error(`${source}: ${outcome.status}`);
  }
  db = await DuckDBInstance.create(":memory:");
  sql = await db.connect();
  await sql.run(`SET VARIABLE archive = '${root}'`);
  for (const file of ["views.sql", "pstn-calls.sql", "direct-routing-calls.sql"]) await sql.run(await readFile(join(projectRoot, "lake", "duckdb", file), "utf8"));
});

after(async () => {
  sql?.closeSync();
  db?.closeSync();
  await rm(root, { recursive: true, force: true });
});

describe("the documented PSTN row through pstn_calls", () => {
  it("is one row, typed, with the re-read's charge", async () => {
    assert.deepEqual(
      await rows(`SELECT tenant, year, month, day, id, userPrincipalName, startDateTime::VARCHAR AS startDateTime, endDateTime::VARCHAR AS endDateTime,
        duration, charge, connectionCharge, callType, currency, calleeNumber, callerNumber, usageCountryCode, destinationContext, destinationName, conferenceId,
        licenseCapability, inventoryType, operator, callDurationSource, _archive.pass AS pass FROM pstn_calls`),
      [
        {
          tenant: "home",
          year: 2019,
          month: 11,
          day: 1,
          id: "9c4984c7-6c3c-427d-a30c-bd0b2eacee90",
          userPrincipalName: "richard.malk@contoso.com",
          startDateTime: "2019-11-01 00:00:08.2589935",
          endDateTime: "2019-11-01 00:03:47.2589935",
          duration: "219",
          charge: 0.12,
          connectionCharge: 0.02,
          callType: "user_in",
          currency: "USD",
          calleeNumber: "+1234567890",
          callerNumber: "+0123456789",
          usageCountryCode: "US",
          destinationContext: null,
          destinationName: "United States",
          conferenceId: null,
          licenseCapability: "MCOPSTNU",
          inventoryType: "Subscriber",
          operator: "Microsoft",
          callDurationSource: "microsoft",
          pass: "1",
        },
      ],
    );
    assert.deepEqual(await rows("SELECT count(*)::INTEGER AS n FROM pstn_calls_raw"), [{ n: 2 }]);
  });
});

describe("the documented Direct Routing row through direct_routing_calls", () => {
  it("types the sentinel failure instant as NULL and keeps the masked numbers", async () => {
    assert.deepEqual(
      await rows(`SELECT id, correlationId, startDateTime::VARCHAR AS startDateTime, inviteDateTime::VARCHAR AS inviteDateTime, failureDateTime,
        duration, callType, successfulCall, callerNumber, calleeNumber, mediaPathLocation, signalingLocation, finalSipCode, callEndSubReason,
        finalSipCodePhrase, trunkFullyQualifiedDomainName, mediaBypassEnabled FROM direct_routing_calls WHERE id = '9e8bba57-dc14-533a-a7dd-f0da6575eed1'`),
      [
        {
          id: "9e8bba57-dc14-533a-a7dd-f0da6575eed1",
          correlationId: "c98e1515-a937-4b81-b8a8-3992afde64e0",
          startDateTime: "2019-11-01 00:00:25.105",
          inviteDateTime: "2019-11-01 00:00:21.949",
          failureDateTime: null,
          duration: "5",
          callType: "ByotIn",
          successfulCall: true,
          callerNumber: "+12345678***",
          calleeNumber: "+01234567***",
          mediaPathLocation: "USWE",
          signalingLocation: "EUNO",
          finalSipCode: "0",
          callEndSubReason: "540000",
          finalSipCodePhrase: "BYE",
          trunkFullyQualifiedDomainName: "tll-audiocodes01.adatum.biz",
          mediaBypassEnabled: false,
        },
      ],
    );
  });

  it("joins a row to its call record by correlationId (docs/telephony-logs.md's query)", async () => {
    const doc = await readFile(join(projectRoot, "docs", "telephony-logs.md"), "utf8");
    const query = /```sql\n(-- Direct Routing calls with their call records[\s\S]*?)```/.exec(doc)?.[1];
    assert.ok(query, "docs/telephony-logs.md holds the join query");
    assert.deepEqual(await rows(query), [
      {
        directRoutingId: "1f8e3a90-0000-4000-a000-000000000001",
        trunkFullyQualifiedDomainName: "tll-audiocodes01.adatum.biz",
        finalSipCode: "0",
        callId: "e523d2ed-2966-4b6b-925b-754a88034cc5",
        callType: "peerToPeer",
        participants: "Abbie Wilkins, Owen Franklin",
      },
    ]);
  });
});

describe("the README's telephony queries", () => {
  it("answer the admins' three questions over the archived rows", async () => {
    const readme = await readFile(join(projectRoot, "README.md"), "utf8");
    const block = /```sql\n(-- PSTN minutes[\s\S]*?)```/.exec(readme)?.[1] ?? "";
    const queries = block.split(";").map((q) => q.trim()).filter((q) => q !== "");
    assert.equal(queries.length, 3);
    const [minutes, failures, perHour] = await Promise.all(queries.map((q) => rows(q)));
    // 219 s is 3.65 minutes; the re-rated charge 0.12 plus its connection charge 0.02.
    assert.deepEqual(minutes, [{ userPrincipalName: "richard.malk@contoso.com", usageCountryCode: "US", currency: "USD", minutes: 3.7, charge: 0.14 }]);
    assert.deepEqual(failures, [{ trunkFullyQualifiedDomainName: "sbc1.contoso.example", finalSipCode: "486", finalSipCodePhrase: "Busy Here", calls: "1" }]);
    assert.deepEqual(
      (perHour ?? []).map((r) => ({ ...r, hour: String(r.hour) })),
      [
        { trunkFullyQualifiedDomainName: "sbc1.contoso.example", hour: "2019-11-01 01:00:00", calls: "1" },
        { trunkFullyQualifiedDomainName: "tll-audiocodes01.adatum.biz", hour: "2019-11-01 00:00:00", calls: "2" },
      ],
    );
  });
});

describe("the curated telephony tables", () => {
  const parquet = (source: LogSourceName) => `read_parquet('${join(root, curatedLogFileName(source, Date.parse("2019-11-01T00:00:00Z")))}')`;

  it("hold each row once, the re-read's line, typed alike the views (timestamps to the microsecond)", async () => {
    assert.deepEqual(await rows(`SELECT id, startDateTime::VARCHAR AS startDateTime, duration, charge, connectionCharge, currency, archivePass FROM ${parquet("pstnCalls")}`), [
      { id: "9c4984c7-6c3c-427d-a30c-bd0b2eacee90", startDateTime: "2019-11-01 00:00:08.258993+00", duration: "219", charge: 0.12, connectionCharge: 0.02, currency: "USD", archivePass: "1" },
    ]);
    assert.deepEqual(
      await rows(`SELECT id, failureDateTime::VARCHAR AS failureDateTime, successfulCall, finalSipCode, callerNumber FROM ${parquet("directRoutingCalls")} ORDER BY id`),
      [
        { id: "1f8e3a90-0000-4000-a000-000000000001", failureDateTime: null, successfulCall: true, finalSipCode: "0", callerNumber: "+12345678***" },
        { id: "1f8e3a90-0000-4000-a000-000000000002", failureDateTime: "2019-11-01 01:10:02.5+00", successfulCall: false, finalSipCode: "486", callerNumber: "+12345678***" },
        { id: "9e8bba57-dc14-533a-a7dd-f0da6575eed1", failureDateTime: null, successfulCall: true, finalSipCode: "0", callerNumber: "+12345678***" },
      ],
    );
  });

  it("agree with the views on every column they share", async () => {
    for (const [source, view] of [["pstnCalls", "pstn_calls"], ["directRoutingCalls", "direct_routing_calls"]] as const) {
      const columns = "id, userId, callType, duration, startDateTime::TIMESTAMP AS startDateTime, endDateTime::TIMESTAMP AS endDateTime";
      assert.deepEqual(await rows(`SELECT ${columns} FROM ${parquet(source)} ORDER BY id`), await rows(`SELECT ${columns} FROM ${view} ORDER BY id`), source);
    }
  });
});
