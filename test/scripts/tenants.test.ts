import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { rm } from "node:fs/promises";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { BlobServiceClient } from "@azure/storage-blob";
import { type Azurite, startAzurite } from "../../local/azurite.js";
import { type Sandbox, sandboxSettings, startSandbox } from "../../sandbox/server.js";
import { sandboxCaFile } from "../support/graph.js";

// `npm run tenants`, driven as an operator drives it (a child process, the real clock), against
// Azurite's state container and the Graph sandbox's tenants: one that consented, one that has not,
// and one of the US Government cloud.
const root = resolve(import.meta.dirname, "..", "..");
const fabrikam = "0b7e2c1a-5f3d-4e6b-9a8c-1d2e3f4a5b6c";
const notYet = "2d9a4e3c-7b5f-4a8d-9cae-3f4a5b6c7d8e";
const usGov = "3e0b5f4d-8c6a-4b9e-8fdb-4a5b6c7d8e9f";
let azurite: Azurite;
let sandbox: Sandbox;
let env: Record<string, string> = {};
let caFolder = "";

before(async () => {
  azurite = await startAzurite();
  sandbox = await startSandbox({ tenants: [{ id: fabrikam }, { id: notYet, consented: false }, { id: usGov, cloudInstanceName: "microsoftonline.us" }] });
  const ca = await sandboxCaFile(sandbox);
  caFolder = ca.folder;
  await BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient("state").create();
  env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...sandboxSettings(sandbox), NODE_EXTRA_CA_CERTS: ca.caFile, ARCHIVER_STORAGE: azurite.connectionString };
});
after(async () => {
  await sandbox.close();
  await azurite.stop();
  await rm(caFolder, { recursive: true, force: true });
});

async function tenants(args: string[], viaNpm = false): Promise<{ code: number; stdout: string; stderr: string }> {
  const [file, argv] = viaNpm ? ["npm", ["run", "-s", "tenants", "--", ...args]] : [process.execPath, ["--import", "tsx", "scripts/tenants.ts", ...args]];
  try {
    const { stdout, stderr } = await promisify(execFile)(file as string, argv as string[], { cwd: root, env, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("npm run tenants", () => {
  it("onboards a tenant with one consent and one command, as the README writes it: invited, the consent page printed, active once checked", async () => {
    const added = await tenants(["add", fabrikam, "--name", "Fabrikam"], true);
    assert.equal(added.code, 0, added.stderr);
    assert.ok(added.stdout.includes(`tenant ${fabrikam} added as invited to state/tenants/registry.json`), added.stdout);
    assert.ok(added.stdout.includes(`${sandbox.origin}/${fabrikam}/adminconsent?client_id=${sandbox.clientId}`), added.stdout);
    const checked = await tenants(["check", fabrikam]);
    assert.equal(checked.code, 0, checked.stderr);
    assert.match(checked.stdout, /consent proven \(a token and one list request\); it is active/);
    const listed = await tenants(["list", "--json"]);
    assert.deepEqual((JSON.parse(listed.stdout) as { id: string; name: string; state: string }[]).map((t) => [t.id, t.name, t.state]), [[fabrikam, "Fabrikam", "active"]]);
  });

  it("names what is missing: a tenant without consent (exit 1, with the page its admin opens), a tenant of another cloud and a domain name (exit 2)", async () => {
    assert.equal((await tenants(["add", notYet])).code, 0);
    const unconsented = await tenants(["check", notYet]);
    assert.equal(unconsented.code, 1);
    assert.match(unconsented.stderr, /TenantConsentMissing: .*AADSTS7000229.*the tenant's admin has not consented to the app \(or removed it\); a Global Administrator of the tenant opens https:\/\/127\.0\.0\.1:\d+\/2d9a4e3c-7b5f-4a8d-9cae-3f4a5b6c7d8e\/adminconsent\?client_id=/);
    const otherCloud = await tenants(["add", usGov]);
    assert.equal(otherCloud.code, 2);
    assert.match(otherCloud.stderr, /tenant 3e0b5f4d-8c6a-4b9e-8fdb-4a5b6c7d8e9f belongs to the microsoftonline\.us cloud, and this deployment reads the Global cloud \(microsoftonline\.com\) only/);
    const domain = await tenants(["add", "contoso.onmicrosoft.com"]);
    assert.equal(domain.code, 2);
    assert.match(domain.stderr, /"contoso.onmicrosoft.com" is a domain name; give the tenant's id/);
  });

  it("refuses an account without the deployment's state container, by name", async () => {
    const wrong = await promisify(execFile)(process.execPath, ["--import", "tsx", "scripts/tenants.ts", "list"], { cwd: root, env: { ...env, ARCHIVER_STATE_CONTAINER: "nothere" } }).catch((e: { code: number; stderr: string }) => e);
    assert.equal((wrong as { code: number }).code, 2);
    assert.match((wrong as { stderr: string }).stderr, /the account of ARCHIVER_STORAGE has no nothere container \(ARCHIVER_STATE_CONTAINER\): give the deployment's archive account/);
  });

  it("offboards: remove refuses an active tenant, pause then remove deletes its state and says what WORM keeps; every change is in the audit", async () => {
    const early = await tenants(["remove", fabrikam]);
    assert.equal(early.code, 2);
    assert.match(early.stderr, /is active: pause it first/);
    assert.equal((await tenants(["pause", fabrikam, "--because", "contract ended"])).code, 0);
    const removed = await tenants(["remove", fabrikam]);
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stdout, new RegExp(`Its archive stays where it is, under callrecords/v1/tenant=${fabrikam}/, pstncalls/v1/tenant=${fabrikam}/, directroutingcalls/v1/tenant=${fabrikam}/`));
    assert.match(removed.stdout, /under the WORM policy each blob is kept until its retention period ends/);
    const audit = await tenants(["audit"]);
    assert.deepEqual(
      audit.stdout.trim().split("\n").map((l) => l.split(/\s+/).slice(1, 3).join(" ")),
      [`add ${fabrikam}`, `consented ${fabrikam}`, `add ${notYet}`, `pause ${fabrikam}`, `remove ${fabrikam}`],
    );
  });

  it("keeps each tenant's archive its own number of days: set, printed as infra's tenantRetention, refused at 30, back to the deployment's; audited", async () => {
    const none = await tenants(["retention"]);
    assert.equal(none.code, 0, none.stderr);
    assert.match(none.stdout, /no tenant has its own retention: every tenant keeps archiveRetentionDays/);
    const set = await tenants(["retention", notYet, "90"]);
    assert.equal(set.code, 0, set.stderr);
    assert.ok(set.stdout.includes(`tenant ${notYet} is kept 90 days once deployed:\n  azd env set TENANT_RETENTION '${notYet}=90' && azd provision`), set.stdout);
    // A removed tenant's archive stays, and so does its end.
    assert.equal((await tenants(["retention", fabrikam, "400"])).code, 0);
    const printed = await tenants(["retention"], true);
    assert.equal(printed.code, 0, printed.stderr);
    assert.ok(printed.stdout.includes(`\n  ${fabrikam}=400,${notYet}=90\n`), printed.stdout);
    const short = await tenants(["retention", notYet, "30"]);
    assert.equal(short.code, 2);
    assert.match(short.stderr, /tenant 2d9a4e3c-7b5f-4a8d-9cae-3f4a5b6c7d8e keeps 30 days; a retention is a whole number of days over 30, or the coverage sweep would harvest again/);
    const words = await tenants(["retention", notYet, "a year"]);
    assert.equal(words.code, 2);
    assert.match(words.stderr, /DAYS expects a whole number of days, got "a year"/);
    const back = await tenants(["retention", notYet, "default"]);
    assert.equal(back.code, 0, back.stderr);
    assert.match(back.stdout, /keeps the deployment's retention \(archiveRetentionDays\) once deployed:\n {2}azd env set TENANT_RETENTION '0b7e2c1a-5f3d-4e6b-9a8c-1d2e3f4a5b6c=400'/);
    const audit = (await tenants(["audit"])).stdout.trim().split("\n").filter((l) => l.includes(" retain "));
    assert.deepEqual(audit.map((l) => l.split(/\s+/).slice(1, 3).join(" ") + " " + l.split("retention ")[1]), [`retain ${notYet} 90`, `retain ${fabrikam} 400`, `retain ${notYet} the deployment's`]);
  });
});
