import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import functions, { type Timer } from "@azure/functions";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { type Azurite, startAzurite } from "../../local/azurite.js";
import { makeHarvestHandler } from "../../functions/harvestHandler.js";
import { type RegistryPlanDeps, makePlanHandler } from "../../functions/planHandler.js";
import { folderArchiveStore } from "../../shared/archive/archiveStore.js";
import { schedulerBlobName } from "../../shared/archive/stateLayout.js";
import { blobTenantRegistryStore } from "../../shared/archive/tenantRegistryStore.js";
import { loadArchiverConfig, loadPipelineConfig } from "../../shared/config/config.js";
import { RegistryError, applyChange, emptyRegistry, parseRegistry, serializeRegistry } from "../../shared/core/tenantRegistry.js";
import { jobBody, messageIdOf } from "../../shared/core/job.js";
import { createGraphRuntime } from "../../shared/graph/graphSetup.js";
import { checkTenant } from "../../shared/pipeline/operate/tenantCheck.js";
import type { PlannedJob } from "../../shared/pipeline/plan/planning.js";
import { blobWatermarkStore } from "../../shared/pipeline/plan/watermarkStore.js";
import { defaultJobRetryOptions } from "../../shared/pipeline/harvest/jobRetryPolicy.js";
import { type Sandbox, startSandbox } from "../../sandbox/server.js";
import { sandboxEnv } from "../support/graph.js";

const fabrikam = "0b7e2c1a-5f3d-4e6b-9a8c-1d2e3f4a5b6c";
const notYet = "2d9a4e3c-7b5f-4a8d-9cae-3f4a5b6c7d8e";
const paused = "4f1c6a5e-9d7b-4cab-9aec-5b6c7d8e9fa0";
const t0 = Date.parse("2026-11-20T10:00:00Z");

describe("the tenant registry's rules", () => {
  it("moves a tenant invited → active → paused → active → paused → offboarded, refusing by name what its state does not allow", () => {
    let registry = applyChange(emptyRegistry, { action: "add", tenant: fabrikam, name: "Fabrikam", logsOff: ["pstnCalls"], retentionDays: 2555 }, t0).registry;
    assert.deepEqual(registry.tenants, [{ id: fabrikam, name: "Fabrikam", state: "invited", addedAtInMs: t0, logsOff: ["pstnCalls"], retentionDays: 2555 }]);
    assert.throws(() => applyChange(registry, { action: "add", tenant: fabrikam, name: "again" }, t0), (e: unknown) => e instanceof RegistryError && e.message === `tenant ${fabrikam} is already in the registry (invited)`);
    assert.throws(() => applyChange(registry, { action: "resume", tenant: fabrikam }, t0), /is invited, not paused/);
    registry = applyChange(registry, { action: "consented", tenant: fabrikam }, t0 + 1000).registry;
    assert.equal(registry.tenants[0]?.state, "active");
    assert.throws(() => applyChange(registry, { action: "remove", tenant: fabrikam }, t0), /is active: pause it first/);
    registry = applyChange(registry, { action: "pause", tenant: fabrikam, because: "consent revoked" }, t0 + 2000).registry;
    assert.deepEqual([registry.tenants[0]?.state, registry.tenants[0]?.pausedBecause], ["paused", "consent revoked"]);
    registry = applyChange(registry, { action: "consented", tenant: fabrikam }, t0 + 3000).registry;
    assert.equal(registry.tenants[0]?.state, "paused", "a check proves consent but does not resume a paused tenant");
    registry = applyChange(registry, { action: "resume", tenant: fabrikam }, t0 + 4000).registry;
    assert.deepEqual([registry.tenants[0]?.state, registry.tenants[0]?.pausedBecause], ["active", undefined]);
    registry = applyChange(applyChange(registry, { action: "pause", tenant: fabrikam, because: "offboarding" }, t0).registry, { action: "remove", tenant: fabrikam }, t0 + 5000).registry;
    assert.equal(registry.tenants[0]?.state, "offboarded");
    assert.throws(() => applyChange(registry, { action: "pause", tenant: notYet, because: "x" }, t0), /tenant 2d9a4e3c-7b5f-4a8d-9cae-3f4a5b6c7d8e is not in the registry/);
  });

  it("writes the registry as typed JSON and refuses a damaged one by name", () => {
    const registry = applyChange(emptyRegistry, { action: "add", tenant: fabrikam, name: "Fabrikam" }, t0).registry;
    assert.equal(serializeRegistry(registry), `{\n  "schemaVersion": 1,\n  "tenants": [\n    {\n      "id": "${fabrikam}",\n      "name": "Fabrikam",\n      "state": "invited",\n      "addedAt": "2026-11-20T10:00:00Z"\n    }\n  ]\n}\n`);
    assert.deepEqual(parseRegistry(serializeRegistry(registry), "state/tenants/registry.json"), registry);
    assert.throws(() => parseRegistry('{"schemaVersion":1,"tenants":[{"id":"Fabrikam","name":"x","state":"active","addedAt":"2026-11-20T10:00:00Z"}]}', "state/tenants/registry.json"), /registry.json is unreadable: tenants\[0\].id must be a tenant id in lower case, got "Fabrikam"/);
    assert.throws(() => parseRegistry('{"schemaVersion":1,"tenants":[{"id":"' + fabrikam + '","name":"x","state":"asleep","addedAt":"2026-11-20T10:00:00Z"}]}', "r"), /tenants\[0\].state must be one of invited, active, paused, offboarded, got "asleep"/);
  });
});

describe("the deployed functions and the registry (Azurite, the sandbox)", () => {
  let azurite: Azurite;
  let sandbox: Sandbox;
  let state: ContainerClient;
  before(async () => {
    azurite = await startAzurite();
    sandbox = await startSandbox({ tenants: [{ id: fabrikam }, { id: notYet, consented: false }, { id: paused }] });
    state = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient("state");
    await state.create();
  });
  after(async () => {
    await sandbox.close();
    await azurite.stop();
  });

  /** One plan tick over `container`'s watermarks and registry: the jobs it sent and its event lines. */
  async function tick(container: ContainerClient, store: RegistryPlanDeps["store"], check: RegistryPlanDeps["check"], configured: readonly string[] = [], env: Record<string, string> = {}) {
    const pipeline = loadPipelineConfig(sandboxEnv(sandbox, { ARCHIVER_PSTN_CALLS: "off", ARCHIVER_DIRECT_ROUTING_CALLS: "off", ...env }));
    const sent: PlannedJob[] = [];
    const events: string[] = [];
    const planOf = (tenant: string) => ({ tenant, watermarks: blobWatermarkStore(container, schedulerBlobName("watermark", { tenant })) });
    const handler = makePlanHandler(() => ({
      watermarks: blobWatermarkStore(container),
      sender: { send: async (jobs) => void sent.push(...jobs) },
      clock: { now: () => tickAt, sleep: async () => undefined },
      plan: { ...pipeline.plan, maxWindowsPerTick: 2 },
      tenants: configured.map(planOf),
      registry: { store, check, planOf: (entry) => planOf(entry.id), ...(pipeline.tenantRetention ? { deployedRetention: pipeline.tenantRetention } : {}) },
    }));
    await handler({} as Timer, new functions.InvocationContext({ invocationId: "t", functionName: "plan", logHandler: (_l, ...args) => events.push(args.join(" ")) }));
    return { sent, events };
  }
  const tickAt = Date.now();

  it("a tick checks invited tenants: one that consented becomes active and is planned at once, one that has not stays invited with a warning; a paused tenant is not planned, even when ARCHIVER_TENANTS names it", async () => {
    const store = blobTenantRegistryStore(state);
    await store.change({ action: "add", tenant: fabrikam, name: "Fabrikam" }, "test", t0);
    await store.change({ action: "add", tenant: notYet, name: "Not yet" }, "test", t0);
    await store.change({ action: "add", tenant: paused, name: "Paused" }, "test", t0);
    await store.change({ action: "consented", tenant: paused }, "test", t0);
    await store.change({ action: "pause", tenant: paused, because: "offboarding" }, "test", t0);
    const graph = createGraphRuntime(loadArchiverConfig(sandboxEnv(sandbox, {})), { ca: sandbox.ca });
    const { sent, events } = await tick(state, store, (tenant) => checkTenant(graph, tenant, undefined, tickAt), [paused]);
    const byTenant = new Map<string, number>();
    for (const j of sent) byTenant.set(j.job.tenant ?? "home", (byTenant.get(j.job.tenant ?? "home") ?? 0) + 1);
    assert.deepEqual([...byTenant.keys()].sort(), [fabrikam, "home"].sort(), "the home tenant and the tenant that consented are planned; the unconsented and the paused are not");
    assert.equal(byTenant.get(fabrikam), byTenant.get("home"));
    const registry = await store.read();
    assert.deepEqual(registry.tenants.map((t) => [t.id, t.state]), [[fabrikam, "active"], [notYet, "invited"], [paused, "paused"]]);
    assert.ok(events.some((e) => e.includes("tenantConsented") && e.includes(fabrikam)));
    assert.ok(events.some((e) => e.includes("tenantNotConsented") && e.includes(notYet) && e.includes("TenantConsentMissing")));
    const audit = await store.audit();
    assert.deepEqual(audit.map((a) => [a.action, a.tenant, a.by]).at(-1), ["consented", fabrikam, "plan function"]);
  });

  it("warns each tick while a tenant's retention in the registry is not the one deployed (ARCHIVER_TENANT_RETENTION), and not once it is", async () => {
    const own = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient("state-retention");
    await own.create();
    const store = blobTenantRegistryStore(own);
    await store.change({ action: "add", tenant: fabrikam, name: "Fabrikam", retentionDays: 365 }, "test", t0);
    await store.change({ action: "add", tenant: notYet, name: "Not yet" }, "test", t0);
    const never = () => Promise.reject(new Error("no check in this test"));
    const drifted = await tick(own, store, never, [], { ARCHIVER_TENANT_RETENTION: `home=500, ${notYet}=90` });
    // One event per tenant, so the tenant alert names each.
    const lines = drifted.events.filter((e) => e.startsWith("tenantRetentionNotDeployed {")).map((e) => JSON.parse(e.slice(e.indexOf("{"))) as unknown);
    assert.deepEqual(lines, [
      { tenant: fabrikam, registry: 365, deploy: `${fabrikam}=365` },
      { tenant: notYet, deployed: 90, deploy: `${fabrikam}=365` },
    ]);
    const deployed = await tick(own, store, never, [], { ARCHIVER_TENANT_RETENTION: `home=500,${fabrikam}=365` });
    assert.equal(deployed.events.filter((e) => e.startsWith("tenantRetentionNotDeployed")).length, 0, deployed.events.join("\n"));
  });

  it("the audit lists changes as they happened: one at a whole minute before those seconds later, two in the same second by their milliseconds", async () => {
    const own = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient("state-audit-order");
    await own.create();
    const store = blobTenantRegistryStore(own);
    await store.change({ action: "add", tenant: fabrikam, name: "Fabrikam" }, "test", t0);
    await store.change({ action: "consented", tenant: fabrikam }, "test", t0 + 5_000);
    await store.change({ action: "pause", tenant: fabrikam, because: "test" }, "test", t0 + 5_250);
    await store.change({ action: "resume", tenant: fabrikam }, "test", t0 + 61_000);
    assert.deepEqual((await store.audit()).map((a) => [a.at, a.action]), [
      ["2026-11-20T10:00:00Z", "add"],
      ["2026-11-20T10:00:05Z", "consented"],
      ["2026-11-20T10:00:05.250Z", "pause"],
      ["2026-11-20T10:01:01Z", "resume"],
    ]);
  });

  it("an invited tenant whose check fails waits for the next tick with an error naming it; the active tenants are planned all the same", async () => {
    const own = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient("state-check-fails");
    await own.create();
    const store = blobTenantRegistryStore(own);
    await store.change({ action: "add", tenant: fabrikam, name: "Fabrikam" }, "test", t0);
    await store.change({ action: "consented", tenant: fabrikam }, "test", t0);
    await store.change({ action: "add", tenant: notYet, name: "Not yet" }, "test", t0);
    const { sent, events } = await tick(own, store, async () => {
      throw new Error("getaddrinfo ENOTFOUND login.microsoftonline.com");
    });
    assert.deepEqual([...new Set(sent.map((j) => j.job.tenant ?? "home"))].sort(), [fabrikam, "home"].sort(), "the active tenant is planned beside the home one");
    const failed = events.filter((e) => e.startsWith("tenantRegistryFailed"));
    assert.equal(failed.length, 1, events.join("\n"));
    assert.match(failed[0] ?? "", new RegExp(`"tenant":"${notYet}".*getaddrinfo ENOTFOUND login\\.microsoftonline\\.com`));
    assert.deepEqual((await store.read()).tenants.map((t) => [t.id, t.state]), [[fabrikam, "active"], [notYet, "invited"]]);
  });

  it("a tenant that revokes consent is paused by the first job it refuses, with an error event; its other jobs are not planned again", async () => {
    const store = blobTenantRegistryStore(state);
    assert.equal((await store.read()).tenants.find((t) => t.id === fabrikam)?.state, "active");
    sandbox.revokeConsent(fabrikam);
    const env = sandboxEnv(sandbox);
    const events: string[] = [];
    const settled: string[] = [];
    const handler = makeHarvestHandler(() => ({
      graph: createGraphRuntime(loadArchiverConfig(env), { ca: sandbox.ca }),
      archive: folderArchiveStore("/tmp/archiver-registry-never-written"),
      sender: { send: async () => undefined },
      clock: { now: () => Date.now(), sleep: async () => undefined },
      cloud: "Global",
      timeBudgetInMs: 60_000,
      concurrency: 2,
      jobRetry: defaultJobRetryOptions,
      onTenantRefused: async (tenant, reason) => {
        const entry = (await store.read()).tenants.find((t) => t.id === tenant);
        if (entry?.state !== "active") return false;
        await store.change({ action: "pause", tenant, because: reason }, "harvest function", Date.now());
        return true;
      },
    }));
    const job = { window: { startInMs: Date.parse("2026-11-30T09:00:00Z"), endInMs: Date.parse("2026-11-30T10:00:00Z") }, pass: 0, tenant: fabrikam };
    const settlement = { complete: async () => void settled.push("complete"), abandon: async () => void settled.push("abandon"), deadLetter: async () => void settled.push("deadLetter") };
    const context = new functions.InvocationContext({ invocationId: "t", functionName: "harvest", logHandler: (_l, ...args) => events.push(args.join(" ")) });
    const result = await handler(jobBody(job), settlement, context);
    assert.equal(result.status, "deadLettered");
    assert.equal(result.status === "deadLettered" ? result.reason : "", "TenantConsentMissing");
    assert.deepEqual(settled, ["deadLetter"]);
    const entry = (await store.read()).tenants.find((t) => t.id === fabrikam);
    assert.deepEqual([entry?.state, entry?.pausedBecause], ["paused", "TenantConsentMissing"]);
    assert.ok(events.some((e) => e.includes("tenantPaused") && e.includes(fabrikam)), events.join("\n"));
    assert.equal(messageIdOf(job), `${fabrikam}_20261130T0900Z_20261130T1000Z_p0`);
  });
});
