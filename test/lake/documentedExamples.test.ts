import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type DocumentedLake, documentedFixture, documentedLake } from "../support/documentedLake.js";

// Graph's documented examples (test/fixtures/graph/) through the DuckDB views and the curated
// tables: the 2020 revision of the expanded record (rich media streams) with the documented
// sessions page (CPU fields) as its sessions. Every expected value below is typed from the
// documents, not computed by the code under test.
let lake: DocumentedLake;

before(async () => {
  const record = await documentedFixture("get-callrecord-expanded-2020-revision.json");
  const sessionsPage = await documentedFixture("list-sessions-expanded.json");
  lake = await documentedLake({ ...record, sessions: sessionsPage.value });
});

after(() => lake?.close());

/** The same query over a view and a curated table must give the same rows. */
async function bothAgree(view: string, table: "sessions" | "segments" | "streams", columns: string, order: string): Promise<Record<string, unknown>[]> {
  const fromView = await lake.rows(`SELECT ${columns} FROM ${view} ORDER BY ${order}`);
  const fromTable = await lake.rows(`SELECT ${columns} FROM read_parquet('${lake.curated(table)}') ORDER BY ${order}`);
  assert.deepEqual(fromTable, fromView, `${view} and the curated ${table} table disagree`);
  return fromView;
}

describe("Graph's documented sessions page: endpoints with CPU fields and feedback", () => {
  const columns = `callerEndpointType, callerName, callerCpuName, callerCpuCoresCount::INTEGER AS callerCores, callerCpuProcessorSpeedInMhz::INTEGER AS callerMhz,
    calleeName, calleeCpuName, calleeCpuCoresCount::INTEGER AS calleeCores, calleeCpuProcessorSpeedInMhz::INTEGER AS calleeMhz, calleeFeedbackRating, callerPlatform, calleeProductFamily`;
  const expected = {
    callerEndpointType: "#microsoft.graph.callRecords.participantEndpoint",
    callerName: "machineName_1",
    callerCpuName: "AMD EPYC 7452 32-Core Processor",
    callerCores: 8,
    callerMhz: 2346,
    calleeName: "machineName_2",
    calleeCpuName: "Intel(R) Xeon(R) Platinum 8272CL CPU @ 2.60GHz",
    calleeCores: 2,
    calleeMhz: 2594,
    calleeFeedbackRating: "poor",
    callerPlatform: "android",
    calleeProductFamily: "skypeForBusiness",
  };

  it("callrecord_sessions and the curated sessions table type them alike", async () => {
    assert.deepEqual(await bothAgree("callrecord_sessions", "sessions", columns, "callerName"), [expected]);
  });

  it("callrecord_segments and the curated segments table too", async () => {
    const [segment] = await bothAgree("callrecord_segments", "segments", `${columns}, callerUserId, calleeUserId`, "callerName");
    // The documented segment's callee names no processor speed and gives no feedback (its session's does).
    assert.deepEqual(segment, { ...expected, calleeMhz: null, calleeFeedbackRating: null, callerUserId: "821809f5-0000-0000-0000-3b5136c0e777", calleeUserId: "f69e2c00-0000-0000-0000-185e5f5f5d8a" });
  });
});

describe("Graph's documented media streams: every documented field typed", () => {
  it("callrecord_streams and the curated streams table give the documented values", async () => {
    const got = await bothAgree(
      "callrecord_streams",
      "streams",
      `streamId, streamDirection, averageAudioDegradation, averagePacketLossRate, averageRatioOfConcealedSamples, maxRatioOfConcealedSamples,
       packetUtilization::INTEGER AS packetUtilization, averageBandwidthEstimate::INTEGER AS averageBandwidthEstimate, averageJitterSeconds,
       averageAudioNetworkJitterSeconds, maxAudioNetworkJitterSeconds, rmsFreezeDurationSeconds, isAudioForwardErrorCorrectionUsed, wasMediaBypassed`,
      "streamId",
    );
    assert.deepEqual(got, [
      {
        streamId: "1504545584",
        streamDirection: "callerToCallee",
        averageAudioDegradation: null,
        averagePacketLossRate: 0,
        averageRatioOfConcealedSamples: null,
        maxRatioOfConcealedSamples: null,
        packetUtilization: 67,
        averageBandwidthEstimate: 9965083,
        averageJitterSeconds: 0.016,
        averageAudioNetworkJitterSeconds: 0.043,
        maxAudioNetworkJitterSeconds: 0.046,
        rmsFreezeDurationSeconds: null,
        isAudioForwardErrorCorrectionUsed: true,
        wasMediaBypassed: false,
      },
      {
        streamId: "1785122252",
        streamDirection: "calleeToCaller",
        averageAudioDegradation: 1.160898,
        averagePacketLossRate: 0.01381693,
        averageRatioOfConcealedSamples: 0.06233422,
        maxRatioOfConcealedSamples: 0.07192807,
        packetUtilization: 709,
        averageBandwidthEstimate: 15644878,
        averageJitterSeconds: 0.007,
        averageAudioNetworkJitterSeconds: 0.266,
        maxAudioNetworkJitterSeconds: 0.474,
        rmsFreezeDurationSeconds: null,
        isAudioForwardErrorCorrectionUsed: false,
        wasMediaBypassed: false,
      },
    ]);
  });
});

describe("the 2020 record's organizer and participants (before organizer_v2 and participants_v2)", () => {
  it("the curated calls table names the organizer from its identity set", async () => {
    const [call] = await lake.rows(`SELECT organizerId, organizerKind, participantCount FROM read_parquet('${lake.curated("calls")}')`);
    assert.deepEqual(call, { organizerId: "821809f5-0000-0000-0000-3b5136c0e777", organizerKind: "user", participantCount: 2 });
  });
});
