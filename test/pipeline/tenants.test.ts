import assert from "node:assert/strict";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import { DuckDBInstance } from "@duckdb/node-api";
import { LocalQueue } from "../../local/queue.js";
import { runLocal } from "../../local/run.js";
import { folderArchiveStore } from "../../shared/archive/archiveStore.js";
import { systemClock } from "../../shared/core/clock.js";
import { loadArchiverConfig, loadPipelineConfig } from "../../shared/config/config.js";
import { hourInMs } from "../../shared/core/window.js";
import { createGraphRuntime } from "../../shared/graph/graphSetup.js";
import { memoryWatermarkStore } from "../../shared/pipeline/plan/watermarkStore.js";
import { type Sandbox, startSandbox } from "../../sandbox/server.js";
import { ManualClock } from "../../sandbox/tenant.js";
import { clockAt, sandboxEnv } from "../support/graph.js";

// Three customer tenants beside the home one: two that consented, one that has not.
const fabrikam = "0b7e2c1a-5f3d-4e6b-9a8c-1d2e3f4a5b6c";
const tailspin = "1c8f3d2b-6a4e-4f7c-8b9d-2e3f4a5b6c7d";
const notYet = "2d9a4e3c-7b5f-4a8d-9cae-3f4a5b6c7d8e";
const now = Date.parse("2026-11-27T18:00:00Z");
const from = Date.parse("2026-11-27T08:00:00Z");
const to = Date.parse("2026-11-27T14:00:00Z");
let sandbox: Sandbox;
const folders: string[] = [];

before(async () => {
  sandbox = await startSandbox({
    clock: new ManualClock(now),
    callsPerDay: 120,
    // Graph's limits scaled from 20 s to 1 s windows, as the settings below are.
    throttle: { appRequests: 75, appWindowInMs: 1000, listRequests: 40, listWindowInMs: 1000 },
    acrossTenantsRequests: 750,
    tenants: [{ id: fabrikam, callsPerDay: 200 }, { id: tailspin, callsPerDay: 60 }, { id: notYet, consented: false }],
  });
});
after(async () => {
  await sandbox.close();
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});

/** Every archived line below a root, as `id@version`. */
async function archivedUnder(folder: string, root: string): Promise<string[]> {
  const names = await readdir(join(folder, root), { recursive: true }).catch(() => [] as string[]);
  const lines: string[] = [];
  for (const name of names.filter((n) => n.endsWith(".jsonl.gz") && !n.startsWith("tenant="))) {
    for (const line of gunzipSync(await readFile(join(folder, root, name))).toString("utf8").split("\n")) {
      if (line) {
        const record = JSON.parse(line) as { id: string; version: number };
        lines.push(`${record.id}@${record.version}`);
      }
    }
  }
  return lines.sort();
}

const truthOf = (tenant: string) => (sandbox.tenants.get(tenant)?.tenant.groundTruth(from, to) ?? []).map((t) => `${t.id}@${t.version}`).sort();

async function run(tenants: readonly string[], onProgress?: (line: string) => void, more: { readonly env?: Record<string, string>; readonly onLogLine?: (line: string) => void; readonly homeFrom?: number } = {}) {
  const folder = await mkdtemp(join(tmpdir(), "archiver-tenants-"));
  folders.push(folder);
  const env = sandboxEnv(sandbox, {
    ARCHIVER_GRAPH_RATE_REQUESTS: "75",
    ARCHIVER_GRAPH_RATE_WINDOW_SECONDS: "1",
    ARCHIVER_GRAPH_APP_CEILING_REQUESTS: "750",
    ARCHIVER_JOB_RETRY_BASE_MS: "20",
    ARCHIVER_TENANTS: tenants.join(","),
    ...more.env,
  });
  const archiverConfig = loadArchiverConfig(env);
  const pipeline = loadPipelineConfig(env);
  // The queue's due times come from the run's clock, as npm start's do: a yielded job is due seconds later.
  const clock = clockAt(now);
  const summary = await runLocal({
    archiverConfig,
    pipeline,
    graph: createGraphRuntime(archiverConfig, { ca: sandbox.ca }),
    archive: folderArchiveStore(folder),
    watermarks: memoryWatermarkStore({ nextWindowStartInMs: more.homeFrom ?? from }),
    tenants: pipeline.tenants.map((tenant) => ({ tenant, watermarks: memoryWatermarkStore({ nextWindowStartInMs: from }) })),
    clock,
    planClock: { now: () => to + hourInMs, sleep: systemClock.sleep },
    queue: new LocalQueue(4, () => clock.now()),
    ...(onProgress ? { onProgress } : {}),
    ...(more.onLogLine ? { onLogLine: more.onLogLine } : {}),
  });
  return { folder, summary };
}

describe("several tenants from one deployment", () => {
  it("archives every record of every consented tenant exactly once, each below its own folder, the home tenant's where it always was; a tenant without consent fails its own jobs by name", async () => {
    const { folder, summary } = await run([fabrikam, tailspin, notYet]);
    const home = await archivedUnder(folder, "callrecords/v1");
    assert.deepEqual(home, truthOf("5f1c9a4e-3b2d-4c6e-9a8b-7d6e5f4c3b2a"), "the home tenant's records, under callrecords/v1/year=…");
    assert.deepEqual(await archivedUnder(folder, `callrecords/v1/tenant=${fabrikam}`), truthOf(fabrikam));
    assert.deepEqual(await archivedUnder(folder, `callrecords/v1/tenant=${tailspin}`), truthOf(tailspin));
    assert.ok(truthOf(fabrikam).length > 0 && truthOf(tailspin).length > 0 && home.length > 0, "every consented tenant had calls in the span");
    assert.notDeepEqual(truthOf(fabrikam), truthOf(tailspin), "each tenant has its own data");
    // The unconsented tenant: only its own passes dead-lettered, each by name.
    assert.ok(summary.deadLetters.length > 0);
    for (const d of summary.deadLetters) {
      assert.ok(d.messageId.startsWith(`${notYet}_`), d.messageId);
      assert.equal(d.reason, "TenantConsentMissing");
      assert.match(d.description, /AADSTS7000229: .* is missing service principal in the tenant 2d9a4e3c-7b5f-4a8d-9cae-3f4a5b6c7d8e/);
    }
    assert.equal(summary.tenants[notYet]?.deadLetters, summary.deadLetters.length);
    assert.equal(summary.tenants[notYet]?.passes, 0);

    // The shipped DuckDB views name each call's tenant: views.sql, then tenants.sql for the others.
    const db = await DuckDBInstance.create(":memory:");
    const connection = await db.connect();
    try {
      await connection.run(`SET VARIABLE archive = '${folder}'`);
      for (const file of ["views.sql", "tenants.sql"]) await connection.run(await readFile(join(import.meta.dirname, "..", "..", "lake", "duckdb", file), "utf8"));
      const reader = await connection.runAndReadAll("SELECT tenant_id, count(*)::INTEGER AS calls FROM callrecords_latest GROUP BY ALL ORDER BY ALL");
      const ids = (tenant: string) => new Set(truthOf(tenant).map((t) => t.split("@")[0])).size;
      assert.deepEqual(reader.getRowObjectsJson(), [
        { tenant_id: fabrikam, calls: ids(fabrikam) },
        { tenant_id: tailspin, calls: ids(tailspin) },
        { tenant_id: "home", calls: ids("5f1c9a4e-3b2d-4c6e-9a8b-7d6e5f4c3b2a") },
      ]);
    } finally {
      connection.closeSync();
      db.closeSync();
    }
  });

  it("a tenant whose admin revokes consent mid-run fails its remaining jobs by name; the other tenants are untouched", async () => {
    let revoked = false;
    const { folder, summary } = await run([fabrikam, tailspin], (line) => {
      if (!revoked && line.includes(`${tailspin}_`) && line.includes("harvested")) {
        revoked = true;
        sandbox.revokeConsent(tailspin);
      }
    });
    assert.ok(revoked, "a tailspin pass was harvested before the revocation");
    assert.deepEqual(await archivedUnder(folder, `callrecords/v1/tenant=${fabrikam}`), truthOf(fabrikam));
    assert.deepEqual(await archivedUnder(folder, "callrecords/v1"), truthOf("5f1c9a4e-3b2d-4c6e-9a8b-7d6e5f4c3b2a"));
    assert.ok(summary.deadLetters.length > 0, "the revoked tenant's remaining jobs failed");
    for (const d of summary.deadLetters) {
      assert.ok(d.messageId.startsWith(`${tailspin}_`), d.messageId);
      assert.equal(d.reason, "TenantConsentMissing", d.description);
    }
  });

  it("holds each tenant to its share of the run's slots: with one slot each and four harvests at once, jobs over a tenant's share yield, and every record still lands once", async () => {
    // Two tenants (the home one and fabrikam, which no earlier test revokes) and four harvests
    // at once: whenever four are in flight, at least two are one tenant's, so some job must
    // yield. A run whose handler counted slots afresh for every job never yields.
    const deferred: string[] = [];
    const { folder } = await run([fabrikam], undefined, {
      env: { ARCHIVER_TENANT_SLOTS: "1" },
      onLogLine: (line) => {
        if (line.includes("harvestDeferred")) deferred.push(line);
      },
    });
    assert.ok(deferred.length > 0, "some job over its tenant's one slot yielded");
    assert.deepEqual(await archivedUnder(folder, `callrecords/v1/tenant=${fabrikam}`), truthOf(fabrikam));
    assert.deepEqual(await archivedUnder(folder, "callrecords/v1"), truthOf("5f1c9a4e-3b2d-4c6e-9a8b-7d6e5f4c3b2a"));
  });

  it("plans every tenant until each has caught up, not only until the home tenant has, and counts every tenant's windows", async () => {
    // The home tenant is caught up (as a local archive is when a tenant is added to it later);
    // fabrikam needs six windows, two a tick.
    const { folder, summary } = await run([fabrikam], undefined, { homeFrom: to, env: { ARCHIVER_MAX_WINDOWS_PER_TICK: "2" } });
    assert.deepEqual(await archivedUnder(folder, `callrecords/v1/tenant=${fabrikam}`), truthOf(fabrikam));
    assert.equal(summary.windows, 6, "fabrikam's 6 hourly windows from 08:00 to 14:00");
    assert.equal(summary.jobs, summary.harvested + summary.alreadyDone + summary.splits + summary.scheduledLater);
  });
});
