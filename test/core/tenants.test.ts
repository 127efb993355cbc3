import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { archiveBlobOf, chainBlobName, dataBlobName, dayPartitionPrefix, manifestBlobName } from "../../shared/archive/archiveLayout.js";
import { schedulerBlobName } from "../../shared/archive/stateLayout.js";
import { jobBody, messageIdOf, parseJobMessage } from "../../shared/core/job.js";
import { parseTenantId } from "../../shared/core/tenants.js";
import { InvalidJobError } from "../../shared/core/errors.js";

const contoso = "0b7e2c1a-5f3d-4e6b-9a8c-1d2e3f4a5b6c";
const window = { startInMs: Date.parse("2026-11-27T09:00:00Z"), endInMs: Date.parse("2026-11-27T10:00:00Z") };
const day = { startInMs: Date.parse("2026-11-27T00:00:00Z"), endInMs: Date.parse("2026-11-28T00:00:00Z") };

describe("tenants", () => {
  it("reads a tenant id as a person types it, and refuses a domain name and anything else by name", () => {
    assert.deepEqual(parseTenantId(" 0B7E2C1A-5F3D-4E6B-9A8C-1D2E3F4A5B6C "), { tenant: contoso });
    assert.match((parseTenantId("contoso.onmicrosoft.com") as { problem: string }).problem, /is a domain name; give the tenant's id/);
    assert.match((parseTenantId("contoso") as { problem: string }).problem, /"contoso" is not a tenant id/);
  });

  it("keeps the home tenant's blobs, messages and state where they were, and puts another tenant's below its own folder", () => {
    assert.equal(dataBlobName({ window, pass: 0 }), "callrecords/v1/year=2026/month=11/day=27/hour=09/20261127T0900Z_20261127T1000Z_p0.jsonl.gz");
    assert.equal(dataBlobName({ window, pass: 0, tenant: contoso }), `callrecords/v1/tenant=${contoso}/year=2026/month=11/day=27/hour=09/20261127T0900Z_20261127T1000Z_p0.jsonl.gz`);
    assert.equal(manifestBlobName({ window: day, pass: 1, source: "pstnCalls" }), "pstncalls/v1/tenant=home/year=2026/month=11/day=27/_20261127T0000Z_20261128T0000Z_p1.manifest.json");
    assert.equal(chainBlobName({ window: day, pass: 1, source: "directRoutingCalls", tenant: contoso }), `directroutingcalls/v1/tenant=${contoso}/year=2026/month=11/day=27/_20261127T0000Z_20261128T0000Z_p1.chain.json`);
    assert.equal(dayPartitionPrefix(window.startInMs, { tenant: contoso }), `callrecords/v1/tenant=${contoso}/year=2026/month=11/day=27/`);
    assert.equal(messageIdOf({ window, pass: 0 }), "20261127T0900Z_20261127T1000Z_p0");
    assert.equal(messageIdOf({ window: day, pass: 2, source: "pstnCalls", tenant: contoso }, 3, "s20261203T1015Z"), `${contoso}_pstn_20261127T0000Z_20261128T0000Z_p2_a3_s20261203T1015Z`);
    assert.equal(schedulerBlobName("watermark"), "scheduler/watermark.json");
    assert.equal(schedulerBlobName("sweep", { source: "directRoutingCalls" }), "scheduler/directroutingcalls-sweep.json");
    assert.equal(schedulerBlobName("watermark", { tenant: contoso }), `tenants/${contoso}/scheduler/watermark.json`);
    assert.equal(schedulerBlobName("sweep", { tenant: contoso, source: "pstnCalls" }), `tenants/${contoso}/scheduler/pstncalls-sweep.json`);
  });

  it("reads a blob's tenant back from its name: the home tenant's has none", () => {
    assert.deepEqual(archiveBlobOf(`callrecords/v1/tenant=${contoso}/year=2026/month=11/day=27/hour=09/_20261127T0900Z_20261127T1000Z_p0.manifest.json`), { job: { window, pass: 0, tenant: contoso }, kind: "manifest" });
    assert.deepEqual(archiveBlobOf("callrecords/v1/year=2026/month=11/day=27/hour=09/_20261127T0900Z_20261127T1000Z_p0.manifest.json"), { job: { window, pass: 0 }, kind: "manifest" });
    assert.deepEqual(archiveBlobOf("pstncalls/v1/tenant=home/year=2026/month=11/day=27/20261127T0000Z_20261128T0000Z_p0.jsonl.gz"), { job: { window: day, pass: 0, source: "pstnCalls" }, kind: "data" });
  });

  it("carries the tenant in a job's message; a message without one (queued before tenants) is the home tenant's; a bad one is refused by name", () => {
    assert.deepEqual(jobBody({ window, pass: 0, tenant: contoso }), { schemaVersion: 1, windowStart: "2026-11-27T09:00:00Z", windowEnd: "2026-11-27T10:00:00Z", pass: 0, tenant: contoso });
    assert.deepEqual(parseJobMessage({ schemaVersion: 1, windowStart: "2026-11-27T09:00:00Z", windowEnd: "2026-11-27T10:00:00Z", pass: 0, tenant: contoso }), { window, pass: 0, tenant: contoso });
    assert.deepEqual(parseJobMessage({ schemaVersion: 1, windowStart: "2026-11-27T09:00:00Z", windowEnd: "2026-11-27T10:00:00Z", pass: 0 }), { window, pass: 0 });
    assert.throws(
      () => parseJobMessage({ schemaVersion: 1, windowStart: "2026-11-27T09:00:00Z", windowEnd: "2026-11-27T10:00:00Z", pass: 0, tenant: "Contoso" }),
      (e: unknown) => e instanceof InvalidJobError && /tenant must be a tenant id in lower case \(a GUID\) when present \(absent: the home tenant\), got "Contoso"/.test(e.message),
    );
  });
});
