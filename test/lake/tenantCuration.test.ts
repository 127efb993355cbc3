import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { DuckDBInstance } from "@duckdb/node-api";
import { dataBlobName } from "../../shared/archive/archiveLayout.js";
import { folderArchiveStore } from "../../shared/archive/archiveStore.js";
import { dayInMs, hourInMs } from "../../shared/core/window.js";
import { curateDueDays } from "../../shared/pipeline/curate/curateDay.js";
import { dayMarkerName } from "../../shared/pipeline/harvest/dayMarker.js";
import { archiveRecord, documentedFixture } from "../support/documentedLake.js";
import functions, { type Timer } from "@azure/functions";
import { makeCurateHandler } from "../../functions/curateHandler.js";

const fabrikam = "0b7e2c1a-5f3d-4e6b-9a8c-1d2e3f4a5b6c";
const roots: string[] = [];
after(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

describe("curating another tenant's final day", () => {
  it("writes its tables and marker below the tenant's own folder, and leaves the home tenant's layout alone", async () => {
    // Graph's documented record (get-callrecord-expanded.json), archived as a customer tenant's.
    const record = await documentedFixture("get-callrecord-expanded.json");
    const root = await mkdtemp(join(tmpdir(), "tenant-curate-"));
    roots.push(root);
    const start = Date.parse(String(record.startDateTime));
    const day = Math.floor(start / dayInMs) * dayInMs;
    const hour = Math.floor(start / hourInMs) * hourInMs;
    const archive = folderArchiveStore(root);
    const line = { ...record, "sessions@odata.nextLink": undefined, _archive: { pass: 0 } };
    await archive.createFromStream(dataBlobName({ window: { startInMs: hour, endInMs: hour + hourInMs }, pass: 0, tenant: fabrikam }), Readable.from([gzipSync(`${JSON.stringify(line)}\n`)]), "application/x-ndjson");
    await archive.createText(dayMarkerName(day, { tenant: fabrikam }), "{}", "application/json");
    const options = { lookbackDays: Math.ceil((Date.now() - day) / dayInMs) + 1, maxDays: 5 };
    const home = await curateDueDays({ archive, nowInMs: () => Date.now() }, options);
    assert.deepEqual(home.curated, [], "the home tenant has no final day here");
    const own = await curateDueDays({ archive, nowInMs: () => Date.now(), tenant: fabrikam }, options);
    assert.deepEqual(own.curated.map((c) => [c.day, c.calls]), [["2020-02-25", 1]]);
    const files = (await readdir(join(root, "curated/v2"), { recursive: true })).filter((n) => n.endsWith(".parquet") || n.endsWith(".json")).sort();
    assert.deepEqual(files, [
      `_days/tenant=${fabrikam}/2020-02-25.json`,
      `calls/tenant=${fabrikam}/year=2020/month=02/day=25/calls_20200225.parquet`,
      `participants/tenant=${fabrikam}/year=2020/month=02/day=25/participants_20200225.parquet`,
      `segments/tenant=${fabrikam}/year=2020/month=02/day=25/segments_20200225.parquet`,
      `sessions/tenant=${fabrikam}/year=2020/month=02/day=25/sessions_20200225.parquet`,
      `streams/tenant=${fabrikam}/year=2020/month=02/day=25/streams_20200225.parquet`,
    ]);
    const again = await curateDueDays({ archive, nowInMs: () => Date.now(), tenant: fabrikam }, options);
    assert.deepEqual(again.curated, [], "curated once");
    const db = await DuckDBInstance.create(":memory:");
    const sql = await db.connect();
    try {
      const reader = await sql.runAndReadAll(`SELECT tenant, callId FROM read_parquet('${root}/curated/v2/calls/*/*/*/*/*.parquet', hive_partitioning = true)`);
      assert.deepEqual(reader.getRowObjectsJson(), [{ tenant: fabrikam, callId: "e523d2ed-2966-4b6b-925b-754a88034cc5" }]);
    } finally {
      sql.closeSync();
      db.closeSync();
    }
  });

  it("the curate function curates the setting's tenants when the registry cannot be read, then fails its run with the registry's error", async () => {
    const root = await mkdtemp(join(tmpdir(), "tenant-curate-fn-"));
    roots.push(root);
    const day = await archiveRecord(root, await documentedFixture("get-callrecord-expanded.json"), fabrikam);
    const events: string[] = [];
    const handler = makeCurateHandler(() => ({
      archive: folderArchiveStore(root),
      clock: { now: () => Date.now(), sleep: async () => undefined },
      curate: { lookbackDays: Math.ceil((Date.now() - day) / dayInMs) + 1, maxDays: 5 },
      tenants: {
        configured: [fabrikam],
        registered: async () => {
          throw new Error("registry.json: 503 ServerBusy");
        },
      },
    }));
    const context = new functions.InvocationContext({ invocationId: "c", functionName: "curate", logHandler: (_l, ...args) => events.push(args.join(" ")) });
    await assert.rejects(handler({} as Timer, context), /registry\.json: 503 ServerBusy/);
    assert.ok(events.some((e) => e.startsWith("curate {") && e.includes(`"tenant":"${fabrikam}"`) && e.includes('"days":["2020-02-25"]')), events.join("\n"));
    assert.deepEqual(await readdir(join(root, "curated/v2/_days", `tenant=${fabrikam}`)), ["2020-02-25.json"]);
  });
});
