import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { asBoolean, asDouble, asDurationSeconds, asInstantTicks, asInteger, asText } from "../../shared/lake/coercion.js";
import { type DocumentedLake, documentedFixture, documentedLake } from "../support/documentedLake.js";

describe("the coercion rule, value by value", () => {
  it("numbers given as strings are numbers; integers round to the nearest, ties to even", () => {
    assert.deepEqual(["0.01", " 0.5", "1e3", 0.25, "abc", "", true, null].map(asDouble), [0.01, 0.5, 1000, 0.25, null, null, null, null]);
    assert.deepEqual([9965083.7, "67", 2.5, 3.5, -1.5, "9007199254740993", 1e30, "x"].map(asInteger), [9965084n, 67n, 2n, 4n, -2n, 9007199254740993n, null, null]);
  });

  it("ids given as numbers are their text; booleans from true/false, their text and numbers", () => {
    assert.deepEqual([1504545584, "a", false, null, { id: 1 }].map(asText), ["1504545584", "a", "false", null, null]);
    assert.deepEqual([true, "TRUE", "false", 0, 2, "0", "yes", null].map(asBoolean), [true, true, false, false, true, false, null, null]);
  });

  it("instants keep 100 ns and move to UTC; .NET's year 1 and years a nanosecond timestamp cannot hold are NULL", () => {
    assert.equal(asInstantTicks("2020-02-25T18:52:21.2169889Z"), 15826567412169889n);
    assert.equal(asInstantTicks("2020-02-25T19:52:21.2169889+01:00"), 15826567412169889n);
    assert.deepEqual(["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2020-02-25", 42].map(asInstantTicks), [null, null, null, null]);
  });

  it("every duration form Graph writes is seconds", () => {
    assert.deepEqual(["PT0.016S", "PT1M2.5S", "PT1H", "P1DT2H", "P1D", "PT1H30M", "PT0S"].map(asDurationSeconds), [0.016, 62.5, 3600, 93_600, 86_400, 5400, 0]);
    assert.deepEqual(["PT", "P", "P1DT", "PT1D", "1H", "PT1S1M", 5].map(asDurationSeconds), [null, null, null, null, null, null, null]);
  });
});

// Odd values Graph's documents and past archives hold, written into Graph's documented record, read
// through the DuckDB views and the curated tables: both must give the values typed here by hand.
let lake: DocumentedLake;

before(async () => {
  const record = await documentedFixture("get-callrecord-expanded-2020-revision.json");
  const sessions = record.sessions as Record<string, unknown>[];
  const session = sessions[0] as { segments: { media: { streams: Record<string, unknown>[] }[] }[] };
  const stream = session.segments[0]?.media[0]?.streams[0] ?? {};
  Object.assign(stream, {
    streamId: 1504545584,
    averagePacketLossRate: "0.01",
    averageBandwidthEstimate: 9965083.7,
    packetUtilization: "67",
    averageJitter: "PT1H",
    maxJitter: "P1DT2H",
    averageRoundTripTime: "PT1M2.5S",
    isAudioForwardErrorCorrectionUsed: "true",
  });
  lake = await documentedLake({ ...record, version: "2", lastModifiedDateTime: "0001-01-01T00:00:00Z" });
});

after(() => lake?.close());

describe("odd values, through the views and the curated tables alike", () => {
  const streamColumns = `streamId, averagePacketLossRate, averageBandwidthEstimate::INTEGER AS bandwidth, packetUtilization::INTEGER AS packetUtilization,
    averageJitterSeconds, maxJitterSeconds, averageRoundTripTimeSeconds, isAudioForwardErrorCorrectionUsed`;
  const expected = {
    streamId: "1504545584",
    averagePacketLossRate: 0.01,
    bandwidth: 9965084,
    packetUtilization: 67,
    averageJitterSeconds: 3600,
    maxJitterSeconds: 93_600,
    averageRoundTripTimeSeconds: 62.5,
    isAudioForwardErrorCorrectionUsed: true,
  };

  it("callrecord_streams", async () => {
    const [row] = await lake.rows(`SELECT ${streamColumns} FROM callrecord_streams WHERE streamDirection = 'callerToCallee'`);
    assert.deepEqual(row, expected);
  });

  it("the curated streams table", async () => {
    const [row] = await lake.rows(`SELECT ${streamColumns} FROM read_parquet('${lake.curated("streams")}') WHERE streamDirection = 'callerToCallee'`);
    assert.deepEqual(row, expected);
  });

  it("a version given as text is a number, and year 1 is NULL, in both", async () => {
    const [view] = await lake.rows("SELECT version::INTEGER AS version, lastModifiedDateTime FROM callrecords_latest");
    const [table] = await lake.rows(`SELECT callVersion::INTEGER AS version, lastModifiedDateTime FROM read_parquet('${lake.curated("calls")}')`);
    assert.deepEqual(view, { version: 2, lastModifiedDateTime: null });
    assert.deepEqual(table, { version: 2, lastModifiedDateTime: null });
  });
});
