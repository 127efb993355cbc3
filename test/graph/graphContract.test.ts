import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { loadArchiverConfig } from "../../shared/config/config.js";
import { ForeignNextLinkError, GraphPagingError, GraphResponseError } from "../../shared/core/errors.js";
import { GraphClient, maxPagesOf } from "../../shared/graph/graphClient.js";
import { classifyJobFailure } from "../../shared/pipeline/harvest/jobRetryPolicy.js";
import { newGraphCounters } from "../../shared/graph/graphCounters.js";
import { RequestGovernor } from "../../shared/graph/requestGovernor.js";
import type { HttpTransport } from "../../shared/graph/httpTransport.js";
import { graphFixturePath } from "../support/fixtures.js";
import { FakeClock, fixedTokens, tableTransport } from "../support/stubTransport.js";

const graph = "https://graph.microsoft.com";
const base = `${graph}/v1.0/communications/callRecords`;
const fixture = (name: string): Record<string, unknown> =>
  // The docs' nextLinks contain `$metadata#`, a slip: a real nextLink is a plain absolute URL.
  JSON.parse(readFileSync(graphFixturePath(name), "utf8").replaceAll("v1.0/$metadata#communications", "v1.0/communications"));

function clientFor(routes: Record<string, unknown>, requested: string[] = [], env = {}, transport: HttpTransport = tableTransport(routes, requested)) {
  const config = loadArchiverConfig(env).graph;
  const clock = new FakeClock();
  return new GraphClient(config, {
    tokens: fixedTokens(),
    transport,
    governor: new RequestGovernor({ requests: 1000, windowInMs: 1000 }, clock),
    clock,
    counters: newGraphCounters(),
  });
}

const window = { startInMs: Date.parse("2023-09-25T00:00:00Z"), endInMs: Date.parse("2023-09-26T00:00:00Z") };
const windowUrl = `${base}?$filter=${encodeURIComponent("startDateTime ge 2023-09-25T00:00:00Z and startDateTime lt 2023-09-26T00:00:00Z")}`;

describe("the Graph documentation examples", () => {
  it("list pages parse, including the PSTN organizer with a null user", async () => {
    const client = clientFor({ [windowUrl]: fixture("list-all.json") });
    const pages = [];
    for await (const page of client.listWindow(window)) pages.push(page);
    assert.equal(pages.length, 1);
    const [, pstn] = pages[0] ?? [];
    assert.deepEqual((pstn?.organizer_v2 as { identity: { user: unknown } }).identity.user, null);
  });

  it("a record's sessions and participants pages merge into one document without paging annotations", async () => {
    const id = "e523d2ed-2966-4b6b-925b-754a88034cc5";
    const expanded = fixture("get-callrecord-expanded.json");
    const participants = fixture("get-callrecord-participants.json");
    const sessionsNext = expanded["sessions@odata.nextLink"] as string;
    const participantsNext = participants["participants_v2@odata.nextLink"] as string;
    const secondSession = { ...(expanded.sessions as object[])[0], id: "second-session" };
    const thirdParticipant = { id: "third", identity: { user: null, phone: { id: "+15550100" } } };
    const client = clientFor({
      [`${base}/${id}?$expand=${encodeURIComponent("sessions($expand=segments)")}`]: expanded,
      [sessionsNext]: { value: [secondSession] },
      [`${base}/${id}/participants_v2`]: { value: participants.participants_v2, "@odata.nextLink": participantsNext },
      [participantsNext]: { value: [thirdParticipant] },
    });
    const { document } = await client.getRecord(id);
    assert.equal(document.sessions?.length, 2);
    assert.equal(document.sessions?.[1]?.id, "second-session");
    assert.deepEqual(document.participants_v2?.map((p) => p.id), [...(participants.participants_v2 as { id: string }[]).map((p) => p.id), "third"]);
    assert.deepEqual(
      Object.keys(document).filter((k) => k.includes("@odata")),
      [],
    );
    assert.deepEqual(document.organizer_v2, expanded.organizer_v2);
  });
});

describe("reading a record", () => {
  it("asks for the record and its participants side by side, not one after the other", async () => {
    const id = "e523d2ed-2966-4b6b-925b-754a88034cc5";
    const routes = {
      [`${base}/${id}?$expand=${encodeURIComponent("sessions($expand=segments)")}`]: { ...fixture("get-callrecord-expanded.json"), "sessions@odata.nextLink": undefined },
      [`${base}/${id}/participants_v2`]: { value: [] },
    };
    const requested: string[] = [];
    const answers = tableTransport(routes);
    const held: (() => void)[] = [];
    // Every answer waits until the test lets it go: what was asked meanwhile was asked together.
    const gated: HttpTransport = {
      get: async (url, headers, timeoutInMs) => {
        requested.push(url);
        await new Promise<void>((resolve) => held.push(resolve));
        return answers.get(url, headers, timeoutInMs);
      },
    };
    const reading = clientFor(routes, [], {}, gated).getRecord(id);
    for (let i = 0; i < 10 && requested.length < 2; i += 1) await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(requested.map((u) => u.includes("participants_v2")).sort(), [false, true], "the participants waited for the record");
    for (const release of held) release();
    const { document } = await reading;
    assert.deepEqual(document.participants_v2, []);
  });
});

describe("nextLink pinning", () => {
  it("refuses a nextLink to another host and never sends it the token", async () => {
    const requested: string[] = [];
    const client = clientFor({ [windowUrl]: { value: [], "@odata.nextLink": "https://evil.example/v1.0/communications/callRecords?$skiptoken=x" } }, requested);
    await assert.rejects(async () => {
      for await (const _ of client.listWindow(window)) void _;
    }, ForeignNextLinkError);
    assert.deepEqual(requested, [windowUrl]);
  });

  it("refuses a downgrade to http on the same host", async () => {
    const client = clientFor({ [windowUrl]: { value: [], "@odata.nextLink": "http://graph.microsoft.com/v1.0/communications/callRecords?$skiptoken=x" } });
    await assert.rejects(async () => {
      for await (const _ of client.listWindow(window)) void _;
    }, ForeignNextLinkError);
  });

  it("follows a nextLink verbatim, skiptoken untouched", async () => {
    const next = `${base}?$skiptoken=AbC%2B%2Fz==&$filter=weird`;
    const requested: string[] = [];
    const client = clientFor({ [windowUrl]: { value: [], "@odata.nextLink": next }, [next]: { value: [] } }, requested);
    for await (const _ of client.listWindow(window)) void _;
    assert.deepEqual(requested, [windowUrl, next]);
  });
});

describe("bad answers from Graph", () => {
  it("a page without a value array fails with GraphResponseError", async () => {
    const client = clientFor({ [windowUrl]: { values: [] } });
    await assert.rejects(async () => {
      for await (const _ of client.listWindow(window)) void _;
    }, GraphResponseError);
  });

  it("a record without an integer version fails with GraphResponseError", async () => {
    const client = clientFor({ [windowUrl]: { value: [{ id: "x", version: "2", startDateTime: "2023-09-25T09:28:38Z" }] } });
    await assert.rejects(async () => {
      for await (const _ of client.listWindow(window)) void _;
    }, /no integer version/);
  });
});

describe("paging loops end (Graph's documented pages, their nextLinks bent into loops)", () => {
  const id = "e523d2ed-2966-4b6b-925b-754a88034cc5";
  const recordUrl = `${base}/${id}?$expand=${encodeURIComponent("sessions($expand=segments)")}`;
  const participantsUrl = `${base}/${id}/participants_v2`;

  it("a sessions nextLink that names itself ends that list at once: the record is answered as far as it was read, the loop named", async () => {
    const expanded = fixture("get-callrecord-expanded.json");
    const next = expanded["sessions@odata.nextLink"] as string;
    const requested: string[] = [];
    const client = clientFor({ [recordUrl]: expanded, [next]: { value: [], "@odata.nextLink": next }, [participantsUrl]: { value: [] } }, requested);
    const read = await client.getRecord(id);
    assert.equal(read.loop?.list, "sessions");
    assert.equal(read.loop?.pagesRead, 2);
    assert.equal(read.loop?.error.problem, "repeatedLink");
    assert.match(read.loop?.error.message ?? "", new RegExp(`^The sessions of call record ${id} is a paging loop: after 2 pages`));
    assert.deepEqual(read.document.sessions, expanded.sessions, "the first page's sessions were not kept");
    assert.equal(requested.filter((u) => u === next).length, 1, "the repeated link was read again");
  });

  it("a listing whose nextLink cycles back to an earlier page fails, naming the window", async () => {
    const second = `${base}?$skiptoken=second`;
    const client = clientFor({ [windowUrl]: { ...fixture("list-all.json"), "@odata.nextLink": second }, [second]: { value: [], "@odata.nextLink": windowUrl } });
    await assert.rejects(drainList(client), /^GraphPagingError: The listing of window 2023-09-25T00:00:00Z–2023-09-26T00:00:00Z is a paging loop: after 2 pages/);
  });

  it("a participants list of ever new links stops at its documented bound, keeping what it read", async () => {
    const participants = fixture("get-callrecord-participants.json");
    const routes: Record<string, unknown> = { [recordUrl]: { ...fixture("get-callrecord-expanded.json"), "sessions@odata.nextLink": undefined }, [participantsUrl]: { value: participants.participants_v2, "@odata.nextLink": `${participantsUrl}?$skiptoken=1` } };
    for (let page = 1; page <= maxPagesOf.participants + 5; page += 1) routes[`${participantsUrl}?$skiptoken=${page}`] = { value: [], "@odata.nextLink": `${participantsUrl}?$skiptoken=${page + 1}` };
    const requested: string[] = [];
    const read = await clientFor(routes, requested).getRecord(id);
    assert.deepEqual([read.loop?.list, read.loop?.error.problem, read.loop?.pagesRead], ["participants", "tooManyPages", maxPagesOf.participants]);
    assert.equal(read.document.participants_v2?.length, (participants.participants_v2 as unknown[]).length, "the pages read were not kept");
    assert.equal(requested.filter((u) => u.startsWith(participantsUrl)).length, maxPagesOf.participants);
  });

  it("a loop is permanent for the job: dead-lettered as GraphPagingLoop, never taken for a window too big to read", () => {
    const failure = classifyJobFailure(new GraphPagingError("list", "2023-09-25T00:00:00Z–2023-09-26T00:00:00Z", "repeatedLink", 2));
    assert.deepEqual([failure.permanent, failure.reason], [true, "GraphPagingLoop"]);
  });
});

describe("Graph's error text is kept short", () => {
  it("a 400 keeps Graph's code and at most 200 characters of its message", async () => {
    const long = `${"x".repeat(5_000)}`;
    const transport: HttpTransport = { get: async () => ({ status: 400, headers: {}, body: JSON.stringify({ error: { code: "BadRequest", message: long } }) }) };
    await assert.rejects(drainList(clientFor({}, [], {}, transport)), (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.match(error.message, /BadRequest: x{200}… \(4800 more characters\)$/);
      return true;
    });
  });
});

async function drainList(client: GraphClient) {
  for await (const _ of client.listWindow(window)) void _;
}
