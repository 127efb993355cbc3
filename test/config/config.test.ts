import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadArchiverConfig } from "../../shared/config/config.js";
import { ConfigError } from "../../shared/core/errors.js";

const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return error.problems.map((p) => `${p.setting}: ${p.problem}`);
  }
  assert.fail("expected a ConfigError");
};

describe("loadArchiverConfig", () => {
  it("defaults to the global cloud and the managed identity", () => {
    const config = loadArchiverConfig({});
    assert.equal(config.graph.graphEndpoint, "https://graph.microsoft.com");
    assert.equal(config.graph.authorityHost, "https://login.microsoftonline.com");
    assert.equal(config.graph.instanceDiscovery, true);
    assert.equal(config.graph.pageSize, 60);
    assert.equal(config.graph.rateLimitRequests, 1500);
    assert.equal(config.graph.rateLimitWindowInMs, 20_000);
    assert.deepEqual(config.credential, { kind: "managedIdentity" });
  });

  it("knows each national cloud's hosts, and that only Global lists participants", () => {
    const dod = loadArchiverConfig({ ARCHIVER_CLOUD: "usgovdod" });
    assert.equal(dod.graph.graphEndpoint, "https://dod-graph.microsoft.us");
    assert.equal(dod.graph.authorityHost, "https://login.microsoftonline.us");
    assert.equal(dod.graph.hasParticipantsList, false);
    const china = loadArchiverConfig({ ARCHIVER_CLOUD: "China" });
    assert.equal(china.graph.graphEndpoint, "https://microsoftgraph.chinacloudapi.cn");
    assert.equal(china.tokenExchangeAudience, "api://AzureADTokenExchangeChina");
  });

  it("takes endpoint overrides and turns instance discovery off for an unknown authority", () => {
    const config = loadArchiverConfig({
      ARCHIVER_GRAPH_ENDPOINT: "https://127.0.0.1:8443/",
      ARCHIVER_AUTHORITY_HOST: "https://127.0.0.1:8443",
    });
    assert.equal(config.graph.graphEndpoint, "https://127.0.0.1:8443");
    assert.equal(config.graph.instanceDiscovery, false);
  });

  it("names every bad setting at once", () => {
    const problems = problemsOf(() =>
      loadArchiverConfig({
        ARCHIVER_CLOUD: "Mars",
        ARCHIVER_GRAPH_ENDPOINT: "http://graph.example",
        ARCHIVER_GRAPH_PAGE_SIZE: "sixty",
        ARCHIVER_GRAPH_MAX_ATTEMPTS: "0",
      }),
    );
    assert.deepEqual(problems, [
      'ARCHIVER_CLOUD: expected one of Global, USGov, USGovDoD, China, got "Mars"',
      'ARCHIVER_GRAPH_ENDPOINT: must use https, got "http://graph.example"',
      'ARCHIVER_GRAPH_PAGE_SIZE: expected a whole number, got "sixty"',
      "ARCHIVER_GRAPH_MAX_ATTEMPTS: expected a number from 1 to 50, got 0",
    ]);
  });

  it("requires the tenant and client id with a client secret", () => {
    assert.deepEqual(problemsOf(() => loadArchiverConfig({ AZURE_CLIENT_SECRET: "s" })), [
      "AZURE_TENANT_ID: is required with AZURE_CLIENT_SECRET",
    ]);
    const config = loadArchiverConfig({ AZURE_CLIENT_SECRET: "s", AZURE_TENANT_ID: "t", AZURE_CLIENT_ID: "c" });
    assert.equal(config.credential.kind, "clientSecret");
  });

  it("prefers an app registration trusted by the managed identity", () => {
    const config = loadArchiverConfig({
      ARCHIVER_GRAPH_APP_CLIENT_ID: "app",
      AZURE_TENANT_ID: "t",
      ARCHIVER_MANAGED_IDENTITY_CLIENT_ID: "mi",
      AZURE_CLIENT_SECRET: "ignored",
      AZURE_CLIENT_ID: "c",
    });
    assert.deepEqual(config.credential, {
      kind: "appRegistration",
      tenantId: "t",
      appClientId: "app",
      managedIdentityClientId: "mi",
    });
  });
});
