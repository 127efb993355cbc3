import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type DocumentedLake, documentedFixture, documentedLake } from "../support/documentedLake.js";

// Graph's documented records (test/fixtures/graph/, not the sandbox's) through the DuckDB
// views and the curated participants table: every identity kind Graph documents is read, and the
// two agree on a participant whose kinds disagree. Expected values are typed from the documents.
const none = { acsUser: null, spoolUser: null, phone: null, guest: null, encrypted: null, onPremises: null, acsApplicationInstance: null, spoolApplicationInstance: null, applicationInstance: null, application: null, device: null, user: null };
const only = (kind: string, who: Record<string, unknown>) => ({ ...none, [kind]: { id: `${kind}-id`, tenantId: "dc368399-474c-4d40-900c-6265431fd81f", ...who } });

let lake: DocumentedLake;

before(async () => {
  const record = await documentedFixture("get-callrecord-expanded.json");
  const beta = await documentedFixture("list-participants_v2-beta.json");
  const participants = [
    // The beta page's first two participants, as documented: users.
    ...(beta.value as Record<string, unknown>[]).slice(0, 2),
    { id: "p-asserted", identity: only("assertedIdentity", { displayName: "Front desk" }) },
    { id: "p-acs-app", identity: only("acsApplicationInstance", { displayName: "Contoso bot" }) },
    { id: "p-spool-app", identity: only("spoolApplicationInstance", { displayName: "Spool app" }) },
    { id: "p-acs-user", identity: only("azureCommunicationServicesUser", { displayName: "ACS caller" }) },
    // A user with no name beside a named phone: the kind is the user, the name the phone's.
    { id: "p-two-kinds", identity: { ...none, user: { id: "u-2", displayName: null, tenantId: null }, phone: { id: "+15550100", displayName: "+1 555 0100" } } },
  ];
  lake = await documentedLake({ ...record, participants_v2: participants });
});

after(() => lake?.close());

const expected = [
  { participantId: "00005994-851d-4988-bbc3-413bbf089e13", kind: "user", displayName: "Anette Thomsen", source: "participants_v2" },
  { participantId: "13fd6bf0-f646-4b82-b0ad-cd28ce10d6e3", kind: "user", displayName: "Daichi Maruyama", source: "participants_v2" },
  // Not in this participants_v2 list, but the caller and callee of the record's session.
  { participantId: "821809f5-0000-0000-0000-3b5136c0e777", kind: "user", displayName: "Abbie Wilkins", source: "sessions" },
  { participantId: "f69e2c00-0000-0000-0000-185e5f5f5d8a", kind: "user", displayName: "Owen Franklin", source: "sessions" },
  { participantId: "p-acs-app", kind: "acsApplicationInstance", displayName: "Contoso bot", source: "participants_v2" },
  { participantId: "p-acs-user", kind: "azureCommunicationServicesUser", displayName: "ACS caller", source: "participants_v2" },
  { participantId: "p-asserted", kind: "assertedIdentity", displayName: "Front desk", source: "participants_v2" },
  { participantId: "p-spool-app", kind: "spoolApplicationInstance", displayName: "Spool app", source: "participants_v2" },
  { participantId: "p-two-kinds", kind: "user", displayName: "+1 555 0100", source: "participants_v2" },
];

describe("every documented identity kind, through the views and the curated table alike", () => {
  it("callrecord_participants (DuckDB view) names each participant's kind and name", async () => {
    const got = await lake.rows("SELECT participantId, kind, displayName, source FROM callrecord_participants ORDER BY participantId");
    assert.deepEqual(got, expected);
  });

  it("the curated participants table says the same", async () => {
    const got = await lake.rows(`SELECT participantId, kind, displayName, source FROM read_parquet('${lake.curated("participants")}') ORDER BY participantId`);
    assert.deepEqual(got, expected);
  });
});

describe("Graph's documented record in the curated calls table", () => {
  it("keeps the call's duration to Graph's 100 ns: 18:52:21.2169889 to 18:52:46.7640013 is 25.5470124 s", async () => {
    const [call] = await lake.rows(`SELECT callId, durationSeconds FROM read_parquet('${lake.curated("calls")}')`);
    assert.deepEqual(call, { callId: "e523d2ed-2966-4b6b-925b-754a88034cc5", durationSeconds: 25.5470124 });
  });
});
