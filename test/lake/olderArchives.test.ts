import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type DocumentedLake, documentedFixture, documentedLake } from "../support/documentedLake.js";

// Archives written before 2026-06-30 hold what Graph sent then: endpoints with `identity`, and a
// `participants` list of identity sets (no participants_v2). Graph's own 2020 revision of the
// expanded record is archived as such, and read through the DuckDB views and the curated tables;
// expected values are typed from the document.
let lake: DocumentedLake;
const abbie = "821809f5-0000-0000-0000-3b5136c0e777";
const owen = "f69e2c00-0000-0000-0000-185e5f5f5d8a";

before(async () => {
  lake = await documentedLake(await documentedFixture("get-callrecord-expanded-2020-revision.json"));
});

after(() => lake?.close());

const participants = [
  { participantId: abbie, kind: "user", displayName: "Abbie Wilkins" },
  { participantId: owen, kind: "user", displayName: "Owen Franklin" },
];

describe("an archive written before 2026-06-30 (Graph's 2020 revision of the expanded record)", () => {
  it("callrecord_participants reads its participants list, and says so", async () => {
    const got = await lake.rows("SELECT participantId, kind, displayName, source FROM callrecord_participants ORDER BY participantId");
    assert.deepEqual(got, participants.map((p) => ({ ...p, source: "participants" })));
  });

  it("callrecord_sessions keeps its caller's and callee's identity sets", async () => {
    const [session] = await lake.rows("SELECT caller.identity.user.displayName AS caller, callee.identity.user.displayName AS callee FROM callrecord_sessions");
    assert.deepEqual(session, { caller: "Abbie Wilkins", callee: "Owen Franklin" });
  });

  it("the curated participants and sessions tables name the same people", async () => {
    const got = await lake.rows(`SELECT participantId, kind, displayName FROM read_parquet('${lake.curated("participants")}') ORDER BY participantId`);
    assert.deepEqual(got, participants);
    const [session] = await lake.rows(`SELECT callerUserId, calleeUserId FROM read_parquet('${lake.curated("sessions")}')`);
    assert.deepEqual(session, { callerUserId: abbie, calleeUserId: owen });
  });
});
