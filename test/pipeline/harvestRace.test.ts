import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { type ArchiveStore, folderArchiveStore } from "../../shared/archive/archiveStore.js";
import { loadArchiverConfig } from "../../shared/config/config.js";
import { systemClock } from "../../shared/core/clock.js";
import { GraphClient } from "../../shared/graph/graphClient.js";
import { newGraphCounters } from "../../shared/graph/graphCounters.js";
import type { HttpResponse, HttpTransport } from "../../shared/graph/httpTransport.js";
import { RequestGovernor } from "../../shared/graph/requestGovernor.js";
import { harvest } from "../../shared/pipeline/harvest/harvest.js";
import { clockAt } from "../support/graph.js";
import { fixedTokens } from "../support/stubTransport.js";

const now = Date.parse("2026-11-27T12:00:00Z");
// The harvests' "now": the fixed days stay within Graph's 30 days whatever today is.
const harvestClock = clockAt(now);
const job = { window: { startInMs: Date.parse("2026-11-26T08:00:00Z"), endInMs: Date.parse("2026-11-26T09:00:00Z") }, pass: 0 };
const summary = (id: string) => ({ id, version: 1, startDateTime: "2026-11-26T08:10:00Z", endDateTime: "2026-11-26T08:20:00Z", lastModifiedDateTime: "2026-11-26T08:30:00Z" });
const ok = (body: unknown): HttpResponse => ({ status: 200, headers: {}, body: JSON.stringify(body) });

describe("a record answered after its job failed", () => {
  it("is not written: no upload starts after the failed job's discard", async () => {
    const config = loadArchiverConfig({}).graph;
    const base = `${config.graphEndpoint}/v1.0/communications/callRecords`;
    let failed = false;
    // One record is refused (403, the job's failure) at once; the other is answered only once the
    // job has failed, by a transport that, like a response already on the wire, does not heed the abort.
    let release = () => undefined as void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const lateAnswers: Promise<unknown>[] = [];
    const transport: HttpTransport = {
      get: async (url) => {
        if (!url.startsWith(`${base}/`)) return ok({ value: [summary("refused"), summary("late")] });
        if (url.includes("/refused")) {
          failed = true;
          return { status: 403, headers: {}, body: JSON.stringify({ error: { code: "Forbidden", message: "no" } }) };
        }
        const answer = released.then(() => ok(url.includes("participants_v2") ? { value: [] } : { ...summary("late"), sessions: [] }));
        lateAnswers.push(answer);
        return answer;
      },
    };
    const counters = newGraphCounters();
    const graph = new GraphClient(config, { tokens: fixedTokens(), transport, governor: new RequestGovernor({ requests: 1000, windowInMs: 1000 }, systemClock), clock: systemClock, counters });
    const folder = await mkdtemp(join(tmpdir(), "harvest-race-"));
    const store = folderArchiveStore(folder);
    const uploads: string[] = [];
    const archive: ArchiveStore = { ...store, createFromStream: (name, content, type) => (uploads.push(name), store.createFromStream(name, content, type)) };
    try {
      await assert.rejects(
        harvest(job, { graph, counters, archive, clock: harvestClock, cloud: "Global", timeBudgetInMs: 60_000, concurrency: () => 4, enqueue: async () => undefined }),
        /403|refused access/i,
      );
      assert.ok(failed);
      // Now the late answers arrive: await them, then let what they trigger run its course (turns of
      // the event loop, not a guessed time) before looking.
      release();
      await Promise.all(lateAnswers);
      for (let turn = 0; turn < 20; turn += 1) await new Promise((resolve) => setImmediate(resolve));
      assert.ok(lateAnswers.length > 0, "the late record was never asked for");
      assert.deepEqual(uploads, [], "the late record started an upload after the job failed");
      assert.deepEqual((await readdir(folder, { recursive: true })).filter((n) => n.endsWith(".gz") || n.includes("tmp")), []);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
