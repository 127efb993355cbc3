import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CallRecordSummary } from "../../shared/graph/callRecord.js";
import type { GraphClient } from "../../shared/graph/graphClient.js";
import { newGraphCounters } from "../../shared/graph/graphCounters.js";
import { GraphRequestError, RecordExpiredError } from "../../shared/core/errors.js";
import { ManualClock } from "../../sandbox/tenant.js";
import { dayInMs, hourInMs } from "../../shared/core/window.js";
import { withSandbox } from "../support/graph.js";

// A fixed instant: a Friday, so the window below holds a working day's calls.
const now = Date.parse("2026-11-27T18:00:00Z");
const day = { startInMs: Date.parse("2026-11-26T00:00:00Z"), endInMs: Date.parse("2026-11-27T00:00:00Z") };

async function listAll(client: GraphClient, window = day): Promise<CallRecordSummary[]> {
  const all: CallRecordSummary[] = [];
  for await (const page of client.listWindow(window)) all.push(...page);
  return all;
}

describe("listing a window", () => {
  it("follows every nextLink through empty pages and returns exactly the window's records", async () => {
    await withSandbox(
      { clock: new ManualClock(now), callsPerDay: 120, emptyPageRate: 0.3, throttle: false },
      { ARCHIVER_GRAPH_PAGE_SIZE: "7" },
      async (sandbox, runtime) => {
        const counters = newGraphCounters();
        const records = await listAll(runtime.newClient(counters));
        const truth = sandbox.tenant.groundTruth(day.startInMs, day.endInMs);
        assert.ok(truth.length > 50, `expected a busy day, got ${truth.length}`);
        assert.deepEqual(records.map((r) => r.id).sort(), truth.map((t) => t.id).sort());
        assert.ok(sandbox.stats.emptyPages > 0, "the sandbox served no empty page");
        assert.ok(counters.pages >= Math.ceil(truth.length / 7) + sandbox.stats.emptyPages);
        assert.equal(counters.records, truth.length);
      },
    );
  });

  it("treats the window as half-open: a record starting at the end belongs to the next window", async () => {
    await withSandbox({ clock: new ManualClock(now), callsPerDay: 200, throttle: false }, {}, async (sandbox, runtime) => {
      const client = runtime.newClient();
      const hours = Array.from({ length: 24 }, (_, h) => ({ startInMs: day.startInMs + h * hourInMs, endInMs: day.startInMs + (h + 1) * hourInMs }));
      const perHour = await Promise.all(hours.map((w) => listAll(client, w)));
      const ids = perHour.flat().map((r) => r.id);
      assert.equal(new Set(ids).size, ids.length, "a record was listed in two windows");
      assert.equal(ids.length, sandbox.tenant.groundTruth(day.startInMs, day.endInMs).length);
    });
  });

  it("does not get records in time order from the sandbox, as Graph promises none", async () => {
    await withSandbox({ clock: new ManualClock(now), throttle: false }, {}, async (_sandbox, runtime) => {
      const starts = (await listAll(runtime.newClient())).map((r) => r.startDateTime);
      assert.notDeepEqual(starts, [...starts].sort());
    });
  });
});

describe("getting a record complete", () => {
  it("merges more than 60 sessions and 130 participants into one Graph-shaped document", async () => {
    await withSandbox(
      { clock: new ManualClock(now), callsPerDay: 150, largeMeetingShare: 0.1, throttle: false },
      {},
      async (sandbox, runtime) => {
        const truth = sandbox.tenant.groundTruth(day.startInMs, day.endInMs);
        const large = truth.filter((t) => (t.document.sessions as unknown[]).length > 60 && (t.document.participants_v2 as unknown[]).length > 130);
        assert.ok(large.length > 0, "the sandbox generated no large meeting");
        const client = runtime.newClient();
        for (const expected of large.slice(0, 3)) {
          const { document, participantsListed } = await client.getRecord(expected.id);
          assert.equal(participantsListed, true);
          assert.deepEqual(document, expected.document);
        }
      },
    );
  });

  it("answers RecordExpiredError once the record is past Graph's 30 days", async () => {
    const clock = new ManualClock(now);
    await withSandbox({ clock, throttle: false }, {}, async (_sandbox, runtime) => {
      const client = runtime.newClient();
      const [first] = await listAll(client);
      assert.ok(first);
      clock.advance(31 * dayInMs);
      await assert.rejects(client.getRecord(first.id), (e: unknown) => e instanceof RecordExpiredError && e.recordId === first.id);
    });
  });

  it("skips the participants list where the cloud does not serve it, and says so", async () => {
    // A national cloud with the endpoints pointed at the sandbox.
    await withSandbox({ clock: new ManualClock(now), throttle: false }, { ARCHIVER_CLOUD: "USGov" }, async (sandbox, runtime) => {
      const [expected] = sandbox.tenant.groundTruth(day.startInMs, day.endInMs);
      assert.ok(expected);
      const { document, participantsListed } = await runtime.newClient().getRecord(expected.id);
      assert.equal(participantsListed, false);
      assert.equal(document.participants_v2, undefined);
      assert.deepEqual(document.sessions, expected.document.sessions);
    });
  });
});

describe("faults and throttling", () => {
  it("still delivers every record when Graph throttles, fails with 503 and drops connections", async () => {
    await withSandbox(
      {
        clock: new ManualClock(now),
        callsPerDay: 60,
        throttle: { appRequests: 40, appWindowInMs: 1000 },
        faults: { unavailableRate: 0.05, dropRate: 0.03 },
      },
      // The client believes it may send far more than the sandbox accepts, so 429s must happen.
      { ARCHIVER_GRAPH_RATE_REQUESTS: "400", ARCHIVER_GRAPH_RATE_WINDOW_SECONDS: "1", ARCHIVER_GRAPH_MAX_ATTEMPTS: "30" },
      async (sandbox, runtime) => {
        const counters = newGraphCounters();
        const client = runtime.newClient(counters);
        const records = await listAll(client);
        const documents = await Promise.all(records.map((r) => client.getRecord(r.id)));
        const truth = sandbox.tenant.groundTruth(day.startInMs, day.endInMs);
        assert.deepEqual(
          documents.map((d) => d.document).sort((a, b) => a.id.localeCompare(b.id)),
          truth.map((t) => t.document).sort((a, b) => String(a.id).localeCompare(String(b.id))),
        );
        assert.ok(sandbox.stats.throttled > 0 && counters.retries.throttled > 0, "no request was throttled");
        assert.ok(counters.retries.unavailable > 0, "no 503 was retried");
        assert.ok(counters.retries.network > 0, "no dropped connection was retried");
        assert.ok(counters.throttledInMs > 0);
      },
    );
  });

  it("gives up on a slow answer at ARCHIVER_GRAPH_TIMEOUT_MS and retries it", async () => {
    await withSandbox(
      { clock: new ManualClock(now), callsPerDay: 80, throttle: false, faults: { slowRate: 0.3, slowInMs: 1500 } },
      { ARCHIVER_GRAPH_TIMEOUT_MS: "300", ARCHIVER_GRAPH_MAX_ATTEMPTS: "30", ARCHIVER_GRAPH_PAGE_SIZE: "5" },
      async (sandbox, runtime) => {
        const counters = newGraphCounters();
        const records = await listAll(runtime.newClient(counters));
        assert.equal(records.length, sandbox.tenant.groundTruth(day.startInMs, day.endInMs).length);
        assert.ok(sandbox.stats.slow > 0, "the sandbox served no slow answer");
        assert.equal(counters.retries.timeout, sandbox.stats.slow, "each slow answer was abandoned and retried");
      },
    );
  });

  it("fails the job, naming the timeout, when every attempt is too slow", async () => {
    await withSandbox(
      { clock: new ManualClock(now), callsPerDay: 40, throttle: false, faults: { slowRate: 1, slowInMs: 1500 } },
      { ARCHIVER_GRAPH_TIMEOUT_MS: "200", ARCHIVER_GRAPH_MAX_ATTEMPTS: "2" },
      async (sandbox, runtime) => {
        await assert.rejects(listAll(runtime.newClient()), /timeout/);
        assert.equal(sandbox.stats.graphRequests, 2, "two attempts, as configured");
      },
    );
  });

  it("gets a fresh token through ClientSecretCredential when Graph answers 401", async () => {
    await withSandbox({ clock: new ManualClock(now), throttle: false }, {}, async (sandbox, runtime) => {
      const counters = newGraphCounters();
      const client = runtime.newClient(counters);
      await listAll(client);
      sandbox.revokeTokens();
      await listAll(client);
      assert.equal(counters.retries.unauthorized, 1);
      assert.equal(sandbox.stats.tokensIssued, 2);
    });
  });

  it("fails with the token endpoint's reason when the secret is wrong", async () => {
    await withSandbox({ clock: new ManualClock(now), throttle: false }, { AZURE_CLIENT_SECRET: "wrong" }, async (_sandbox, runtime) => {
      await assert.rejects(listAll(runtime.newClient()), /AADSTS7000215|Invalid client secret/);
    });
  });

  it("fails at once, with Graph's message, on a 400", async () => {
    await withSandbox({ clock: new ManualClock(now), throttle: false }, {}, async (sandbox, runtime) => {
      const client = runtime.newClient();
      // Year 10000 is written +010000-…, which Graph's DateTimeOffset parser rejects.
      const bad = { startInMs: Date.UTC(10000, 0, 1), endInMs: Date.UTC(10000, 0, 2) };
      await assert.rejects(listAll(client, bad), (e: unknown) => e instanceof GraphRequestError && e.status === 400 && /DateTimeOffset/.test(e.message));
      assert.equal(sandbox.stats.graphRequests, 1, "a 400 was retried");
    });
  });
});
