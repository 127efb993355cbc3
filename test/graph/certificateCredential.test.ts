import assert from "node:assert/strict";
import { X509Certificate, createHash, sign } from "node:crypto";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import selfsigned from "selfsigned";
import { ManualClock } from "../../sandbox/tenant.js";
import { certificateAssertionProblem } from "../../sandbox/clientAssertion.js";
import { startSandbox } from "../../sandbox/server.js";
import { loadArchiverConfig } from "../../shared/config/config.js";
import { createGraphRuntime } from "../../shared/graph/graphSetup.js";

// AZURE_CLIENT_CERTIFICATE_PATH: the app proves itself with a JWT signed by its certificate's key
// (MSAL builds it); the sandbox checks it as Entra does, against the certificate registered on the app.
const now = Date.parse("2026-11-27T18:00:00Z");
const window = { startInMs: Date.parse("2026-11-27T09:00:00Z"), endInMs: Date.parse("2026-11-27T12:00:00Z") };

async function clientCertificate(): Promise<{ cert: string; key: string; pemPath: string }> {
  const pems = await selfsigned.generate([{ name: "commonName", value: "callrecords-archiver test client" }], { keySize: 2048, algorithm: "sha256" });
  const pemPath = join(await mkdtemp(join(tmpdir(), "archiver-cert-")), "client.pem");
  await writeFile(pemPath, `${pems.cert}\n${pems.private}`);
  return { cert: pems.cert, key: pems.private, pemPath };
}

/** An RS256 assertion naming `certificate` by thumbprint, signed with `key`. */
function assertion(certificate: string, key: string, payload: Record<string, unknown>): string {
  const x5t = createHash("sha1").update(new X509Certificate(certificate).raw).digest("base64url");
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const signed = `${encode({ alg: "RS256", typ: "JWT", x5t })}.${encode(payload)}`;
  return `${signed}.${sign("sha256", Buffer.from(signed), key).toString("base64url")}`;
}

async function listWithCertificate(registered: string, pemPath: string) {
  const sandbox = await startSandbox({ clock: new ManualClock(now), callsPerDay: 200, throttle: false, clientCertificate: registered });
  try {
    const config = loadArchiverConfig({
      ARCHIVER_GRAPH_ENDPOINT: sandbox.graphEndpoint,
      ARCHIVER_AUTHORITY_HOST: sandbox.authorityHost,
      AZURE_TENANT_ID: sandbox.tenantId,
      AZURE_CLIENT_ID: sandbox.clientId,
      AZURE_CLIENT_CERTIFICATE_PATH: pemPath,
      ARCHIVER_GRAPH_MAX_ATTEMPTS: "2",
    });
    assert.equal(config.credential.kind, "clientCertificate");
    const client = createGraphRuntime(config, { ca: sandbox.ca }).newClient();
    let records = 0;
    for await (const page of client.listWindow(window)) records += page.length;
    return { records, truth: sandbox.tenant.groundTruth(window.startInMs, window.endInMs).length, tokens: sandbox.stats.tokensIssued };
  } finally {
    await sandbox.close();
  }
}

describe("Graph with a client certificate (AZURE_CLIENT_CERTIFICATE_PATH)", () => {
  it("signs in with the registered certificate and reads the window", async () => {
    const { cert, pemPath } = await clientCertificate();
    const run = await listWithCertificate(cert, pemPath);
    assert.ok(run.records > 0);
    assert.equal(run.records, run.truth);
    assert.equal(run.tokens, 1);
  });

  it("is refused, with Entra's reason, when the app has another certificate registered", async () => {
    const ours = await clientCertificate();
    const theirs = await clientCertificate();
    await assert.rejects(listWithCertificate(theirs.cert, ours.pemPath), /AADSTS700027: The certificate .* is not registered/);
  });

  it("the sandbox's check holds to signature, audience, issuer and time, as Entra's does", async () => {
    const ours = await clientCertificate();
    const other = await clientCertificate();
    const expected = { clientId: "app", audience: "https://login/tenant/oauth2/v2.0/token", nowInMs: now };
    const claims = { aud: expected.audience, iss: "app", sub: "app", nbf: now / 1000 - 5, exp: now / 1000 + 600 };
    assert.equal(certificateAssertionProblem(assertion(ours.cert, ours.key, claims), ours.cert, expected), undefined);
    assert.match(certificateAssertionProblem(assertion(ours.cert, other.key, claims), ours.cert, expected) ?? "", /failed signature validation/);
    assert.match(certificateAssertionProblem(assertion(ours.cert, ours.key, { ...claims, aud: "elsewhere" }), ours.cert, expected) ?? "", /AADSTS700212/);
    assert.match(certificateAssertionProblem(assertion(ours.cert, ours.key, { ...claims, iss: "other" }), ours.cert, expected) ?? "", /AADSTS700023/);
    assert.match(certificateAssertionProblem(assertion(ours.cert, ours.key, { ...claims, exp: now / 1000 - 1 }), ours.cert, expected) ?? "", /AADSTS700024/);
  });

  it("the sandbox's check refuses what is not an assertion for this certificate", async () => {
    const { cert } = await clientCertificate();
    const header = Buffer.from(JSON.stringify({ alg: "RS256", x5t: "not-it" })).toString("base64url");
    const payload = Buffer.from(JSON.stringify({ aud: "x", iss: "a", sub: "a", exp: 0 })).toString("base64url");
    assert.match(certificateAssertionProblem(`${header}.${payload}.sig`, cert, { clientId: "a", audience: "x", nowInMs: now }) ?? "", /AADSTS700027/);
    assert.match(certificateAssertionProblem("not a jwt", cert, { clientId: "a", audience: "x", nowInMs: now }) ?? "", /AADSTS50027/);
  });
});
