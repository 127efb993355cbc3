import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { loadArchiverConfig } from "../../shared/config/config.js";
import { createGraphRuntime } from "../../shared/graph/graphSetup.js";
import { ManualClock } from "../../sandbox/tenant.js";
import { type ManagedIdentityEndpoint, startManagedIdentityEndpoint } from "../../sandbox/managedIdentity.js";
import { startSandbox, type Sandbox } from "../../sandbox/server.js";

// The deployed shape of graphIdentity=appRegistration: no secret anywhere. The managed identity's
// token (audience api://AzureADTokenExchange) is the app registration's client assertion, accepted
// because the app's federated credential names the identity. The identity endpoint is the sandbox's
// App Service-style one, found by @azure/identity through IDENTITY_ENDPOINT and IDENTITY_HEADER.
const now = Date.parse("2026-11-27T18:00:00Z");
const window = { startInMs: Date.parse("2026-11-27T09:00:00Z"), endInMs: Date.parse("2026-11-27T12:00:00Z") };

async function listWith(sandbox: Sandbox): Promise<number> {
  const identity = sandbox.managedIdentity;
  assert.ok(identity);
  process.env.IDENTITY_ENDPOINT = identity.endpoint;
  process.env.IDENTITY_HEADER = identity.header;
  const config = loadArchiverConfig({
    ARCHIVER_GRAPH_ENDPOINT: sandbox.graphEndpoint,
    ARCHIVER_AUTHORITY_HOST: sandbox.authorityHost,
    AZURE_TENANT_ID: sandbox.tenantId,
    ARCHIVER_GRAPH_APP_CLIENT_ID: sandbox.graphAppClientId,
    ARCHIVER_MANAGED_IDENTITY_CLIENT_ID: identity.clientId,
    ARCHIVER_GRAPH_MAX_ATTEMPTS: "2",
    ARCHIVER_GRAPH_RETRY_BASE_MS: "20",
  });
  assert.equal(config.credential.kind, "appRegistration");
  const client = createGraphRuntime(config, { ca: sandbox.ca }).newClient();
  let records = 0;
  for await (const page of client.listWindow(window)) records += page.length;
  return records;
}

describe("Graph identity: an app registration that trusts the managed identity", () => {
  // One identity for the whole file: MSAL keeps the identity endpoint it first finds.
  let identity: ManagedIdentityEndpoint;
  before(async () => {
    identity = await startManagedIdentityEndpoint();
  });
  after(() => identity.close());

  describe("when the federated credential names the identity", () => {
    let sandbox: Sandbox;
    before(async () => {
      sandbox = await startSandbox({ clock: new ManualClock(now), callsPerDay: 200, throttle: false, managedIdentity: { endpoint: identity } });
    });
    after(() => sandbox.close());

    it("reads Graph as the app, with the identity's token as client assertion", async () => {
      const records = await listWith(sandbox);
      assert.equal(records, sandbox.tenant.groundTruth(window.startInMs, window.endInMs).length);
      assert.ok(records > 0);
      assert.ok(identity.tokensIssued >= 1, "the identity endpoint was asked for the assertion");
      assert.equal(sandbox.stats.tokensIssued, 1, "one Graph token, for the app");
    });
  });

  describe("when the federated credential names another identity", () => {
    let sandbox: Sandbox;
    before(async () => {
      sandbox = await startSandbox({ clock: new ManualClock(now), callsPerDay: 200, throttle: false, managedIdentity: { endpoint: identity, trustedSubject: "someone-else" } });
    });
    after(() => sandbox.close());

    it("fails with Entra's reason and reads nothing", async () => {
      await assert.rejects(listWith(sandbox), /AADSTS700213: No matching federated identity record/);
      assert.equal(sandbox.stats.tokensIssued, 0);
      assert.equal(sandbox.stats.graphRequests, 0);
    });
  });

  describe("when the app holds no CallRecords.Read.All grant", () => {
    let sandbox: Sandbox;
    before(async () => {
      sandbox = await startSandbox({ clock: new ManualClock(now), callsPerDay: 200, throttle: false, managedIdentity: { endpoint: identity, granted: false } });
    });
    after(() => sandbox.close());

    it("fails at once with a message naming the missing permission", async () => {
      await assert.rejects(listWith(sandbox), /403.*CallRecords\.Read\.All, granted with admin consent/);
      assert.equal(sandbox.stats.graphRequests, 1, "a 403 is not retried");
    });
  });
});
