import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { dataBlobName } from "../../shared/archive/archiveLayout.js";
import { folderArchiveStore } from "../../shared/archive/archiveStore.js";
import { dayInMs, hourInMs } from "../../shared/core/window.js";
import { durationSeconds, instantMicros } from "../../shared/lake/curatedTables.js";
import { curateDueDays, curatedFileName, curationCandidates } from "../../shared/pipeline/curate/curateDay.js";
import { dayMarkerName } from "../../shared/pipeline/harvest/dayMarker.js";
import { graphInstant } from "../../sandbox/generator.js";

describe("curated values", () => {
  it("instants keep microseconds of Graph's 7 digits, and fewer digits mean zeros", () => {
    const cases: [unknown, bigint | null][] = [
      ["2020-02-25T18:52:21.2169889Z", 1582656741216988n],
      ["2020-02-25T19:00:24.582757Z", 1582657224582757n],
      ["2020-02-25T19:00:24.5Z", 1582657224500000n],
      ["2020-02-25T19:00:24Z", 1582657224000000n],
      ["not an instant", null],
      [null, null],
      [42, null],
    ];
    for (const [input, micros] of cases) assert.equal(instantMicros(input), micros, String(input));
  });

  it("ISO-8601 durations become seconds; anything else is null", () => {
    const cases: [unknown, number | null][] = [
      ["PT0.016S", 0.016],
      ["PT1M2.5S", 62.5],
      ["PT1H", 3600],
      ["P1DT2H", 93_600],
      ["PT", null],
      ["P", null],
      ["P1DT", null],
      ["0.016", null],
      ["PT0.016", null],
      [null, null],
    ];
    for (const [input, seconds] of cases) assert.equal(durationSeconds(input), seconds, String(input));
  });

  it("the sandbox writes instants as Graph does: whole seconds too get 7 (or 6) fractional digits", () => {
    for (const ms of [Date.parse("2026-11-03T23:38:00Z"), Date.parse("2026-11-03T23:38:00.5Z"), Date.parse("2026-11-03T23:38:59.999Z")]) {
      assert.match(graphInstant(ms, "a"), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
      assert.match(graphInstant(ms, "a", 6), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
      assert.equal(Date.parse(graphInstant(ms, "a")), ms);
    }
  });
});

describe("which days a curate run writes", () => {
  const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`);

  it("looks back a number of whole days, oldest first, up to yesterday", () => {
    assert.deepEqual(curationCandidates(Date.parse("2026-11-27T13:30:00Z"), 3), [day("2026-11-24"), day("2026-11-25"), day("2026-11-26")]);
  });

  it("writes at most maxDays final days a run, oldest first, and skips days that are not final", async () => {
    const root = await mkdtemp(join(tmpdir(), "curate-days-"));
    try {
      const archive = folderArchiveStore(root);
      const line = `${JSON.stringify({ id: "c1", version: 1, startDateTime: "2026-11-20T09:10:00.1234567Z", sessions: [], participants_v2: [], _archive: { pass: 0 } })}\n`;
      for (const iso of ["2026-11-20", "2026-11-21", "2026-11-22"]) {
        const start = day(iso);
        await archive.createFromStream(dataBlobName({ window: { startInMs: start + 9 * hourInMs, endInMs: start + 10 * hourInMs }, pass: 0 }), Readable.from([gzipSync(line)]), "application/x-ndjson");
        if (iso !== "2026-11-21") await archive.createText(dayMarkerName(start), "{}", "application/json");
      }
      const deps = { archive, nowInMs: () => Date.parse("2026-11-27T12:00:00Z") };
      const first = await curateDueDays(deps, { lookbackDays: 10, maxDays: 1 });
      assert.deepEqual(first.curated.map((c) => c.day), ["2026-11-20"]);
      const second = await curateDueDays(deps, { lookbackDays: 10, maxDays: 5 });
      assert.deepEqual(second.curated.map((c) => c.day), ["2026-11-22"], "11-21 has no day marker; 11-20 is done");
      assert.ok(await archive.read(curatedFileName("calls", day("2026-11-22"))));

      // An idle run: one listing of the curated markers; of the rest, only the day that may be
      // final by now (20 days after it, the default last re-read) has its day marker read.
      const reads: string[] = [];
      const lists: string[] = [];
      const counted = { ...archive, read: (name: string) => (reads.push(name), archive.read(name)), list: (prefix: string) => (lists.push(prefix), archive.list(prefix)) };
      const idle = await curateDueDays({ archive: counted, nowInMs: () => Date.parse("2026-12-12T12:00:00Z") }, { lookbackDays: 22, maxDays: 5, finalAfterInMs: 20 * dayInMs });
      assert.deepEqual(idle.curated, []);
      assert.deepEqual(lists, ["curated/v2/_days/"]);
      assert.deepEqual(reads, ["curated/v2/_days/2026-11-21.json", dayMarkerName(day("2026-11-21"))], "11-20 and 11-22 are listed as curated; later days cannot be final yet");
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
