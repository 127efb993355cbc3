import assert from "node:assert/strict";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import type { JsonObject } from "../../shared/graph/callRecord.js";
import { folderArchiveStore } from "../../shared/archive/archiveStore.js";
import type { CuratedTableName } from "../../shared/lake/curatedTables.js";
import { lakeFiles } from "../../shared/lake/lakeFiles.js";
import { type CurateOutcome, curateDay, curatedFileName, curatedMarkerName } from "../../shared/pipeline/curate/curateDay.js";
import { streamColumns } from "../../shared/lake/flatColumns.js";
import { projectRoot } from "../support/bicep.js";
import { type LakeArchive, writeLakeArchive } from "../support/lakeArchive.js";

// The shipped views (lake/duckdb/views.sql, not a copy) over an archive the pipeline wrote from
// the sandbox: two passes over one day, so re-read versions, 7-digit timestamps, fractional loss
// rates, phone and guest participants and a later-version field are all in the files.
let lake: LakeArchive;
let db: DuckDBInstance;
let sql: DuckDBConnection;
const rows = async (query: string) => (await sql.runAndReadAll(query)).getRowObjectsJson() as Record<string, unknown>[];
const filesRead = async (query: string) => {
  const [plan] = await rows(`EXPLAIN ANALYZE ${query}`);
  const read = /Total Files Read: (\d+)/.exec(String(plan?.explain_value));
  assert.ok(read, "the plan names no file count");
  return Number(read[1]);
};

type Doc = JsonObject & { sessions: { segments: { media: { streams: JsonObject[] }[] }[] }[]; participants_v2: JsonObject[] };
const docs = () => lake.truth.map((t) => t.document as Doc);
const streamsOf = (doc: Doc) => doc.sessions.flatMap((s) => s.segments.flatMap((g) => g.media.flatMap((m) => m.streams)));

/** Graph's instant text to nanoseconds since the epoch, all 7 fractional digits kept. */
const nanosOf = (text: string): bigint => {
  const ticks = /\.\d{3}(\d{0,4})Z$/.exec(text)?.[1] ?? "";
  return BigInt(Date.parse(text)) * 1_000_000n + BigInt(ticks.padEnd(4, "0")) * 100n;
};

before(async () => {
  lake = await writeLakeArchive({ callsPerDay: 150, day: "2026-11-02" });
  // A day marker and the manifests sit beside the data; the views must not read them.
  await mkdir(join(lake.root, "callrecords/v1/year=2026/month=11/day=02"), { recursive: true });
  await writeFile(join(lake.root, "callrecords/v1/year=2026/month=11/day=02/_SUCCESS.json"), JSON.stringify({ id: "not a call", version: 99 }));
  db = await DuckDBInstance.create(":memory:");
  sql = await db.connect();
  await sql.run(`SET VARIABLE archive = '${lake.root}'`);
  await sql.run(await readFile(join(projectRoot, "lake", "duckdb", "views.sql"), "utf8"));
});

after(async () => {
  sql?.closeSync();
  db?.closeSync();
  if (lake) await rm(lake.root, { recursive: true, force: true });
});

describe("lake/ (DuckDB views over the raw archive)", () => {
  it("lake/ holds exactly what the schema gives (npm run lake)", async () => {
    for (const [path, content] of Object.entries(lakeFiles())) {
      assert.equal(await readFile(join(projectRoot, path), "utf8"), content, `${path} is stale: run npm run lake`);
    }
  });

  it("docs/archive.md's DuckDB block, run as written, counts calls and streams per hour as the sandbox holds them", async () => {
    const readme = await readFile(join(projectRoot, "docs", "archive.md"), "utf8");
    const block = /With your own DuckDB[\s\S]*?```sql\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(block, "docs/archive.md's DuckDB block was not found");
    // Its statements, one per line; `.read` is the CLI's, and the views are already read here.
    const statements = block.split("\n").filter((line) => line.trim() !== "" && !line.startsWith("--") && !line.startsWith(".read"));
    assert.match(statements[0] ?? "", /^SET VARIABLE archive = /);
    const [calls, streams] = await Promise.all(statements.slice(1).map((q) => rows(q)));
    const hourOf = (doc: Doc) => new Date(String(doc.startDateTime)).getUTCHours();
    const expectedCalls = new Map<number, number>();
    const expectedStreams = new Map<number, number>();
    for (const doc of docs()) {
      expectedCalls.set(hourOf(doc), (expectedCalls.get(hourOf(doc)) ?? 0) + 1);
      expectedStreams.set(hourOf(doc), (expectedStreams.get(hourOf(doc)) ?? 0) + streamsOf(doc).length);
    }
    assert.deepEqual(new Map(calls?.map((r) => [Number(r.hour), Number(r.calls)])), expectedCalls);
    assert.deepEqual(new Map(streams?.map((r) => [Number(r.hour), Number(r.streams)])), expectedStreams);
    assert.ok(calls?.every((r) => r.year === 2026 && r.month === 11 && r.day === 2), JSON.stringify(calls?.[0]));
  });

  it("callrecords_raw has every archived line, versions included; callrecords_latest each call once, at its latest version", async () => {
    assert.ok(lake.archivedLines > lake.truth.length, "pass 1 archived no new version: the overcount trap is not exercised");
    const [raw] = await rows("SELECT count(*)::INTEGER AS n FROM callrecords_raw");
    assert.equal(raw?.n, lake.archivedLines);
    const latest = await rows("SELECT id, version::INTEGER AS version FROM callrecords_latest ORDER BY id");
    assert.deepEqual(
      latest.map((r) => `${r.id}@${r.version}`),
      lake.truth.map((t) => `${t.id}@${t.version}`).sort(),
    );
  });

  it("sessions, segments, streams and participants per call equal the sandbox's", async () => {
    const perCall = async (view: string) =>
      new Map((await rows(`SELECT callId, count(*)::INTEGER AS n FROM ${view} GROUP BY callId`)).map((r) => [r.callId as string, r.n as number]));
    const [sessions, segments, streams, participants] = await Promise.all(
      ["callrecord_sessions", "callrecord_segments", "callrecord_streams", "callrecord_participants"].map(perCall),
    );
    for (const doc of docs()) {
      const id = doc.id as string;
      assert.equal(sessions?.get(id), doc.sessions.length, `sessions of ${id}`);
      assert.equal(segments?.get(id), doc.sessions.reduce((n, s) => n + s.segments.length, 0), `segments of ${id}`);
      assert.equal(streams?.get(id), streamsOf(doc).length, `streams of ${id}`);
      assert.equal(participants?.get(id), doc.participants_v2.length, `participants of ${id}`);
    }
  });

  it("types hold whatever the first files held: integer partitions, 7-digit timestamps, fractional rates, phone ids", async () => {
    const [types] = await rows("SELECT typeof(any_value(hour)) AS hour, typeof(any_value(startDateTime)) AS start FROM callrecords_latest");
    assert.deepEqual(types, { hour: "INTEGER", start: "TIMESTAMP_NS" });
    const [morning] = await rows("SELECT count(*)::INTEGER AS n FROM callrecords_latest WHERE hour BETWEEN 9 AND 11");
    assert.equal(morning?.n, lake.truth.filter((t) => [9, 10, 11].includes(new Date(t.document.startDateTime as string).getUTCHours())).length);

    const starts = new Map((await rows("SELECT id, epoch_ns(startDateTime)::VARCHAR AS ns FROM callrecords_latest")).map((r) => [r.id, r.ns]));
    for (const doc of docs()) assert.equal(starts.get(doc.id), String(nanosOf(doc.startDateTime as string)), `startDateTime of ${String(doc.id)}`);

    const all = docs().flatMap(streamsOf);
    const [loss] = await rows("SELECT sum(averagePacketLossRate) AS total, count(*) FILTER (averagePacketLossRate > 0 AND averagePacketLossRate < 1)::INTEGER AS fractional FROM callrecord_streams");
    assert.ok(Math.abs(Number(loss?.total) - all.reduce((n, s) => n + (s.averagePacketLossRate as number), 0)) < 1e-9, "packet loss summed differs");
    assert.equal(loss?.fractional, all.filter((s) => (s.averagePacketLossRate as number) > 0).length);
    const [jitter] = await rows("SELECT sum(averageJitterSeconds) AS total FROM callrecord_streams");
    assert.ok(Math.abs(Number(jitter?.total) - all.reduce((n, s) => n + Number(/^PT([\d.]+)S$/.exec(s.averageJitter as string)?.[1]), 0)) < 1e-9);

    const kinds = new Map((await rows("SELECT kind, count(*)::INTEGER AS n FROM callrecord_participants GROUP BY kind")).map((r) => [r.kind, r.n]));
    const truthOf = (kind: string) => docs().flatMap((d) => d.participants_v2).filter((p) => kind in (p.identity as JsonObject)).length;
    assert.ok(truthOf("phone") > 0 && truthOf("guest") > 0, "the sandbox produced no phone or guest participant");
    for (const kind of ["user", "phone", "guest"]) assert.equal(kinds.get(kind), truthOf(kind), kind);
    const [phone] = await rows("SELECT participantId FROM callrecord_participants WHERE kind = 'phone' LIMIT 1");
    assert.match(String(phone?.participantId), /^\+\d+$/);
  });

  it("a field only later versions carry is typed where present and NULL where not, and every line keeps raw", async () => {
    const [later] = await rows(`SELECT count(*) FILTER (averageAudioNetworkJitter IS NOT NULL)::INTEGER AS present,
      count(*) FILTER (callVersion = 1 AND averageAudioNetworkJitter IS NOT NULL)::INTEGER AS onFirstVersions FROM callrecord_streams`);
    assert.equal(later?.present, docs().flatMap(streamsOf).filter((s) => "averageAudioNetworkJitter" in s).length);
    assert.ok(Number(later?.present) > 0);
    assert.equal(later?.onFirstVersions, 0);
    const [raw] = await rows("SELECT count(*) FILTER (raw->>'id' = id)::INTEGER AS kept, count(*)::INTEGER AS n FROM callrecords_raw");
    assert.equal(raw?.kept, raw?.n);
  });

  it("a filter on one hour reads that hour's files only, through every view; a latest view partitioned by id alone reads them all", async () => {
    const dataFiles = Number((await rows(`SELECT count(*) AS n FROM glob('${lake.root}/callrecords/v1/year=*/month=*/day=*/hour=*/*.jsonl.gz')`))[0]?.n);
    const hourFiles = Number((await rows(`SELECT count(*) AS n FROM glob('${lake.root}/callrecords/v1/year=2026/month=11/day=02/hour=09/*.jsonl.gz')`))[0]?.n);
    assert.ok(hourFiles >= 1 && hourFiles < dataFiles);
    const hour = "year = 2026 AND month = 11 AND day = 2 AND hour = 9";
    for (const view of ["callrecords_latest", "callrecord_sessions", "callrecord_segments", "callrecord_streams", "callrecord_participants"]) {
      assert.equal(await filesRead(`SELECT count(*) FROM ${view} WHERE ${hour}`), hourFiles, view);
    }
    assert.equal(await filesRead("SELECT count(*) FROM callrecords_latest"), dataFiles);
    await sql.run("CREATE OR REPLACE TEMP VIEW naive_latest AS SELECT * FROM callrecords_raw QUALIFY row_number() OVER (PARTITION BY id ORDER BY version DESC) = 1");
    assert.equal(await filesRead(`SELECT count(*) FROM naive_latest WHERE ${hour}`), dataFiles);
  });

  it("lake/schema/duckdb-read_json.sql types a plain read_json the same way", async () => {
    const args = (await readFile(join(projectRoot, "lake", "schema", "duckdb-read_json.sql"), "utf8"))
      .split("\n")
      .filter((line) => !line.startsWith("--"))
      .join("\n")
      .trim();
    const [read] = await rows(`SELECT count(*)::INTEGER AS n, count(DISTINCT id)::INTEGER AS ids, typeof(any_value(hour)) AS hour
      FROM read_json('${lake.root}/callrecords/v1/year=*/month=*/day=*/hour=*/*.jsonl.gz', format = 'newline_delimited', hive_partitioning = true, ${args})`);
    assert.deepEqual(read, { n: lake.archivedLines, ids: lake.truth.length, hour: "INTEGER" });
  });
});

describe("the curated layer (one final day as Parquet)", () => {
  const dayStart = Date.parse("2026-11-02T00:00:00Z");
  const parquet = (table: CuratedTableName) => `read_parquet('${join(lake.root, curatedFileName(table, dayStart))}')`;
  /** Rows in one query and not the other, both ways (EXCEPT ALL keeps duplicates). */
  const difference = async (a: string, b: string) => {
    const [d] = await rows(`SELECT (SELECT count(*) FROM (${a} EXCEPT ALL ${b}))::INTEGER AS onlyA, (SELECT count(*) FROM (${b} EXCEPT ALL ${a}))::INTEGER AS onlyB`);
    return d;
  };
  let first: CurateOutcome;

  before(async () => {
    first = await curateDay({ archive: folderArchiveStore(lake.root), nowInMs: () => Date.now() }, dayStart);
  });

  it("writes a final day once: five tables, then its marker; a second run writes nothing", async () => {
    assert.equal(first.status, "curated");
    assert.equal(first.status === "curated" && first.calls, lake.truth.length);
    const again = await curateDay({ archive: folderArchiveStore(lake.root), nowInMs: () => Date.now() }, dayStart);
    assert.equal(again.status, "alreadyCurated");
    const notFinal = await curateDay({ archive: folderArchiveStore(lake.root), nowInMs: () => Date.now() }, dayStart + 86_400_000);
    assert.equal(notFinal.status, "notFinal");
  });

  it("a run that stopped before its marker finishes it without writing a table twice", async () => {
    const archive = folderArchiveStore(lake.root);
    const before = await readFile(join(lake.root, curatedFileName("streams", dayStart)));
    await rm(join(lake.root, curatedMarkerName(dayStart)));
    const redo = await curateDay({ archive, nowInMs: () => Date.now() }, dayStart);
    assert.equal(redo.status, "curated");
    assert.deepEqual(await readFile(join(lake.root, curatedFileName("streams", dayStart))), before);
    assert.ok(await archive.read(curatedMarkerName(dayStart)));
  });

  it("every table holds what the DuckDB views say, typed (micro-second UTC timestamps, doubles, integer hours)", async () => {
    const where = "WHERE year = 2026 AND month = 11 AND day = 2";
    assert.deepEqual(
      await difference(`SELECT callId, callVersion, epoch_us(startDateTime), sessionCount, participantCount, hour FROM ${parquet("calls")}`, `SELECT id, version, epoch_us(startDateTime::TIMESTAMP), len(sessions), len(participants_v2), hour FROM callrecords_latest ${where}`),
      { onlyA: 0, onlyB: 0 },
    );
    assert.deepEqual(
      await difference(`SELECT callId, sessionId, epoch_us(endDateTime), isTest, callerPlatform, callerEndpointType, callerName, calleeCpuCoresCount, calleeFeedbackRating, callerUserId, calleeUserId FROM ${parquet("sessions")}`,
        `SELECT callId, sessionId, epoch_us(endDateTime::TIMESTAMP), isTest, caller.userAgent.platform, callerEndpointType, callerName, calleeCpuCoresCount, calleeFeedbackRating, callerUserId, calleeUserId FROM callrecord_sessions ${where}`),
      { onlyA: 0, onlyB: 0 },
    );
    assert.deepEqual(
      await difference(`SELECT callId, sessionId, segmentId FROM ${parquet("segments")}`, `SELECT callId, sessionId, segmentId FROM callrecord_segments ${where}`),
      { onlyA: 0, onlyB: 0 },
    );
    assert.deepEqual(
      await difference(
        `SELECT * EXCLUDE (year, month, day, hour, sessionId, mediaLabel, startDateTime, endDateTime) FROM ${parquet("streams")}`,
        `SELECT callId, segmentId, ${streamColumns.map((c) => c.name).filter((n) => !["startDateTime", "endDateTime"].includes(n)).join(", ")} FROM callrecord_streams ${where}`,
      ),
      { onlyA: 0, onlyB: 0 },
    );
    assert.deepEqual(
      await difference(`SELECT callId, participantId, kind, displayName, tenantId, source FROM ${parquet("participants")}`, `SELECT callId, participantId, kind, displayName, tenantId, source FROM callrecord_participants ${where}`),
      { onlyA: 0, onlyB: 0 },
    );
    const types = new Map((await rows(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM ${parquet("streams")})`)).map((r) => [r.column_name, r.column_type]));
    assert.equal(types.get("averagePacketLossRate"), "DOUBLE");
    assert.equal(types.get("hour"), "INTEGER");
    const callTypes = new Map((await rows(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM ${parquet("calls")})`)).map((r) => [r.column_name, r.column_type]));
    assert.equal(callTypes.get("startDateTime"), "TIMESTAMP WITH TIME ZONE");
    assert.equal(callTypes.get("callVersion"), "BIGINT");
  });
});
