import assert from "node:assert/strict";
import { resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { manifestBlobName } from "../../shared/archive/archiveLayout.js";
import { jobBody } from "../../shared/core/job.js";
import { type HarvestHost, startHarvestHost } from "../support/harvestHost.js";
import { sdkBindingTrigger } from "../support/serviceBusHost.js";
import { runWorker } from "../support/worker.js";
import type { WorkerReport } from "../support/workerProcess.js";

// The harvest trigger as it runs in Azure: a worker process started with the host's arguments loads
// the app, receives SDK-binding trigger data (lock token + AMQP message) through the library's
// invocation model, and settles each message over gRPC with the host's settlement endpoint.
const entry = resolve(import.meta.dirname, "..", "..", "functions", "index.ts");

let host: HarvestHost;
before(async () => {
  host = await startHarvestHost();
});
after(() => host.stop());

async function deliver(body: unknown, extraSettings: Record<string, string> = {}) {
  const { settings, archive } = await host.withSettings(extraSettings);
  const trigger = sdkBindingTrigger({ body });
  const report: WorkerReport = await runWorker({ entry, env: settings, args: host.settlement.workerArgs, invocations: [{ functionName: "harvest", trigger: trigger.data }] });
  const calls = host.settlement.calls.filter((c) => c.request.locktoken === trigger.lockToken);
  return { report, calls, archive, outcome: report.outcomes[0] };
}

describe("the harvest trigger, invoked as the worker invokes it", () => {
  describe("when the message is a valid job", () => {
    let delivery: Awaited<ReturnType<typeof deliver>>;
    const job = () => ({ window: host.window, pass: 0 });
    before(async () => {
      delivery = await deliver(jobBody(job()));
    });

    it("runs the handler, which archives the window", async () => {
      assert.equal(delivery.outcome?.status, "Success", delivery.outcome?.error);
      assert.ok(await delivery.archive.getBlobClient(manifestBlobName(job())).exists(), "the window's manifest was written");
    });

    it("completes the message with its lock token, once", () => {
      assert.deepEqual(delivery.calls.map((c) => c.method), ["complete"]);
    });
  });

  describe("when the message is not a valid job", () => {
    let delivery: Awaited<ReturnType<typeof deliver>>;
    before(async () => {
      delivery = await deliver({ schemaVersion: 1, windowStart: "yesterday", windowEnd: "2026-11-27T10:00:00Z", pass: 0 });
    });

    it("dead-letters it at once, with reason InvalidJob and a description naming the bad field", () => {
      assert.equal(delivery.outcome?.status, "Success", delivery.outcome?.error);
      assert.deepEqual(delivery.calls.map((c) => c.method), ["deadletter"]);
      const request = delivery.calls[0]?.request as { deadletterReason: { value: string }; deadletterErrorDescription: { value: string } };
      assert.equal(request.deadletterReason.value, "InvalidJob");
      assert.match(request.deadletterErrorDescription.value, /^windowStart must be an ISO 8601 UTC instant/);
    });
  });

  describe("when the harvest fails in a way retrying cannot fix (the app's secret is wrong)", () => {
    let delivery: Awaited<ReturnType<typeof deliver>>;
    before(async () => {
      delivery = await deliver(jobBody({ window: host.window, pass: 0 }), { AZURE_CLIENT_SECRET: "not-the-secret" });
    });

    it("dead-letters the message at once, with the real error as description", () => {
      assert.equal(delivery.outcome?.status, "Success", delivery.outcome?.error);
      assert.deepEqual(delivery.calls.map((c) => c.method), ["deadletter"]);
      const request = delivery.calls[0]?.request as { deadletterReason: { value: string }; deadletterErrorDescription: { value: string } };
      assert.equal(request.deadletterReason.value, "CredentialRejected");
      assert.match(request.deadletterErrorDescription.value, /AADSTS7000215/);
    });

    it("logs a harvestDeadLettered event with the reason", () => {
      const line = delivery.outcome?.logs.find((l) => l.includes("harvestDeadLettered"));
      assert.ok(line, delivery.outcome?.logs.join("\n"));
      assert.match(line, /"reason":"CredentialRejected"/);
    });
  });

  describe("when the app's configuration is wrong", () => {
    let delivery: Awaited<ReturnType<typeof deliver>>;
    before(async () => {
      delivery = await deliver(jobBody({ window: host.window, pass: 0 }), { ARCHIVER_GRAPH_PAGE_SIZE: "many" });
    });

    it("dead-letters each message at once with the configuration error, naming the setting", () => {
      assert.deepEqual(delivery.calls.map((c) => c.method), ["deadletter"]);
      const request = delivery.calls[0]?.request as { deadletterReason: { value: string }; deadletterErrorDescription: { value: string } };
      assert.equal(request.deadletterReason.value, "ConfigurationError");
      assert.match(request.deadletterErrorDescription.value, /ARCHIVER_GRAPH_PAGE_SIZE: expected a whole number/);
    });

    it("dead-letters a message at once when the archive account is not configured, naming the setting", async () => {
      const missing = await deliver(jobBody({ window: host.window, pass: 0 }), { ARCHIVER_STORAGE: "" });
      assert.deepEqual(missing.calls.map((c) => c.method), ["deadletter"]);
      const request = missing.calls[0]?.request as { deadletterReason: { value: string }; deadletterErrorDescription: { value: string } };
      assert.equal(request.deadletterReason.value, "ConfigurationError");
      assert.match(request.deadletterErrorDescription.value, /ARCHIVER_STORAGE__blobServiceUri: is required/);
    });

    it("still registers every function", () => {
      assert.deepEqual(delivery.report.registered.map((r) => r.name).sort(), ["curate", "harvest", "plan"]);
    });
  });
});

describe("the Service Bus SDK binding extension", () => {
  it("is the version the settlement wrapper was written for, pinned exactly: an upgrade must bring the wrapper with it", async () => {
    const { readFile } = await import("node:fs/promises");
    const root = resolve(import.meta.dirname, "..", "..");
    const installed = JSON.parse(await readFile(resolve(root, "node_modules", "@azure", "functions-extensions-servicebus", "package.json"), "utf8")) as { version: string };
    const declared = (JSON.parse(await readFile(resolve(root, "package.json"), "utf8")) as { dependencies: Record<string, string> }).dependencies["@azure/functions-extensions-servicebus"];
    const { settlementWrittenFor } = await import("../../functions/serviceBusSettlement.js");
    assert.equal(declared, settlementWrittenFor, "package.json must pin the exact version (no ^ or ~): 0.3+ wraps the dead-letter reason itself");
    assert.equal(installed.version, settlementWrittenFor, "the installed extension is not the one functions/serviceBusSettlement.ts was written for");
  });
});
